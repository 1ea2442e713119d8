"""Regrade requests: a student asks (one open request per submission, RNN_GRADER_REGRADE_REQUESTS_PER_DAY in
any 24 hours), the teacher answers with a regrade, an override or a rejection.
Resolving is one transaction: the request's guarded UPDATE (open -> resolved; a second resolve gets 409),
the action, and the audit entry commit together."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from server.audit import record
from server.auth.permissions import Access, require
from server.auth.principal import Principal
from server.db import utcnow
from server.errors import (
    GradingInProgress,
    InvalidInput,
    RegradeRequestNotFound,
    RegradeRequestOpen,
    RegradeRequestsCapped,
    RequestAlreadyResolved,
)
from server.models import Submission
from server.policies.limits import lock_student, seconds_until_free
from server.refusals import refusal
from server.regrades.batches import start_batch
from server.regrades.models import (
    RegradeRequestPublic,
    RegradeRequestResolve,
    RequestStatus,
    regrade_requests_t,
)
from server.regrades.overrides import apply_override
from server.tables import submissions_t

DAY = dt.timedelta(days=1)


def public(row: Any) -> RegradeRequestPublic:
    return RegradeRequestPublic(
        id=int(row.id),
        submission_id=int(row.submission_id),
        student_id=str(row.student_id),
        exercise=str(row.exercise),
        message=str(row.message),
        status=RequestStatus(row.status),
        action=row.action,
        comment=row.comment,
        score=row.score,
        batch_id=row.batch_id,
        resolved_by=row.resolved_by,
        created_at=row.created_at,
        resolved_at=row.resolved_at,
    )


def create_request(conn: sa.Connection, submission: Submission, message: str, per_day: int) -> RegradeRequestPublic:
    """A new open request, unless this submission has one open already (409) or the student sent `per_day`
    requests in the last 24 hours (429; 0 = no cap). Counted under the student's lock (server.policies.limits),
    so requests sent at once cannot slip past either limit; the caller commits (or rolls back)."""
    lock_student(conn, submission.student_id)
    still_open = conn.execute(
        sa.select(regrade_requests_t.c.id).where(regrade_requests_t.c.submission_id == submission.id,
                                                 regrade_requests_t.c.status == RequestStatus.open.value)
    ).scalar()
    if still_open is not None:
        raise RegradeRequestOpen(int(still_open))
    now = utcnow()
    if per_day > 0:
        recent = conn.execute(
            sa.select(regrade_requests_t.c.created_at)
            .where(regrade_requests_t.c.student_id == submission.student_id,
                   regrade_requests_t.c.created_at > now - DAY)
            .order_by(regrade_requests_t.c.created_at.desc())
            .limit(per_day)
        ).scalars().all()
        if len(recent) >= per_day:
            raise RegradeRequestsCapped(per_day, seconds_until_free(min(recent), DAY, now))
    request_id = conn.execute(
        sa.insert(regrade_requests_t)
        .values(
            submission_id=submission.id,
            student_id=submission.student_id,
            exercise=submission.exercise,
            message=message,
            status=RequestStatus.open.value,
            created_at=now,
        )
        .returning(regrade_requests_t.c.id)
    ).scalar_one()
    return get_request(conn, int(request_id))


def get_request(conn: sa.Connection, request_id: int) -> RegradeRequestPublic:
    row = conn.execute(sa.select(regrade_requests_t).where(regrade_requests_t.c.id == request_id)).first()
    if row is None:
        raise RegradeRequestNotFound(refusal("no_regrade_request", id=request_id))
    return public(row)


def list_requests(
    conn: sa.Connection,
    *,
    student_id: str | None,
    status: RequestStatus | None,
    exercise: str | None,
    limit: int,
    offset: int,
) -> tuple[int, list[RegradeRequestPublic]]:
    """Oldest first (the order a teacher works through them), with the total for paging."""
    conditions = []
    if student_id is not None:
        conditions.append(regrade_requests_t.c.student_id == student_id)
    if status is not None:
        conditions.append(regrade_requests_t.c.status == status.value)
    if exercise is not None:
        conditions.append(regrade_requests_t.c.exercise == exercise)
    total = conn.execute(sa.select(sa.func.count()).select_from(regrade_requests_t).where(*conditions)).scalar_one()
    rows = conn.execute(
        sa.select(regrade_requests_t).where(*conditions).order_by(regrade_requests_t.c.id).offset(offset).limit(limit)
    ).all()
    return int(total), [public(r) for r in rows]


def resolve_request(
    conn: sa.Connection, request_id: int, body: RegradeRequestResolve, staff: Principal, policy: str
) -> tuple[RegradeRequestPublic, list[int]]:
    """Answer an open request, inside the caller's transaction. Returns the request and the submission ids
    to enqueue after commit (for action=regrade). Any staff member answers; a score override needs an
    instructor, as the override route does."""
    current = get_request(conn, request_id)  # 404 first
    if body.action == "override":
        require(Access.instructor, staff, "answering with a score override")
    actor = staff.actor
    if current.status is not RequestStatus.open:
        raise RequestAlreadyResolved(f"regrade request {request_id} was resolved already ({current.action})")
    if body.action == "override":
        if body.score is None:
            raise InvalidInput("action=override needs a score")
        if not body.comment:
            raise InvalidInput("action=override needs a comment: the reason for the new score")
    elif body.score is not None:
        raise InvalidInput(f"a score only goes with action=override, not {body.action}")
    taken = conn.execute(
        sa.update(regrade_requests_t)
        .where(regrade_requests_t.c.id == request_id, regrade_requests_t.c.status == RequestStatus.open.value)
        .values(
            status=RequestStatus.resolved.value,
            action=body.action,
            comment=body.comment or None,
            score=body.score,
            resolved_by=actor,
            resolved_at=utcnow(),
        )
    ).rowcount
    if not taken:  # resolved by someone else in between
        raise RequestAlreadyResolved(f"regrade request {request_id} was resolved already")
    queued: list[int] = []
    detail: dict[str, Any] = {"action": body.action, "submission_id": current.submission_id}
    if body.action == "override":
        assert body.score is not None
        detail["grading_id"] = apply_override(
            conn, current.submission_id, body.score, body.comment, staff, request_id=request_id
        )
    elif body.action == "regrade":
        batch_id, queued = start_batch(
            conn,
            by=staff,
            reason=body.comment or f"regrade request {request_id}",
            selector={"submission_id": current.submission_id, "request_id": request_id},
            where=submissions_t.c.id == current.submission_id,
            policy=policy,
        )
        if not queued:
            raise GradingInProgress(refusal("being_graded", id=current.submission_id))
        conn.execute(
            sa.update(regrade_requests_t).where(regrade_requests_t.c.id == request_id).values(batch_id=batch_id)
        )
        detail["batch_id"] = batch_id
    record(
        conn,
        by=staff,
        action="regrade_request.resolve",
        target=f"regrade_request:{request_id}",
        reason=body.comment or None,
        detail=detail,
    )
    return get_request(conn, request_id), queued
