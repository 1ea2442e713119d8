"""A teacher's override: a grading with why = override, the teacher's score and reason. It becomes the
submission's score and counts like any other grading (until a later grading, e.g. a regrade, replaces it;
the override stays in the history)."""

from __future__ import annotations

import sqlalchemy as sa

from server.audit import record
from server.auth.principal import Principal
from server.db import utcnow
from server.errors import GradingInProgress, InvalidInput, SubmissionNotFound
from server.models import FINAL_STATUSES, Submission, SubmissionStatus
from server.regrades.history import NewGrading, record_grading
from server.regrades.models import Why
from server.scoreboard.cache import refresh_for_submission
from server.tables import submissions_t

FINAL = [status.value for status in FINAL_STATUSES]


def apply_override(
    conn: sa.Connection, submission_id: int, score: float, reason: str, by: Principal, request_id: int | None = None
) -> int:
    """Give the submission this raw score (0..max_score), inside the caller's transaction. Returns the
    grading id. 404 if there is no such submission, 409 while it is being graded, 422 for a bad score."""
    row = conn.execute(
        sa.select(
            submissions_t.c.status,
            submissions_t.c.score,
            submissions_t.c.max_score,
            submissions_t.c.student_id,
            submissions_t.c.exercise,
            submissions_t.c.grader_version,
            submissions_t.c.result,
        ).where(submissions_t.c.id == submission_id)
    ).first()
    if row is None:
        raise SubmissionNotFound(f"no submission {submission_id}")
    max_score = float(row.max_score)
    if not 0 <= score <= max_score:
        raise InvalidInput(f"score must be between 0 and {max_score:g} (the exercise's maximum), not {score:g}")
    if not reason.strip():
        raise InvalidInput("an override needs a reason (comment)")
    taken = conn.execute(
        sa.update(Submission)
        .where(submissions_t.c.id == submission_id, submissions_t.c.status.in_(FINAL))
        .values(status=SubmissionStatus.graded.value, score=score, graded_at=utcnow(), last_error=None)
        .returning(submissions_t.c.attempts)
    ).first()
    if taken is None:
        raise GradingInProgress(f"submission {submission_id} is {row.status}: override it once it is graded")
    refresh_for_submission(conn, submission_id)
    grading_id = record_grading(
        conn,
        NewGrading(
            submission_id=submission_id,
            student_id=str(row.student_id),
            exercise=str(row.exercise),
            attempt=0,
            why=Why.override,
            status=SubmissionStatus.graded.value,
            score=score,
            max_score=max_score,
            grader_version=row.grader_version,
            result=row.result,
            actor=by.actor,
            reason=reason,
        ),
    )
    detail: dict[str, object] = {"before": row.score, "after": score, "grading_id": grading_id}
    if request_id is not None:
        detail["request_id"] = request_id
    record(conn, by=by, action="override", target=f"submission:{submission_id}", reason=reason, detail=detail)
    return grading_id
