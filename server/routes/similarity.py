"""The teacher's similarity report as JSON (and as a standalone HTML file for `rnn-grader similarity --out`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.responses import HTMLResponse

from server.deps import StaffAuth
from server.errors import ExerciseNotFound, TeacherOnly, error_responses
from server.similarity.report import DEFAULT_THRESHOLD, SimilarityPair
from server.similarity.service import SimilarityComputing, SimilarityDep, SimilarityFailed, Status
from server.web.similarity import standalone_report

router = APIRouter(tags=["similarity"])

MinSimilarity = Annotated[
    float,
    Query(alias="min", ge=0.0, le=1.0, allow_inf_nan=False,
          description=f"Only pairs at least this similar (0..1; default {DEFAULT_THRESHOLD}, see docs/similarity.md)"),
]
Wait = Annotated[
    bool,
    Query(description="Wait (up to 20 s) for the report of the current submissions; false: answer at once with "
          "the last report (202 and [] when there is none yet). X-Similarity-State says which."),
]
ERRORS = error_responses(TeacherOnly, ExerciseNotFound, SimilarityComputing, SimilarityFailed)


def _describe(response: Response, status: Status) -> None:
    response.headers["X-Similarity-State"] = status.state
    response.headers["X-Similarity-Submissions"] = str(status.compared)
    if status.report is not None:
        response.headers["X-Similarity-Computed-At"] = status.report.computed_at.isoformat()
    response.headers["Cache-Control"] = "no-store"


@router.get(
    "/similarity/{exercise}",
    response_model=list[SimilarityPair],
    summary="Teacher: pairs of students whose counted submissions share code, most similar first",
    responses={202: {"model": list[SimilarityPair], "description": "`wait=false` and no report yet: []"}, **ERRORS},
)
def get_similarity(
    exercise: str,
    _staff: StaffAuth,
    service: SimilarityDep,
    response: Response,
    min_similarity: MinSimilarity = DEFAULT_THRESHOLD,
    wait: Wait = True,
) -> list[SimilarityPair]:
    status = service.status(exercise, wait=wait)
    _describe(response, status)
    if status.report is None:
        response.status_code = 202
        return []
    return status.report.pairs(min_similarity)


@router.get(
    "/similarity/{exercise}/report.html",
    response_class=Response,  # not HTMLResponse: the error bodies stay documented as JSON
    summary="Teacher: the report as one self-contained HTML file, each flagged pair side by side",
    responses={200: {"content": {"text/html": {"schema": {"type": "string"}}}, "description": "HTML file"}, **ERRORS},
)
def get_similarity_html(
    exercise: str,
    _staff: StaffAuth,
    service: SimilarityDep,
    min_similarity: MinSimilarity = DEFAULT_THRESHOLD,
    lang: Annotated[str, Query(pattern="^(en|zh)$")] = "en",
) -> HTMLResponse:
    status = service.status(exercise, wait=True)
    html = standalone_report(service, exercise, status, min_similarity, lang)
    response = HTMLResponse(html)
    _describe(response, status)
    response.headers["Content-Disposition"] = f'attachment; filename="similarity-{exercise}.html"'
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response
