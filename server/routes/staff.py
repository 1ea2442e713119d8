"""Staff accounts (an instructor only): add an instructor or a TA (their token shown once), list, disable,
enable again, issue a new token. `admin` is the bootstrap instructor of RNN_GRADER_ADMIN_TOKEN: reserved,
and `disable` retires its token. The rules and the lock-out guard: server.auth.staff; docs/security.md."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from server.auth import staff
from server.auth.models import STAFF_ID_PATTERN, StaffCreate, StaffCreated, StaffPublic
from server.deps import ContextDep, InstructorAuth, SessionDep
from server.errors import InstructorOnly, TeacherOnly, error_responses

router = APIRouter(prefix="/staff", tags=["staff"])

StaffId = Annotated[str, Path(pattern=STAFF_ID_PATTERN)]
DENIED = (TeacherOnly, InstructorOnly)


@router.post(
    "",
    status_code=201,
    response_model=StaffCreated,
    response_model_exclude_none=True,
    summary="Add a staff member (instructor or ta) and issue their token (shown once)",
    responses=error_responses(*DENIED, staff.StaffExists),
)
def add_staff(instructor: InstructorAuth, session: SessionDep, body: StaffCreate) -> StaffCreated:
    return staff.add_staff(session, body, instructor)


@router.get(
    "",
    response_model=list[StaffPublic],
    summary="Staff members: the bootstrap instructor `admin` first, then by id, disabled ones included",
    responses=error_responses(*DENIED),
)
def list_staff(_instructor: InstructorAuth, session: SessionDep, ctx: ContextDep) -> list[StaffPublic]:
    return staff.list_staff(session, ctx.admin_token)


@router.post(
    "/{staff_id}/disable",
    response_model=StaffPublic,
    summary="Disable a staff member (their token and browser sessions stop working); `admin` retires the "
    "bootstrap token. Refused for the last enabled instructor",
    responses=error_responses(*DENIED, staff.StaffNotFound, staff.LastInstructor),
)
def disable_staff(instructor: InstructorAuth, session: SessionDep, ctx: ContextDep, staff_id: StaffId) -> StaffPublic:
    return staff.disable_staff(session, staff_id, instructor, ctx.admin_token)


@router.post(
    "/{staff_id}/enable",
    response_model=StaffCreated,
    response_model_exclude_none=True,
    summary="Enable a disabled staff member again, with a new token (shown once)",
    responses=error_responses(*DENIED, staff.StaffNotFound, staff.StaffExists, staff.BootstrapAccount),
)
def enable_staff(instructor: InstructorAuth, session: SessionDep, staff_id: StaffId) -> StaffCreated:
    return staff.enable_staff(session, staff_id, instructor)


@router.post(
    "/{staff_id}/token",
    response_model=StaffCreated,
    response_model_exclude_none=True,
    summary="Issue a new token for a staff member (shown once); the old one and its browser sessions stop working",
    responses=error_responses(*DENIED, staff.StaffNotFound, staff.StaffDisabled, staff.BootstrapAccount),
)
def rotate_token(instructor: InstructorAuth, session: SessionDep, staff_id: StaffId) -> StaffCreated:
    return staff.rotate_token(session, staff_id, instructor)
