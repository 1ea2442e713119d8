"""Regrade (teacher): put graded or failed submissions back in the queue, e.g. after a grader fix.

The same seed gives the same hidden cases. Regrades go behind new submissions (lower priority). Until
the new result is written the submission is `queued` again and does not count on the scoreboard.
"""

from __future__ import annotations

import sqlalchemy as sa
from fastapi import APIRouter

from server.deps import ContextDep, SessionDep, TeacherAuth
from server.errors import InvalidInput, SubmissionNotFound, TeacherOnly, error_responses
from server.models import FINAL_STATUSES, RegradeRequest, RegradeResult, Submission, SubmissionStatus
from server.tables import submissions_t

router = APIRouter(tags=["submissions"])

REGRADE_PRIORITY = -1
CHUNK = 500


@router.post(
    "/regrade",
    response_model=RegradeResult,
    summary="Queue graded/failed submissions again: one (submission_id), an exercise's, or all",
    responses=error_responses(TeacherOnly, SubmissionNotFound, InvalidInput),
)
def regrade(_teacher: TeacherAuth, ctx: ContextDep, session: SessionDep, body: RegradeRequest) -> RegradeResult:
    selectors = sum((body.submission_id is not None, body.exercise is not None, body.all))
    if selectors != 1:
        raise InvalidInput("give exactly one of submission_id, exercise, all=true")
    final = [status.value for status in FINAL_STATUSES]
    query = sa.select(submissions_t.c.id).where(submissions_t.c.status.in_(final))
    if body.submission_id is not None:
        if session.get(Submission, body.submission_id) is None:
            raise SubmissionNotFound(f"no submission {body.submission_id}")
        query = query.where(submissions_t.c.id == body.submission_id)
    elif body.exercise is not None:
        query = query.where(submissions_t.c.exercise == body.exercise)
    ids = [int(i) for i in session.execute(query.order_by(submissions_t.c.id)).scalars()]
    queued: list[int] = []
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        result = session.execute(
            sa.update(Submission)
            .where(submissions_t.c.id.in_(chunk), submissions_t.c.status.in_(final))
            .values(status=SubmissionStatus.queued.value, attempts=0, priority=REGRADE_PRIORITY,
                    lease_until=None, lease_owner=None, last_error=None)
            .returning(submissions_t.c.id)
        )
        queued.extend(int(i) for i in result.scalars())
    session.commit()
    for submission_id in queued:
        ctx.queue.enqueue(submission_id, priority=REGRADE_PRIORITY)
    return RegradeResult(queued=len(queued))
