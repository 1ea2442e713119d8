"""The teacher's scoreboard as JSON rows and as a CSV download."""

from __future__ import annotations

from fastapi import APIRouter, Response

from server.deps import CatalogDep, SessionDep, SettingsDep, TeacherAuth
from server.errors import TeacherOnly, error_responses
from server.models import ScoreboardRow
from server.scoreboard.export import scoreboard_csv
from server.scoreboard.query import scoreboard_rows

router = APIRouter(tags=["scoreboard"])


@router.get(
    "/scoreboard",
    response_model=list[ScoreboardRow],
    summary="Per student: counted score per exercise (best or latest, RNN_GRADER_SCORE_POLICY), total, late",
    responses=error_responses(TeacherOnly),
)
def get_scoreboard(
    _teacher: TeacherAuth, session: SessionDep, catalog: CatalogDep, settings: SettingsDep
) -> list[ScoreboardRow]:
    return scoreboard_rows(session, sorted(catalog.exercises), settings.score_policy)


@router.get(
    "/scoreboard.csv",
    response_class=Response,
    summary="The scoreboard as CSV (UTF-8 with BOM)",
    responses={
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "CSV file"},
        **error_responses(TeacherOnly),
    },
)
def get_scoreboard_csv(
    _teacher: TeacherAuth, session: SessionDep, catalog: CatalogDep, settings: SettingsDep
) -> Response:
    exercises = sorted(catalog.exercises)
    data = scoreboard_csv(scoreboard_rows(session, exercises, settings.score_policy), exercises)
    return Response(
        data,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="scoreboard.csv"'},
    )
