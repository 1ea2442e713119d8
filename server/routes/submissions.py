"""Submissions: a student submits (JSON or a file upload); owners and the teacher read results."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Header, Query, Response
from sqlmodel import Session, col, func, select

from server.deps import (
    ContextDep,
    CurrentStudent,
    LangDep,
    PrincipalDep,
    SessionDep,
    SubmissionOfCurrentUser,
)
from server.errors import (
    ExerciseNotFound,
    Forbidden,
    InvalidInput,
    NoDiagnostics,
    PayloadTooLarge,
    RateLimited,
    StudentOnly,
    SubmissionCapReached,
    SubmissionNotFound,
    SubmissionsClosed,
    UnsupportedMediaType,
    error_responses,
)
from server.grading import diagnostics
from server.models import (
    EXERCISE_ID_PATTERN,
    STUDENT_ID_PATTERN,
    Submission,
    SubmissionPublic,
    SubmissionStatus,
    SubmissionTeacher,
)
from server.policies.visibility import visible_submission, visible_submissions
from server.refusals import refusal
from server.submissions.body import REQUEST_BODY, SubmissionBody
from server.submissions.service import submit

router = APIRouter(prefix="/submissions", tags=["submissions"])

MAX_WAIT_S = 60.0
WAIT_POLL_S = 0.25
IDEMPOTENCY_KEY_PATTERN = r"^[\x21-\x7e]{1,128}$"
SubmissionView = SubmissionTeacher | SubmissionPublic


def _wait_until_final(ctx: ContextDep, session: Session, submission: Submission, wait_s: float) -> Submission:
    deadline = time.monotonic() + wait_s
    assert submission.id is not None
    submission_id = submission.id
    while True:
        seen = ctx.notifier.generation
        session.rollback()  # end any snapshot: see what the grading threads and processes wrote
        current = session.get(Submission, submission_id)
        if current is None:  # pragma: no cover - rows are never deleted
            raise SubmissionNotFound()
        remaining = deadline - time.monotonic()
        if current.status in (SubmissionStatus.graded, SubmissionStatus.failed) or remaining <= 0:
            return current
        ctx.notifier.wait(min(remaining, WAIT_POLL_S), since=seen)


def _respond(
    response: Response, session: Session, submission: Submission, ctx: ContextDep, lang: str, teacher: bool
) -> SubmissionView:
    final = submission.status in (SubmissionStatus.graded, SubmissionStatus.failed)
    response.status_code = 200 if final else 202
    response.headers["Location"] = f"/api/v1/submissions/{submission.id}"
    return visible_submission(session, ctx.catalog, submission, lang, teacher, ctx.clock())


WaitQuery = Annotated[
    float, Query(ge=0, le=MAX_WAIT_S, description="Seconds to wait for the result (0-60); 200 if graded by then")
]


@router.post(
    "",
    status_code=202,
    response_model=SubmissionView,
    summary="Submit a solution; 202 while queued/running, 200 when graded within ?wait=",
    openapi_extra=REQUEST_BODY,
    responses={
        200: {"model": SubmissionPublic, "description": "Graded (or failed) within the wait"},
        **error_responses(StudentOnly, ExerciseNotFound, PayloadTooLarge, UnsupportedMediaType, InvalidInput,
                          RateLimited, SubmissionsClosed, SubmissionCapReached),
    },
)
def create_submission(
    response: Response,
    student: CurrentStudent,
    ctx: ContextDep,
    session: SessionDep,
    lang: LangDep,
    body: SubmissionBody,
    wait: WaitQuery = 0,
    idempotency_key: Annotated[
        str | None,
        Header(alias="Idempotency-Key", pattern=IDEMPOTENCY_KEY_PATTERN,
               description="A retry with the same key returns the same submission"),
    ] = None,
) -> SubmissionView:
    existing = submit(session, ctx.settings, ctx.catalog, ctx.queue, student.student_id, body, idempotency_key,
                      now=ctx.clock())
    if wait > 0:
        existing = _wait_until_final(ctx, session, existing, wait)
    return _respond(response, session, existing, ctx, lang, teacher=False)


@router.get(
    "/{submission_id}",
    response_model=SubmissionView,
    summary="One submission (its owner or the teacher); `?wait=` long-polls for the result",
    responses=error_responses(SubmissionNotFound),
)
def get_submission(
    response: Response,
    submission: SubmissionOfCurrentUser,
    principal: PrincipalDep,
    ctx: ContextDep,
    session: SessionDep,
    lang: LangDep,
    wait: WaitQuery = 0,
) -> SubmissionView:
    if wait > 0:
        submission = _wait_until_final(ctx, session, submission, wait)
    view = _respond(response, session, submission, ctx, lang, principal.is_teacher)
    response.status_code = 200
    return view


@router.post(
    "/{submission_id}/diagnostics",
    response_model=SubmissionView,
    summary="Ask for a graded submission's charts (owner or teacher): 202 while a grading loop draws them, "
    "200 once they are there",
    responses=error_responses(SubmissionNotFound, NoDiagnostics, Forbidden),
)
def request_diagnostics(
    response: Response,
    submission: SubmissionOfCurrentUser,
    principal: PrincipalDep,
    ctx: ContextDep,
    session: SessionDep,
    lang: LangDep,
) -> SubmissionView:
    """Results are written before their optional diagnostics; those of a result whose tests all passed are
    computed only when someone asks (server.grading.diagnostics). Asking again is harmless."""
    assert submission.id is not None
    if submission.diagnostics_status is None:
        raise NoDiagnostics()
    shown = visible_submission(session, ctx.catalog, submission, lang, principal.is_teacher, ctx.clock())
    if shown.diagnostics_status is None:
        raise Forbidden(refusal("charts_not_yet"))
    after = diagnostics.request(ctx.engine, ctx.queue, submission.id)
    session.rollback()
    current = session.get(Submission, submission.id)
    assert current is not None
    view = visible_submission(session, ctx.catalog, current, lang, principal.is_teacher, ctx.clock())
    response.status_code = 200 if after == diagnostics.DONE else 202
    response.headers["Location"] = f"/api/v1/submissions/{submission.id}"
    return view


@router.get(
    "",
    response_model=list[SubmissionView],
    summary="Submissions, newest first: a student's own; the teacher's all (with filters)",
    responses=error_responses(Forbidden),
)
def list_submissions(
    response: Response,
    principal: PrincipalDep,
    session: SessionDep,
    ctx: ContextDep,
    lang: LangDep,
    student_id: Annotated[str | None, Query(pattern=STUDENT_ID_PATTERN)] = None,
    exercise: Annotated[str | None, Query(pattern=EXERCISE_ID_PATTERN)] = None,
    status: SubmissionStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> list[SubmissionView]:
    if principal.student is not None:
        if student_id is not None and student_id != principal.student.student_id:
            raise Forbidden(refusal("own_submissions_only"))
        student_id = principal.student.student_id
    conditions = []
    if student_id is not None:
        conditions.append(Submission.student_id == student_id)
    if exercise is not None:
        conditions.append(Submission.exercise == exercise)
    if status is not None:
        conditions.append(Submission.status == status.value)
    total = session.exec(select(func.count()).select_from(Submission).where(*conditions)).one()
    rows = session.exec(
        select(Submission).where(*conditions).order_by(col(Submission.id).desc()).offset(offset).limit(limit)
    ).all()
    response.headers["X-Total-Count"] = str(total)
    return [*visible_submissions(session, ctx.catalog, rows, lang, principal.is_teacher, ctx.clock())]

