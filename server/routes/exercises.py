"""Exercises: what there is to do, the starter file and the public example cases."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import FileResponse

from server.auth.principal import Principal
from server.catalog import Catalog
from server.deps import CatalogDep, LangDep, PrincipalDep, SessionDep
from server.errors import ExerciseNotFound, FileNotAvailable, error_responses
from server.models import EXERCISE_ID_PATTERN, ExercisePublic
from server.policies.deadlines import extensions_of
from server.refusals import refusal
from server.rendering import render_exercise

router = APIRouter(prefix="/exercises", tags=["exercises"])

ExerciseId = Annotated[str, Path(pattern=EXERCISE_ID_PATTERN)]


def _own_extensions(principal: Principal, session: SessionDep) -> dict[str, dt.datetime]:
    """A student sees their own deadline (their extensions); the teacher the exercise's."""
    return {} if principal.student is None else extensions_of(session, principal.student.student_id)


@router.get(
    "",
    response_model=list[ExercisePublic],
    summary="All exercises; `deadline` is the caller's own (a student's extension when they have one)",
    responses=error_responses(),
)
def list_exercises(who: PrincipalDep, session: SessionDep, catalog: CatalogDep, lang: LangDep) -> list[ExercisePublic]:
    extensions = _own_extensions(who, session)
    return [render_exercise(catalog, exercise_id, lang, extensions.get(exercise_id))
            for exercise_id in sorted(catalog.exercises)]


@router.get(
    "/{exercise_id}",
    response_model=ExercisePublic,
    summary="One exercise: description, parts, points, deadline, limits",
    responses=error_responses(ExerciseNotFound),
)
def get_exercise(
    who: PrincipalDep, session: SessionDep, catalog: CatalogDep, lang: LangDep, exercise_id: ExerciseId
) -> ExercisePublic:
    return render_exercise(catalog, exercise_id, lang, _own_extensions(who, session).get(exercise_id))


@router.get(
    "/{exercise_id}/template",
    response_class=FileResponse,
    summary="The starter file with TODOs (text/x-python)",
    responses={
        200: {"content": {"text/x-python": {"schema": {"type": "string"}}}, "description": "The starter file"},
        **error_responses(ExerciseNotFound, FileNotAvailable),
    },
)
def get_template(_who: PrincipalDep, catalog: CatalogDep, exercise_id: ExerciseId) -> FileResponse:
    return template_file(catalog, exercise_id)


@router.get(
    "/{exercise_id}/examples",
    response_class=FileResponse,
    summary="The public example cases (.npz: inputs and expected outputs)",
    responses={
        200: {
            "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
            "description": "A NumPy .npz archive",
        },
        **error_responses(ExerciseNotFound, FileNotAvailable),
    },
)
def get_examples(_who: PrincipalDep, catalog: CatalogDep, exercise_id: ExerciseId) -> FileResponse:
    return examples_file(catalog, exercise_id)


# The files a student may download, shared with the student pages (server.web.student_routes).
def template_file(catalog: Catalog, exercise_id: str) -> FileResponse:
    path = catalog.get(exercise_id).spec.template_path
    if not path.is_file():
        raise FileNotAvailable(refusal("no_template", exercise=exercise_id))
    return FileResponse(path, media_type="text/x-python; charset=utf-8", filename=path.name)


def examples_file(catalog: Catalog, exercise_id: str) -> FileResponse:
    path = catalog.get(exercise_id).spec.public_examples_path
    if not path.is_file():
        raise FileNotAvailable(refusal("no_examples", exercise=exercise_id))
    return FileResponse(path, media_type="application/octet-stream", filename=path.name)
