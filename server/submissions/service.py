"""Creating a submission: everything between a parsed body and a committed, enqueued `queued` row.

Idempotency first (a retry with the same key returns the stored submission before any limit is checked),
then the policies (rate limit), then the row with its seed, one commit, and the enqueue. The row is
committed before it is enqueued, so a lost enqueue only delays grading (docs/server.md).
"""

from __future__ import annotations

import datetime as dt
import math

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from server.catalog import Catalog
from server.config import Settings
from server.errors import RateLimited
from server.grading.protocol import Queue
from server.models import Submission, SubmissionCreate, SubmissionReceived, SubmissionStatus
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
) -> Submission:
    """The stored submission for this request: a new `queued` row (committed, then enqueued), or the one
    an earlier request with the same Idempotency-Key created."""
    exercise = catalog.get(body.exercise)
    existing = _by_idempotency_key(session, student_id, idempotency_key) if idempotency_key else None
    if existing is not None:
        return existing
    now = dt.datetime.now(dt.UTC)
    _rate_limit(session, student_id, settings.rate_limit_per_minute, now)
    submission = Submission(
        student_id=student_id,
        exercise=exercise.id,
        source=body.source,
        status=SubmissionStatus.queued.value,
        max_score=exercise.spec.max_score,
        late=catalog.is_late(exercise.id, now),
        idempotency_key=idempotency_key,
        notebook=body.notebook if isinstance(body, SubmissionReceived) else None,
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
