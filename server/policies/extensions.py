"""Per-student extensions: set (insert or replace), remove, list, and the all-or-nothing CSV import
(student_id, exercise, deadline). An extension replaces the exercise's deadline for that student from the
moment it is set; submissions already made keep the late flag and penalty decided when they came in."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from server import audit
from server.auth.principal import Principal
from server.catalog import Catalog
from server.db import utcnow
from server.errors import ExtensionNotFound, InvalidInput, StudentNotFound
from server.models import EXERCISE_ID_PATTERN, STUDENT_ID_PATTERN, Extension, ExtensionPublic, ExtensionSet, Student

MAX_IMPORT_ROWS = 20_000
MAX_REPORTED = 20  # bad lines named in one error


def public(extension: Extension, catalog: Catalog) -> ExtensionPublic:
    return ExtensionPublic(
        student_id=extension.student_id,
        exercise=extension.exercise,
        deadline=extension.deadline,
        exercise_deadline=catalog.deadlines.get(extension.exercise),
        updated_at=extension.updated_at,
    )


def _upsert(session: Session, student_id: str, exercise: str, deadline: dt.datetime) -> Extension:
    now = utcnow()
    row = session.get(Extension, (student_id, exercise))
    if row is None:
        row = Extension(student_id=student_id, exercise=exercise, deadline=deadline, created_at=now, updated_at=now)
    else:
        row.deadline, row.updated_at = deadline, now
    session.add(row)
    return row


def _commit(session: Session) -> None:
    try:
        session.commit()
    except IntegrityError:  # the same extension created at the same moment by another request: retry once
        session.rollback()
        raise InvalidInput("the extension changed while it was being written; send the request again") from None


def set_extension(
    session: Session, catalog: Catalog, student_id: str, exercise: str, deadline: dt.datetime, by: Principal
) -> ExtensionPublic:
    catalog.get(exercise)  # ExerciseNotFound
    if session.get(Student, student_id) is None:
        raise StudentNotFound(f"no student {student_id!r}")
    row = _upsert(session, student_id, exercise, deadline.astimezone(dt.UTC))
    audit.record(session, by=by, action="extension.set", target=f"{student_id}/{exercise}",
                 detail={"deadline": deadline.astimezone(dt.UTC).isoformat()})
    _commit(session)
    session.refresh(row)
    return public(row, catalog)


def remove_extension(session: Session, student_id: str, exercise: str, by: Principal) -> None:
    row = session.get(Extension, (student_id, exercise))
    if row is None:
        raise ExtensionNotFound(f"student {student_id!r} has no extension for {exercise!r}")
    audit.record(session, by=by, action="extension.remove", target=f"{student_id}/{exercise}",
                 detail={"deadline": row.deadline.isoformat()})
    session.delete(row)
    session.commit()


def list_extensions(
    session: Session, catalog: Catalog, student_id: str | None = None, exercise: str | None = None
) -> list[ExtensionPublic]:
    query = select(Extension)
    if student_id is not None:
        query = query.where(Extension.student_id == student_id)
    if exercise is not None:
        query = query.where(Extension.exercise == exercise)
    rows = session.exec(query.order_by(col(Extension.student_id), col(Extension.exercise))).all()
    return [public(row, catalog) for row in rows]


# ---------------------------------------------------------------- CSV import
@dataclass(frozen=True)
class ImportRow:
    line: int
    student_id: str
    exercise: str
    deadline: dt.datetime


def _parse_deadline(text: str) -> dt.datetime:
    """Through the API's own model, so a file accepts exactly what PUT accepts."""
    return ExtensionSet(deadline=text.strip()).deadline  # type: ignore[arg-type]


def parse_csv(data: bytes, catalog: Catalog, known_students: set[str]) -> list[ImportRow]:
    """Every row, or InvalidInput naming each bad line (line numbers count the header as line 1)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("the file is not UTF-8") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in ("student_id", "exercise", "deadline") if c not in header]
    if missing:
        raise InvalidInput(f"the file needs a header row with the columns student_id,exercise,deadline "
                           f"(missing: {', '.join(missing)})")
    reader.fieldnames = header
    rows: list[ImportRow] = []
    problems: list[str] = []
    seen: dict[tuple[str, str], int] = {}
    try:
        for line_no, record in enumerate(reader, start=2):
            values = {k: (v or "").strip() for k, v in record.items() if isinstance(k, str) and isinstance(v, str)}
            if not any(values.values()):
                continue  # blank line
            student_id, exercise = values.get("student_id", ""), values.get("exercise", "")
            if not re.match(STUDENT_ID_PATTERN, student_id):
                problems.append(f"line {line_no}: invalid student_id {student_id!r}")
                continue
            if not re.match(EXERCISE_ID_PATTERN, exercise) or exercise not in catalog.exercises:
                problems.append(f"line {line_no}: unknown exercise {exercise!r}")
                continue
            if student_id not in known_students:
                problems.append(f"line {line_no}: unknown student {student_id!r}")
                continue
            try:
                deadline = _parse_deadline(values.get("deadline", ""))
            except (ValueError, ValidationError):
                problems.append(f"line {line_no}: deadline {values.get('deadline', '')!r} is not ISO 8601 with a "
                                "UTC offset (e.g. 2026-12-27T23:59:00+08:00)")
                continue
            if (student_id, exercise) in seen:
                problems.append(f"line {line_no}: {student_id}/{exercise} already given on line "
                                f"{seen[(student_id, exercise)]}")
                continue
            seen[(student_id, exercise)] = line_no
            rows.append(ImportRow(line_no, student_id, exercise, deadline))
            if len(rows) > MAX_IMPORT_ROWS:
                raise InvalidInput(f"at most {MAX_IMPORT_ROWS} extensions per import")
    except csv.Error as exc:
        raise InvalidInput(f"the file is not valid CSV: {exc}") from None
    if problems:
        more = f"; and {len(problems) - MAX_REPORTED} more" if len(problems) > MAX_REPORTED else ""
        raise InvalidInput(f"{len(problems)} bad row(s), nothing imported: " + "; ".join(problems[:MAX_REPORTED])
                           + more)
    if not rows:
        raise InvalidInput("the file has no extensions")
    return rows


def import_csv(session: Session, catalog: Catalog, data: bytes, by: Principal) -> list[ExtensionPublic]:
    """All rows or none: each one sets (or replaces) that student's extension."""
    students = set(session.exec(select(Student.student_id)).all())
    rows = parse_csv(data, catalog, students)
    stored = [_upsert(session, r.student_id, r.exercise, r.deadline.astimezone(dt.UTC)) for r in rows]
    audit.record_many(session, by=by, action="extension.set", reason="CSV import", entries=[
        (f"{r.student_id}/{r.exercise}", {"deadline": r.deadline.astimezone(dt.UTC).isoformat()}) for r in rows])
    _commit(session)
    return [public(row, catalog) for row in _refreshed(session, stored)]


def _refreshed(session: Session, rows: Sequence[Extension]) -> list[Extension]:
    for row in rows:
        session.refresh(row)
    return list(rows)
