"""Regrade requests: the owner of a submission asks (201), staff list and resolve them (regrade / override /
reject, with a comment the student sees; an override needs an instructor); students list their own."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from server.deps import (
    MAX_ID,
    ContextDep,
    CurrentStudent,
    PrincipalDep,
    SessionDep,
    StaffAuth,
    SubmissionOfCurrentUser,
)
from server.errors import (
    AppError,
    Forbidden,
    GradingInProgress,
    InstructorOnly,
    InvalidInput,
    RegradeRequestNotFound,
    RegradeRequestOpen,
    RegradeRequestsCapped,
    RequestAlreadyResolved,
    StudentOnly,
    SubmissionNotFound,
    TeacherOnly,
    error_responses,
)
from server.models import EXERCISE_ID_PATTERN, STUDENT_ID_PATTERN
from server.refusals import refusal
from server.regrades.batches import REGRADE_PRIORITY
from server.regrades.models import RegradeRequestCreate, RegradeRequestPublic, RegradeRequestResolve, RequestStatus
from server.regrades.requests import create_request, get_request, list_requests, resolve_request

router = APIRouter(tags=["regrades"])
RequestId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.post(
    "/submissions/{submission_id}/regrade-requests",
    status_code=201,
    response_model=RegradeRequestPublic,
    summary="Ask the teacher to look at this submission's grade again (its owner only)",
    responses=error_responses(StudentOnly, SubmissionNotFound, RegradeRequestOpen, RegradeRequestsCapped),
)
def create(student: CurrentStudent, submission: SubmissionOfCurrentUser, session: SessionDep, ctx: ContextDep,
           body: RegradeRequestCreate) -> RegradeRequestPublic:
    try:
        created = create_request(session.connection(), submission, body.message,
                                 ctx.settings.regrade_requests_per_day)
    except AppError:
        session.rollback()  # the student's lock goes at once
        raise
    session.commit()
    return created


@router.get(
    "/regrade-requests",
    response_model=list[RegradeRequestPublic],
    summary="Regrade requests, oldest first: a student's own; the teacher's all (filters: status, student, exercise)",
    responses=error_responses(Forbidden),
)
def list_all(
    response: Response,
    principal: PrincipalDep,
    session: SessionDep,
    status: RequestStatus | None = None,
    student_id: Annotated[str | None, Query(pattern=STUDENT_ID_PATTERN)] = None,
    exercise: Annotated[str | None, Query(pattern=EXERCISE_ID_PATTERN)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> list[RegradeRequestPublic]:
    if principal.student is not None:
        if student_id is not None and student_id != principal.student.student_id:
            raise Forbidden(refusal("own_requests_only"))
        student_id = principal.student.student_id
    total, rows = list_requests(session.connection(), student_id=student_id, status=status, exercise=exercise,
                                limit=limit, offset=offset)
    response.headers["X-Total-Count"] = str(total)
    return rows


@router.get(
    "/regrade-requests/{request_id}",
    response_model=RegradeRequestPublic,
    summary="One regrade request (its student or the teacher)",
    responses=error_responses(RegradeRequestNotFound),
)
def get_one(principal: PrincipalDep, session: SessionDep, request_id: RequestId) -> RegradeRequestPublic:
    found = get_request(session.connection(), request_id)
    if principal.student is not None and found.student_id != principal.student.student_id:
        raise RegradeRequestNotFound(refusal("no_regrade_request", id=request_id))
    return found


@router.post(
    "/regrade-requests/{request_id}/resolve",
    response_model=RegradeRequestPublic,
    summary="Answer a regrade request (staff): regrade, override (with score; an instructor) or reject, with a "
    "comment",
    responses=error_responses(TeacherOnly, InstructorOnly, RegradeRequestNotFound, RequestAlreadyResolved, InvalidInput,
                              GradingInProgress),
)
def resolve(staff: StaffAuth, ctx: ContextDep, session: SessionDep, request_id: RequestId,
            body: RegradeRequestResolve) -> RegradeRequestPublic:
    resolved, queued = resolve_request(session.connection(), request_id, body, staff, ctx.settings.score_policy)
    session.commit()
    for submission_id in queued:
        ctx.queue.enqueue(submission_id, priority=REGRADE_PRIORITY)
    return resolved
