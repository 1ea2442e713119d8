"""Creating a submission: everything between a parsed body and a committed, enqueued `queued` row.

Idempotency first (a retry with the same key returns the stored submission before any limit is checked),
then whether there is anything to grade (grader.gradable: 422 NothingToGrade says what was wrong), then the
policies (the late cutoff, the submission cap, the rate limit; docs/policies.md), then the row with
its late flag and penalty (judged against the student's own deadline) and its seed, one commit, and the
enqueue. The row is
committed before it is enqueued, so a lost enqueue only delays grading (docs/server.md).
"""

from __future__ import annotations

import datetime as dt
import math

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from grader.gradable import nothing_to_grade
from server.catalog import Catalog
from server.config import Settings
from server.errors import NothingToGrade, RateLimited, SubmissionCapReached
from server.grading.protocol import Queue
from server.models import Student, Submission, SubmissionCreate, SubmissionReceived, SubmissionStatus
from server.policies.deadlines import decide_late, student_deadline
from server.security import submission_seed


def _rate_limit(session: Session, student_id: str, per_minute: int, now: dt.datetime) -> None:
    if per_minute <= 0:
        return
    window_start = now - dt.timedelta(minutes=1)
    recent = session.exec(
        select(Submission.created_at)
        .where(Submission.student_id == student_id, Submission.created_at > window_start)
        .order_by(col(Submission.created_at).desc())
        .limit(per_minute)
    ).all()
    if len(recent) >= per_minute:
        oldest_counted = min(recent)
        retry_after = max(1, math.ceil((oldest_counted + dt.timedelta(minutes=1) - now).total_seconds()))
        raise RateLimited(retry_after)


def _submission_cap(session: Session, catalog: Catalog, student_id: str, exercise_id: str) -> None:
    """At most max_submissions per (student, exercise); a submission whose grading failed (an internal
    error) never counts. On PostgreSQL the student's row is locked first, so two submissions sent at once
    are counted one after the other."""
    cap = catalog.max_submissions.get(exercise_id)
    if cap is None:
        return
    if session.get_bind().dialect.name == "postgresql":
        session.exec(select(Student.student_id).where(Student.student_id == student_id).with_for_update()).first()
    used = session.exec(
        select(func.count()).select_from(Submission).where(
            Submission.student_id == student_id,
            Submission.exercise == exercise_id,
            Submission.status != SubmissionStatus.failed.value,
        )
    ).one()
    if used >= cap:
        session.rollback()
        raise SubmissionCapReached(exercise_id, int(used), cap)


def _by_idempotency_key(session: Session, student_id: str, key: str) -> Submission | None:
    return session.exec(
        select(Submission).where(Submission.student_id == student_id, Submission.idempotency_key == key)
    ).first()


def submit(
    session: Session,
    settings: Settings,
    catalog: Catalog,
    queue: Queue,
    student_id: str,
    body: SubmissionCreate,
    idempotency_key: str | None = None,
    now: dt.datetime | None = None,
) -> Submission:
    """The stored submission for this request: a new `queued` row (committed, then enqueued), or the one
    an earlier request with the same Idempotency-Key created. `now` is injectable for tests."""
    exercise = catalog.get(body.exercise)
    existing = _by_idempotency_key(session, student_id, idempotency_key) if idempotency_key else None
    if existing is not None:
        return existing
    notebook = body.notebook if isinstance(body, SubmissionReceived) else None
    empty = nothing_to_grade(body.source, notebook, [part.function for part in exercise.spec.parts])
    if empty is not None:
        raise NothingToGrade(empty)
    now = now or dt.datetime.now(dt.UTC)
    deadline = student_deadline(session, catalog, student_id, exercise.id).deadline
    late = decide_late(catalog, exercise.id, deadline, now)
    _submission_cap(session, catalog, student_id, exercise.id)
    _rate_limit(session, student_id, settings.rate_limit_per_minute, now)
    submission = Submission(
        student_id=student_id,
        exercise=exercise.id,
        source=body.source,
        status=SubmissionStatus.queued.value,
        max_score=exercise.spec.max_score,
        late=late.late,
        late_penalty=late.penalty,
        idempotency_key=idempotency_key,
        notebook=notebook,
        created_at=now,
    )
    session.add(submission)
    try:
        session.flush()
        assert submission.id is not None and settings.secret is not None
        submission.seed = submission_seed(settings.secret.get_secret_value(), submission.id)
        session.commit()
    except IntegrityError:  # the same Idempotency-Key raced in: return the winner
        session.rollback()
        assert idempotency_key is not None
        existing = _by_idempotency_key(session, student_id, idempotency_key)
        if existing is None:
            raise
        return existing
    assert submission.id is not None
    queue.enqueue(submission.id, priority=0)
    return submission
