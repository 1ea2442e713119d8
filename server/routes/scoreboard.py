"""The teacher's scoreboard as JSON rows and as a CSV download."""

from __future__ import annotations

from enum import StrEnum

from fastapi import APIRouter, Response
from sqlmodel import select

from server.deps import CatalogDep, SessionDep, SettingsDep, StaffAuth
from server.errors import TeacherOnly, error_responses
from server.models import ScoreboardRow, Student
from server.scoreboard.export import scoreboard_csv
from server.scoreboard.lms import canvas_csv, moodle_csv
from server.scoreboard.query import scoreboard_rows

router = APIRouter(tags=["scoreboard"])


class CsvFormat(StrEnum):
    default = "default"  # student_id, name, one column per exercise, total, late
    canvas = "canvas"  # Canvas Gradebook import
    moodle = "moodle"  # Moodle grade import (match on ID number or email)


@router.get(
    "/scoreboard",
    response_model=list[ScoreboardRow],
    summary="Per student: counted score per exercise (best or latest, RNN_GRADER_SCORE_POLICY), total, late",
    responses=error_responses(TeacherOnly),
)
def get_scoreboard(
    _staff: StaffAuth, session: SessionDep, catalog: CatalogDep, settings: SettingsDep
) -> list[ScoreboardRow]:
    return scoreboard_rows(session, sorted(catalog.exercises), settings.score_policy)


@router.get(
    "/scoreboard.csv",
    response_class=Response,
    summary="The scoreboard as CSV (UTF-8 with BOM); ?format=canvas or moodle for an LMS grade import file",
    responses={
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "CSV file"},
        **error_responses(TeacherOnly),
    },
)
def get_scoreboard_csv(
    _staff: StaffAuth, session: SessionDep, catalog: CatalogDep, settings: SettingsDep,
    format: CsvFormat = CsvFormat.default,  # noqa: A002 - the query parameter's public name
) -> Response:
    exercises = sorted(catalog.exercises)
    rows = scoreboard_rows(session, exercises, settings.score_policy)
    filename = "scoreboard.csv"
    if format is CsvFormat.default:
        data = scoreboard_csv(rows, exercises)
    else:
        students = {s.student_id: s for s in session.exec(select(Student)).all()}
        columns = list(rows[0].scores) if rows else exercises
        if format is CsvFormat.canvas:
            max_scores = {e: catalog.exercises[e].spec.max_score for e in columns if e in catalog.exercises}
            data, filename = canvas_csv(rows, students, columns, max_scores), "canvas-grades.csv"
        else:
            data, filename = moodle_csv(rows, students, columns), "moodle-grades.csv"
    return Response(
        data,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
