"""Per-student extensions (staff: an instructor or a TA): set or replace one, remove it, list them, import a CSV."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Path, Query, Response, UploadFile

from server.deps import CatalogDep, SessionDep, StaffAuth
from server.errors import (
    ExerciseNotFound,
    ExtensionNotFound,
    InvalidInput,
    PayloadTooLarge,
    StudentNotFound,
    TeacherOnly,
    error_responses,
)
from server.ingress.budgets import EXTENSIONS_BYTES as MAX_IMPORT_BYTES
from server.models import (
    EXERCISE_ID_PATTERN,
    STUDENT_ID_PATTERN,
    ExtensionImportResult,
    ExtensionPublic,
    ExtensionSet,
)
from server.policies import extensions

router = APIRouter(prefix="/extensions", tags=["extensions"])

StudentId = Annotated[str, Path(pattern=STUDENT_ID_PATTERN)]
ExerciseId = Annotated[str, Path(pattern=EXERCISE_ID_PATTERN)]


@router.put(
    "/{student_id}/{exercise}",
    response_model=ExtensionPublic,
    summary="Give a student their own deadline for an exercise (replaces any earlier extension)",
    responses=error_responses(TeacherOnly, StudentNotFound, ExerciseNotFound),
)
def put_extension(
    staff: StaffAuth, session: SessionDep, catalog: CatalogDep, student_id: StudentId, exercise: ExerciseId,
    body: ExtensionSet,
) -> ExtensionPublic:
    return extensions.set_extension(session, catalog, student_id, exercise, body.deadline, staff)


@router.delete(
    "/{student_id}/{exercise}",
    status_code=204,
    response_class=Response,
    summary="Remove a student's extension (they get the exercise's deadline again)",
    responses=error_responses(TeacherOnly, ExtensionNotFound),
)
def delete_extension(
    staff: StaffAuth, session: SessionDep, student_id: StudentId, exercise: ExerciseId
) -> Response:
    extensions.remove_extension(session, student_id, exercise, staff)
    return Response(status_code=204)


@router.get(
    "",
    response_model=list[ExtensionPublic],
    summary="Extensions, by student then exercise; filter by student_id and/or exercise",
    responses=error_responses(TeacherOnly),
)
def get_extensions(
    _staff: StaffAuth,
    session: SessionDep,
    catalog: CatalogDep,
    student_id: Annotated[str | None, Query(pattern=STUDENT_ID_PATTERN)] = None,
    exercise: Annotated[str | None, Query(pattern=EXERCISE_ID_PATTERN)] = None,
) -> list[ExtensionPublic]:
    return extensions.list_extensions(session, catalog, student_id, exercise)


@router.post(
    "/import",
    response_model=ExtensionImportResult,
    summary="Import extensions from a CSV file with the header student_id,exercise,deadline (all or nothing)",
    responses=error_responses(TeacherOnly, PayloadTooLarge, InvalidInput),
)
def import_extensions(
    staff: StaffAuth,
    session: SessionDep,
    catalog: CatalogDep,
    file: Annotated[UploadFile, File(description="CSV, UTF-8, header student_id,exercise,deadline (ISO 8601 "
                                                 "with a UTC offset)")],
) -> ExtensionImportResult:
    data = file.file.read(MAX_IMPORT_BYTES + 1)
    if len(data) > MAX_IMPORT_BYTES:
        raise PayloadTooLarge(f"the file may be at most {MAX_IMPORT_BYTES // 1024} KiB")
    stored = extensions.import_csv(session, catalog, data, staff)
    return ExtensionImportResult(imported=len(stored), extensions=stored)
