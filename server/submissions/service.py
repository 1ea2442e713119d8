"""Creating a submission: everything between a parsed body and a committed, enqueued `queued` row.

Whether there is anything to grade first (grader.gradable: 422 NothingToGrade says what was wrong). Then, under
the student's lock (server.policies.limits): idempotency (a retry with the same key and the same body returns
the stored submission before any limit is checked; the same key with another body is a 422), then the
policies (the late cutoff, the submission cap, the rate limit; docs/policies.md), then the row with
its late flag and penalty (judged against the student's own deadline) and its seed, one commit, and the
enqueue. The lock makes the counts exact when a student's requests race. The row is committed before it is
enqueued, so a lost enqueue only delays grading (docs/server.md).

`precheck` runs the same policies without the lock before an upload is parsed (a notebook costs CPU), so a
request that would be refused is refused before that work.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from grader.gradable import nothing_to_grade
from server.catalog import Catalog
from server.config import Settings
from server.errors import AppError, IdempotencyKeyReused, NothingToGrade
from server.grading.protocol import Queue
from server.models import Submission, SubmissionCreate, SubmissionReceived, SubmissionStatus
from server.policies.deadlines import LateDecision, decide_late, student_deadline
from server.policies.limits import lock_student, rate_limit, submission_cap
from server.security import submission_seed


def body_digest(body: SubmissionCreate) -> str:
    """What an Idempotency-Key is bound to: the exercise and the source (a notebook's extracted definitions),
    so a retry that re-encodes the same upload (a new multipart boundary) is still the same request."""
    return hashlib.sha256(f"{body.exercise}\0{body.source}".encode()).hexdigest()


def _by_idempotency_key(session: Session, student_id: str, key: str) -> Submission | None:
    return session.exec(
        select(Submission).where(Submission.student_id == student_id, Submission.idempotency_key == key)
    ).first()


def _same_request(existing: Submission, digest: str) -> Submission:
    # Rows stored before keys were bound to a body have no digest: they match any body, as they did then.
    if existing.idempotency_hash is not None and existing.idempotency_hash != digest:
        raise IdempotencyKeyReused()
    return existing


def check_policies(session: Session, settings: Settings, catalog: Catalog, student_id: str, exercise_id: str,
                   now: dt.datetime) -> LateDecision:
    """The late cutoff, the submission cap and the rate limit of one more submission now; its late decision."""
    deadline = student_deadline(session, catalog, student_id, exercise_id).deadline
    late = decide_late(catalog, exercise_id, deadline, now)
    submission_cap(session, catalog, student_id, exercise_id)
    rate_limit(session, student_id, settings.rate_limit_per_minute, now)
    return late


def precheck(engine: Engine, settings: Settings, catalog: Catalog, student_id: str, exercise_id: str | None,
             idempotency_key: str | None, now: dt.datetime) -> None:
    """Before an upload is parsed: refuse at once what `submit` would refuse (unknown exercise, cutoff, cap,
    rate). A retry of a stored submission (its Idempotency-Key) passes: its body is compared once parsed.
    A short session of its own, so the request's session (and what it loaded) is left as it was."""
    with Session(engine) as session:
        if idempotency_key and _by_idempotency_key(session, student_id, idempotency_key) is not None:
            return
        if exercise_id is None:
            return  # the body's validation says what is missing
        check_policies(session, settings, catalog, student_id, catalog.get(exercise_id).id, now)


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
    an earlier request with the same Idempotency-Key and body created. `now` is injectable for tests."""
    exercise = catalog.get(body.exercise)
    digest = body_digest(body)
    notebook = body.notebook if isinstance(body, SubmissionReceived) else None
    empty = nothing_to_grade(body.source, notebook, [part.function for part in exercise.spec.parts])
    if empty is not None:
        raise NothingToGrade(empty)
    now = now or dt.datetime.now(dt.UTC)
    try:
        lock_student(session.connection(), student_id)
        existing = _by_idempotency_key(session, student_id, idempotency_key) if idempotency_key else None
        if existing is not None:
            return _same_request(existing, digest)
        late = check_policies(session, settings, catalog, student_id, exercise.id, now)
    except AppError:
        session.rollback()  # the student's lock goes at once
        raise
    submission = Submission(
        student_id=student_id,
        exercise=exercise.id,
        source=body.source,
        status=SubmissionStatus.queued.value,
        max_score=exercise.spec.max_score,
        late=late.late,
        late_penalty=late.penalty,
        idempotency_key=idempotency_key,
        idempotency_hash=digest if idempotency_key else None,
        notebook=notebook,
        created_at=now,
    )
    session.add(submission)
    try:
        session.flush()
        assert submission.id is not None and settings.secret is not None
        submission.seed = submission_seed(settings.secret.get_secret_value(), submission.id)
        session.commit()
    except IntegrityError:  # the same Idempotency-Key raced in (a writer that did not lock): return the winner
        session.rollback()
        assert idempotency_key is not None
        existing = _by_idempotency_key(session, student_id, idempotency_key)
        if existing is None:
            raise
        return _same_request(existing, digest)
    assert submission.id is not None
    queue.enqueue(submission.id, priority=0)
    return submission
