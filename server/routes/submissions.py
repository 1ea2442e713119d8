"""Submissions: a student submits (JSON or a file upload); owners and the teacher read results."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Header, Query, Response
from sqlmodel import Session, col, func, select
from starlette.concurrency import run_in_threadpool

from server.deps import (
    ContextDep,
    CurrentStudent,
    LangDep,
    PrincipalDep,
    SessionDep,
    SubmissionId,
    SubmissionOfCurrentUser,
    get_visible_submission,
)
from server.errors import (
    ExerciseNotFound,
    Forbidden,
    IdempotencyKeyReused,
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
IDEMPOTENCY_KEY_PATTERN = r"^[\x21-\x7e]{1,128}$"
SubmissionView = SubmissionTeacher | SubmissionPublic
FINAL = (SubmissionStatus.graded.value, SubmissionStatus.failed.value)


def _respond(
    response: Response, session: Session, submission: Submission, ctx: ContextDep, lang: str, teacher: bool
) -> SubmissionView:
    final = submission.status in FINAL
    response.status_code = 200 if final else 202
    response.headers["Location"] = f"/api/v1/submissions/{submission.id}"
    return visible_submission(session, ctx.catalog, submission, lang, teacher, ctx.clock())


async def _answer(response: Response, ctx: ContextDep, session: Session, lang: str, teacher: bool, who: str,
                  wait_s: float, look: Callable[[], Submission]) -> SubmissionView:
    """`look()` (in a request thread: it reads, or creates, the submission), then, if it is not final and the
    caller asked to wait, an async wait that holds neither a thread nor a database connection
    (server.submissions.waiting), then one short read of the row."""
    mark = ctx.waits.mark()  # before the read: a result announced after it is not slept through

    def first() -> tuple[SubmissionView | None, int]:
        submission = look()
        assert submission.id is not None
        submission_id = submission.id
        if wait_s > 0 and submission.status not in FINAL:
            session.close()  # the connection goes back to the pool before the wait
            return None, submission_id
        view = _respond(response, session, submission, ctx, lang, teacher)
        session.close()  # here, not in another thread hop after the route
        return view, submission_id

    view, submission_id = await run_in_threadpool(first)
    if view is not None:
        return view
    with ctx.waits.room(who) as room:
        if room:  # else: this principal has its waits open already; the current status, at once
            await ctx.waits.until_final(submission_id, wait_s, since=mark)

    def last() -> SubmissionView:
        current = session.get(Submission, submission_id)
        if current is None:  # pragma: no cover - rows are never deleted
            raise SubmissionNotFound()
        view = _respond(response, session, current, ctx, lang, teacher)
        session.close()
        return view

    return await run_in_threadpool(last)


WaitQuery = Annotated[
    float, Query(ge=0, le=MAX_WAIT_S, description="Seconds to wait for the result (0-60); 200 if graded by then. "
                 "A student or staff member has at most RNN_GRADER_WAITS_PER_PRINCIPAL waits open at once; "
                 "beyond that the current status comes at once")
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
                          IdempotencyKeyReused, RateLimited, SubmissionsClosed, SubmissionCapReached),
    },
)
async def create_submission(
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
               description="A retry with the same key and body returns the same submission; the same key "
               "with another body is a 422"),
    ] = None,
) -> SubmissionView:
    student_id = student.student_id  # loaded by the dependency: no database access here

    def create() -> Submission:
        return submit(session, ctx.settings, ctx.catalog, ctx.queue, student_id, body, idempotency_key,
                      now=ctx.clock())

    return await _answer(response, ctx, session, lang, False, student_id, wait, create)


@router.get(
    "/{submission_id}",
    response_model=SubmissionView,
    summary="One submission (its owner or the teacher); `?wait=` long-polls for the result",
    responses=error_responses(SubmissionNotFound),
)
async def get_submission(
    response: Response,
    submission_id: SubmissionId,
    principal: PrincipalDep,
    ctx: ContextDep,
    session: SessionDep,
    lang: LangDep,
    wait: WaitQuery = 0,
) -> SubmissionView:
    view = await _answer(response, ctx, session, lang, principal.is_teacher, principal.actor, wait,
                         lambda: get_visible_submission(principal, session, submission_id))
    response.status_code = 200
    return view


@router.post(
    "/{submission_id}/diagnostics",
    response_model=SubmissionView,
    summary="Ask for a graded submission's charts (owner or teacher): 202 while a grading loop draws them, "
    "200 once they are there",
    responses={
        202: {"model": SubmissionView, "description": "The charts are being drawn; ask again or poll the "
                                                         "submission (Location)"},
        **error_responses(SubmissionNotFound, NoDiagnostics, Forbidden),
    },
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

