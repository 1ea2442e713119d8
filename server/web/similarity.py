"""The teacher's similarity pages: the pairs of one exercise and one pair side by side, with the matching
regions highlighted (under /scoreboard, so the teacher's sign-in cookie applies), and the same report as
one self-contained HTML file (`rnn-grader similarity --out`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import numpy as np
from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from markupsafe import Markup, escape
from sqlmodel import Session, select

from grader.times import show_time
from server.auth.sessions import BrowserSession, StaffPage
from server.deps import ContextDep, SessionDep
from server.errors import AppError
from server.models import Student, Submission
from server.similarity.regions import Span, pair_regions
from server.similarity.report import DEFAULT_THRESHOLD
from server.similarity.service import SimilarityDep, SimilarityService, Status
from server.similarity.winnow import template_hashes
from server.web.board import ExerciseInfo, exercise_infos
from server.web.i18n import request_lang, t
from server.web.routes import HOME, STATIC_DIR, render_page, templates

router = APIRouter(include_in_schema=False)
BASE = f"{HOME}/similarity"
REFRESH_S = 3
MATCH_COLOURS = 6
STANDALONE_PAIRS = 50  # side-by-side views in the downloadable file (every pair is listed)
PAGE_ROWS = 500  # the page lists the most similar pairs (min=0 on 300 students would be 44,850 rows)


# ---------------------------------------------------------------- highlighted source
def code_lines(source: str, matches: list[Span], template: list[Span]) -> list[Markup]:
    """The source as HTML lines: matches in numbered colours, template text grey, everything escaped."""
    labels = np.zeros(len(source), dtype=np.int64)
    for span in matches:
        labels[span.start : span.end] = span.label
    for span in template:  # a match's first or last tokens may be template text: shown as template
        labels[span.start : span.end] = -1
    bounds = (np.flatnonzero(np.diff(labels)) + 1).tolist()
    lines: list[list[Markup]] = [[]]
    for start, end in zip([0, *bounds], [*bounds, len(source)], strict=True):
        label = int(labels[start]) if start < len(source) else 0
        for i, piece in enumerate(source[start:end].split("\n")):
            if i:
                lines.append([])
            if not piece:
                continue
            if label > 0:
                lines[-1].append(Markup('<mark class="m{}" title="{} {}">{}</mark>').format(
                    label % MATCH_COLOURS, "#", label, piece))
            elif label < 0:
                lines[-1].append(Markup('<span class="tpl">{}</span>').format(piece))
            else:
                lines[-1].append(escape(piece))
    return [Markup("").join(parts) for parts in lines]


@dataclass(frozen=True)
class Side:
    student_id: str
    name: str
    submission_id: int
    share: float
    lines: list[Markup]


@dataclass(frozen=True)
class PairView:
    similarity: float
    a: Side
    b: Side


def _names(db: Session) -> dict[str, str]:
    return {s.student_id: s.name for s in db.exec(select(Student)).all()}


def pair_view(service: SimilarityService, db: Session, exercise: str, submission_a: int, submission_b: int,
              names: dict[str, str]) -> PairView | None:
    """Both submissions side by side, scored as the report scores them; None unless both exist and belong
    to this exercise (any two may be compared, not only the counted ones)."""
    if submission_a == submission_b or not all(1 <= i < 2**63 for i in (submission_a, submission_b)):
        return None
    a, b = db.get(Submission, submission_a), db.get(Submission, submission_b)
    if a is None or b is None or a.exercise != exercise or b.exercise != exercise:
        return None
    regions = pair_regions(a.source, b.source, template_hashes(service.template(exercise)))
    return PairView(
        similarity=round(max(regions.share_a, regions.share_b), 4),
        a=Side(a.student_id, names.get(a.student_id, ""), submission_a, regions.share_a,
               code_lines(a.source, regions.matches_a, regions.template_a)),
        b=Side(b.student_id, names.get(b.student_id, ""), submission_b, regions.share_b,
               code_lines(b.source, regions.matches_b, regions.template_b)),
    )


def _info(infos: list[ExerciseInfo], exercise: str) -> ExerciseInfo | None:
    return next((info for info in infos if info.id == exercise), None)


def _threshold(request: Request) -> float:
    """`?min=` as a number in [0, 1]; anything else is the default (a page never fails on a bad filter)."""
    try:
        value = float(request.query_params.get("min", DEFAULT_THRESHOLD))
    except ValueError:
        return DEFAULT_THRESHOLD
    return value if 0.0 <= value <= 1.0 else DEFAULT_THRESHOLD


def _fmt_share(value: float) -> str:
    return f"{value * 100:.0f}%"


templates.globals.update(share=_fmt_share, similarity_base=BASE, quote=quote)


# ---------------------------------------------------------------- pages
def _missing(request: Request, lang: str, session: BrowserSession, message: str) -> HTMLResponse:
    return render_page(request, "message.html", lang, status=404, session=session, heading=t("similarity", lang),
                 message=t(message, lang))


@router.get(BASE)
def similarity_home(ctx: ContextDep, _session: StaffPage) -> Response:
    first = min(ctx.catalog.exercises, default=None)
    return RedirectResponse(f"{BASE}/{quote(first)}" if first else HOME, status_code=303)


@router.get(BASE + "/{exercise}")
def similarity_page(request: Request, exercise: str, ctx: ContextDep, db: SessionDep, service: SimilarityDep,
                    session: StaffPage) -> Response:
    lang = request_lang(request)
    infos = exercise_infos(ctx.catalog, lang)
    info = _info(infos, exercise)
    if info is None:
        return _missing(request, lang, session, "exercise_not_found")
    status = service.status(exercise, wait=False)
    threshold = _threshold(request)
    pairs = status.report.pairs(threshold) if status.report is not None else []
    return render_page(request, "similarity.html", lang, session=session, exercises=infos, exercise=info,
                 report_status=status, pairs=pairs[:PAGE_ROWS], total=len(pairs), threshold=threshold,
                 names=_names(db),
                 refresh=REFRESH_S if status.state != "ready" else None)


@router.get(BASE + "/{exercise}/compare")
def similarity_pair_page(request: Request, exercise: str, ctx: ContextDep, db: SessionDep,
                         service: SimilarityDep, session: StaffPage, a: int = 0, b: int = 0) -> Response:
    lang = request_lang(request)
    info = _info(exercise_infos(ctx.catalog, lang), exercise)
    if info is None:
        return _missing(request, lang, session, "exercise_not_found")
    view = pair_view(service, db, exercise, a, b, _names(db))
    if view is None:
        return _missing(request, lang, session, "similarity_not_found")
    return render_page(request, "similarity_pair.html", lang, session=session, exercise=info, view=view,
                 threshold=_threshold(request))


@router.get(BASE + "/{exercise}/report.html")
def similarity_download(request: Request, exercise: str, ctx: ContextDep, service: SimilarityDep,
                        _session: StaffPage) -> Response:
    lang = request_lang(request)
    ctx.catalog.get(exercise)
    status = service.status(exercise, wait=True)
    html = standalone_report(service, exercise, status, _threshold(request), lang)
    return HTMLResponse(html, headers={"Content-Disposition": f'attachment; filename="similarity-{exercise}.html"',
                                       "Cache-Control": "no-store"})


# ---------------------------------------------------------------- one self-contained file
_CSS_FILES = ("app.css", "similarity.css")


def standalone_report(service: SimilarityService, exercise: str, status: Status, threshold: float,
                      lang: str) -> str:
    """The report with its styles inlined and the top pairs side by side: readable offline, no server."""
    if status.report is None:  # pragma: no cover - status(wait=True) always has one
        raise AppError("no report")
    pairs = status.report.pairs(threshold)
    info = _info(exercise_infos(service.catalog, lang), exercise)
    with Session(service.engine) as db:
        names = _names(db)
        views = [v for p in pairs[:STANDALONE_PAIRS]
                 if (v := pair_view(service, db, exercise, p.submission_a, p.submission_b, names))]

    def translate(key: str, **values: object) -> str:
        return t(key, lang, **values)

    css = "\n".join((Path(STATIC_DIR) / name).read_text(encoding="utf-8") for name in _CSS_FILES)
    return templates.get_template("similarity_report.html").render(
        _=translate, lang=lang, css=Markup(css.replace("</", "<\\/")), exercise=info, report_status=status, pairs=pairs,
        views=views, threshold=threshold, names=names, shown=STANDALONE_PAIRS,
        shown_time=lambda value: show_time(value, lang, service.catalog.zone),
    )
