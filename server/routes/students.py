"""Students (staff only): an instructor creates one, imports a roster or issues a new token (each audited,
never with the token); any staff lists."""

from __future__ import annotations

import csv
import io
from typing import Annotated

from fastapi import APIRouter, File, Path, UploadFile
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from server.audit import record, record_many
from server.auth.models import SessionKind
from server.auth.principal import Principal
from server.auth.sessions import end_sessions
from server.deps import InstructorAuth, SessionDep, StaffAuth
from server.errors import (
    InstructorOnly,
    InvalidInput,
    PayloadTooLarge,
    StudentExists,
    StudentNotFound,
    TeacherOnly,
    error_responses,
)
from server.ingress.budgets import ROSTER_BYTES as MAX_ROSTER_BYTES
from server.models import STUDENT_ID_PATTERN, Student, StudentCreate, StudentCreated, StudentPublic
from server.security import hash_token, new_token
from server.tables import students_t

router = APIRouter(prefix="/students", tags=["students"])

MAX_ROSTER_ROWS = 5000


def _insert(session: Session, rows: list[StudentCreate], by: Principal, action: str) -> list[StudentCreated]:
    ids = [r.student_id for r in rows]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise StudentExists(f"student ids repeated in the roster: {', '.join(dupes[:20])}")
    existing = session.exec(select(Student.student_id).where(students_t.c.student_id.in_(ids))).all()
    if existing:
        raise StudentExists(f"students already exist: {', '.join(sorted(existing)[:20])}")
    created: list[StudentCreated] = []
    for row in rows:
        token = new_token()
        session.add(Student(student_id=row.student_id, name=row.name, token_hash=hash_token(token), email=row.email,
                            sis_id=row.sis_id))
        created.append(StudentCreated(student_id=row.student_id, name=row.name, email=row.email, sis_id=row.sis_id,
                                      token=token))
    try:
        # A flush here may meet the concurrent request's rows too.
        record_many(session, by=by, action=action,
                    entries=[(f"student:{row.student_id}", {"name": row.name}) for row in rows])
        session.commit()
    except IntegrityError:  # a concurrent request created one of them
        session.rollback()
        raise StudentExists("a student with one of these ids already exists") from None
    return created


@router.post(
    "",
    status_code=201,
    response_model=StudentCreated,
    response_model_exclude_none=True,
    summary="Create a student and issue their token (shown once)",
    responses=error_responses(TeacherOnly, InstructorOnly, StudentExists),
)
def create_student(instructor: InstructorAuth, session: SessionDep, body: StudentCreate) -> StudentCreated:
    return _insert(session, [body], instructor, "student.add")[0]


def _parse_roster(data: bytes) -> list[StudentCreate]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("the roster is not UTF-8") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    if "student_id" not in header or "name" not in header:
        raise InvalidInput("the roster needs a header row with the columns student_id,name")
    reader.fieldnames = header
    rows: list[StudentCreate] = []
    try:
        for line_no, record in enumerate(reader, start=2):
            if not any((v or "").strip() for v in record.values() if isinstance(v, str)):
                continue  # blank line
            try:
                rows.append(StudentCreate(
                    student_id=record.get("student_id") or "", name=record.get("name") or "",
                    # Optional columns for LMS grade files; an empty cell means "none".
                    email=(record.get("email") or "").strip() or None,
                    sis_id=(record.get("sis_id") or "").strip() or None,
                ))
            except ValidationError as exc:
                fields = ", ".join(str(e["loc"][0]) for e in exc.errors() if e["loc"])
                raise InvalidInput(
                    f"line {line_no}: invalid {fields} (student_id must match {STUDENT_ID_PATTERN}; email needs "
                    "one @ and no spaces)"
                ) from None
            if len(rows) > MAX_ROSTER_ROWS:
                raise InvalidInput(f"at most {MAX_ROSTER_ROWS} students per import")
    except csv.Error as exc:
        raise InvalidInput(f"the roster is not valid CSV: {exc}") from None
    if not rows:
        raise InvalidInput("the roster has no students")
    return rows


@router.post(
    "/import",
    status_code=201,
    response_model=list[StudentCreated],
    response_model_exclude_none=True,
    summary="Import a roster: a CSV file with the header student_id,name (optional columns email, sis_id); "
    "all or nothing",
    responses=error_responses(TeacherOnly, InstructorOnly, StudentExists, PayloadTooLarge, InvalidInput),
)
def import_students(
    instructor: InstructorAuth,
    session: SessionDep,
    file: Annotated[UploadFile, File(description="CSV, UTF-8 (a BOM is fine), header student_id,name")],
) -> list[StudentCreated]:
    data = file.file.read(MAX_ROSTER_BYTES + 1)
    if len(data) > MAX_ROSTER_BYTES:
        raise PayloadTooLarge(f"the roster may be at most {MAX_ROSTER_BYTES // 1024} KiB")
    return _insert(session, _parse_roster(data), instructor, "student.import")


# email and sis_id are left out of a student's JSON when unset, so existing clients see the same keys.
@router.get("", response_model=list[StudentPublic], response_model_exclude_none=True, summary="List students",
            responses=error_responses(TeacherOnly))
def list_students(_staff: StaffAuth, session: SessionDep) -> list[StudentPublic]:
    students = session.exec(select(Student).order_by(Student.student_id)).all()
    return [StudentPublic(student_id=s.student_id, name=s.name, email=s.email, sis_id=s.sis_id) for s in students]


@router.post(
    "/{student_id}/token",
    response_model=StudentCreated,
    response_model_exclude_none=True,
    summary="Issue a new token for a student (the old one stops working)",
    responses=error_responses(TeacherOnly, InstructorOnly, StudentNotFound),
)
def rotate_token(
    instructor: InstructorAuth,
    session: SessionDep,
    student_id: Annotated[str, Path(pattern=STUDENT_ID_PATTERN)],
) -> StudentCreated:
    student = session.get(Student, student_id)
    if student is None:
        raise StudentNotFound(f"no student {student_id!r}")
    token = new_token()
    student.token_hash = hash_token(token)
    session.add(student)
    end_sessions(session, SessionKind.student, student.student_id)  # signed out of the pages everywhere
    record(session, by=instructor, action="student.token", target=f"student:{student_id}")
    session.commit()
    return StudentCreated(student_id=student.student_id, name=student.name, email=student.email,
                          sis_id=student.sis_id, token=token)
