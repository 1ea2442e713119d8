"""A submission's grading history (owner and staff) and an instructor's direct override."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter

from server.deps import InstructorAuth, PrincipalDep, SessionDep, SubmissionOfCurrentUser
from server.errors import (
    GradingInProgress,
    InstructorOnly,
    InvalidInput,
    SubmissionNotFound,
    TeacherOnly,
    error_responses,
)
from server.regrades.models import GradingPublic, OverrideCreate, Why, gradings_t
from server.regrades.overrides import apply_override

router = APIRouter(prefix="/submissions", tags=["regrades"])


def _public(row: sa.Row[Any], teacher: bool) -> GradingPublic:
    r = row._mapping
    return GradingPublic(
        id=int(r["id"]), submission_id=int(r["submission_id"]), number=int(r["number"]), attempt=int(r["attempt"]),
        why=Why(r["why"]), status=str(r["status"]), score=r["score"], max_score=float(r["max_score"]),
        grader_version=r["grader_version"], created_at=r["created_at"], batch_id=r["batch_id"], actor=r["actor"],
        reason=r["reason"], result=r["result"] if teacher else None,
    )


@router.get(
    "/{submission_id}/gradings",
    response_model=list[GradingPublic],
    summary="Every grading of a submission, oldest first (owner or teacher; the stored result for the teacher)",
    responses=error_responses(SubmissionNotFound),
)
def list_gradings(submission: SubmissionOfCurrentUser, principal: PrincipalDep,
                  session: SessionDep) -> list[GradingPublic]:
    rows = session.connection().execute(
        sa.select(gradings_t).where(gradings_t.c.submission_id == submission.id).order_by(gradings_t.c.number)
    ).all()
    return [_public(r, principal.is_teacher) for r in rows]


@router.post(
    "/{submission_id}/override",
    status_code=201,
    response_model=GradingPublic,
    summary="Give a submission a score by hand (instructor): a grading with why=override and the reason",
    responses=error_responses(TeacherOnly, InstructorOnly, SubmissionNotFound, InvalidInput, GradingInProgress),
)
def override(instructor: InstructorAuth, submission: SubmissionOfCurrentUser, session: SessionDep,
             body: OverrideCreate) -> GradingPublic:
    assert submission.id is not None
    conn = session.connection()
    grading_id = apply_override(conn, submission.id, body.score, body.reason, instructor)
    row = conn.execute(sa.select(gradings_t).where(gradings_t.c.id == grading_id)).one()
    session.commit()
    return _public(row, teacher=True)
