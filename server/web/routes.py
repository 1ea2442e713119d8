"""The teacher's pages (/scoreboard...) and the optional public leaderboard. Server-rendered HTML that
works without JavaScript; app.js only adds the live refresh and local times. Not in the OpenAPI schema."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlmodel import Session
from starlette.exceptions import HTTPException as StarletteHTTPException

from grader.times import show_time
from server.auth.sessions import BrowserSession, StaffData, StaffPage, form_is_genuine
from server.deps import AppContext, ContextDep, SessionDep
from server.grading import diagnostics
from server.models import DiagnosticsStatus, Submission
from server.scoreboard.export import scoreboard_csv
from server.scoreboard.query import scoreboard_rows
from server.web import svg
from server.web.actions import teacher_actions
from server.web.board import (
    Row,
    change_marker,
    exercise_infos,
    exercise_stats,
    load_board,
    parse_query,
    pending_count,
    select_rows,
    sort_keys,
    submissions_per_hour,
)
from server.web.charts import exercise_charts, misconception_titles
from server.web.detail import highlight_css, load_student_page
from server.web.drafts import Draft
from server.web.i18n import remember_lang, request_lang, t
from server.web.leaderboard import leaderboard

WEB_DIR = Path(__file__).resolve().parent
STATIC_DIR = WEB_DIR / "static"
ASSET_VERSION = "3"
HOME = "/scoreboard"
MARKER_HEADER = "X-Live-Marker"
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
_HIGHLIGHT_CSS = highlight_css()

router = APIRouter(include_in_schema=False)


def _fmt(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _score_class(value: float | None, max_score: float | None) -> str:
    if value is None:
        return "s-none"
    if max_score and value >= max_score:
        return "s-full"
    return "s-zero" if value <= 0 else "s-part"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 120:
        return f"{seconds:.1f} s"
    return f"{seconds / 60:.0f} min"


def _first_dir(key: str) -> str:
    return "asc" if key in ("id", "name") else "desc"


def _row_key(row: Row) -> str:
    """Changes when anything shown in the row changes (the live refresh highlights such rows)."""
    cells = [(c.score, c.submissions, c.last.isoformat() if c.last else None) for c in row.cells.values()]
    return hashlib.sha1(repr((row.total, row.late, cells)).encode(), usedforsecurity=False).hexdigest()[:12]


templates = Environment(loader=FileSystemLoader(WEB_DIR / "templates"), autoescape=True, undefined=StrictUndefined,
                   trim_blocks=True, lstrip_blocks=True)
templates.globals.update(fmt=_fmt, score_class=_score_class, duration=_duration, first_dir=_first_dir, row_key=_row_key,
                    qs=urlencode, version=ASSET_VERSION, home=HOME, meter=svg.meter)


def render_page(request: Request, template: str, lang: str, status: int = 200,
                session: BrowserSession | None = None, **context: Any) -> HTMLResponse:
    """A page in `lang`. With a session: its sign-out form (CSRF value) and who is signed in."""
    def translate(key: str, **values: object) -> str:
        return t(key, lang, **values)

    ctx = request.app.state.ctx  # as server.deps.get_context reads it
    now = ctx.clock()

    def shown_time(value: object) -> str:
        """The one way a time is shown (grader.times): in the course's zone with its offset, and relative."""
        return show_time(value, lang, ctx.catalog.zone, now)

    other = "en" if lang == "zh" else "zh"
    params = {k: v for k, v in request.query_params.items() if k not in ("lang", "fragment")}
    html = templates.get_template(template).render(
        _=translate, shown_time=shown_time, lang=lang, csrf=session.csrf if session else None,
        who=session.principal if session else None, lang_url="?" + urlencode({**params, "lang": other}), **context
    )
    response = HTMLResponse(html, status_code=status)
    _secure(response)
    remember_lang(request, response)
    if isinstance(context.get("marker"), str):
        # The state this page (or fragment) was rendered from: app.js keeps it, so a change that lands
        # while a fragment is rendered is seen on the next poll instead of being taken for shown.
        response.headers[MARKER_HEADER] = context["marker"]
    return response


def _secure(response: Response) -> None:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "no-store"


# ---------------------------------------------------------------- the scoreboard
@router.get("/scoreboard")
def scoreboard_page(request: Request, ctx: ContextDep, db: SessionDep, session: StaffPage) -> Response:
    return scoreboard_response(request, ctx, db, session)


def scoreboard_response(request: Request, ctx: AppContext, db: Session, session: BrowserSession,
                        draft: Draft | None = None, draft_notice: str | None = None) -> Response:
    """The scoreboard; with a draft, the answer to a regrade request that was not sent, back in its form."""
    lang = request_lang(request)
    marker = change_marker(db)  # before the data: a change in between shows on the next poll
    policy = ctx.settings.score_policy
    board = load_board(db, ctx.catalog, policy, lang)
    query = parse_query(dict(request.query_params), sort_keys(board.exercises))
    hourly = submissions_per_hour(db)
    charts = [exercise_charts(board, ex, ctx.catalog.exercises.get(ex.id), hourly.get(ex.id, []), lang,
                              ctx.catalog.zone)
              for ex in board.exercises]
    template = "_board.html" if request.query_params.get("fragment") == "1" else "scoreboard.html"
    return render_page(
        request, template, lang, session=session, board=board, query=query, page=select_rows(board.rows, query),
        stats={ex.id: exercise_stats(board, ex) for ex in board.exercises}, charts=charts, marker=marker,
        pending=pending_count(db), policy=policy, ncols=4 + sum(len(ex.parts) + 3 for ex in board.exercises),
        draft=draft, draft_notice=draft_notice, page_url=HOME if draft is not None else None,
        **teacher_actions(db, session.principal.is_instructor),
    )


@router.get("/scoreboard/state")
def scoreboard_state(ctx: ContextDep, db: SessionDep, _session: StaffData) -> JSONResponse:
    """What the page polls (every ~2 s): a marker that changes whenever the page would."""
    response = JSONResponse({"marker": change_marker(db)})
    response.headers["Cache-Control"] = "no-store"
    return response


def _download(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"}


@router.get("/scoreboard/export.csv")
def export_csv(ctx: ContextDep, db: SessionDep, _session: StaffData) -> Response:
    exercises = sorted(ctx.catalog.exercises)
    data = scoreboard_csv(scoreboard_rows(db, exercises, ctx.settings.score_policy), exercises)
    return Response(data, media_type="text/csv; charset=utf-8", headers=_download("scoreboard.csv"))


@router.get("/scoreboard/export.json")
def export_json(ctx: ContextDep, db: SessionDep, _session: StaffData) -> Response:
    rows = scoreboard_rows(db, sorted(ctx.catalog.exercises), ctx.settings.score_policy)
    body = json.dumps([r.model_dump(mode="json") for r in rows], ensure_ascii=False, indent=1)
    return Response(body.encode("utf-8"), media_type="application/json", headers=_download("scoreboard.json"))


@router.get("/scoreboard/highlight.css")
def highlight_stylesheet() -> Response:
    return Response(_HIGHLIGHT_CSS, media_type="text/css", headers={"Cache-Control": "public, max-age=86400"})


@router.get("/scoreboard/students/{student_id}")
def student_page(request: Request, student_id: str, ctx: ContextDep, db: SessionDep, session: StaffPage,
                 submission: int | None = None) -> Response:
    lang = request_lang(request)
    marker = change_marker(db)
    chosen = submission if submission is not None and 1 <= submission < 2**63 else None
    page = load_student_page(db, ctx.catalog, student_id, chosen, lang, ctx.settings.score_policy)
    if page is None:
        return render_page(request, "message.html", lang, status=404, session=session, heading=t("student", lang),
                     message=t("not_found", lang))
    if page.detail is not None and page.detail.view.diagnostics_status is DiagnosticsStatus.available:
        # Opening a submission draws its charts (not drawn with the result: every test passed).
        diagnostics.request(ctx.engine, ctx.queue, page.detail.view.id)
        db.rollback()
        page = load_student_page(db, ctx.catalog, student_id, chosen, lang, ctx.settings.score_policy)
        assert page is not None
    mis_titles: dict[str, str] = {}
    if page.detail is not None:
        mis_titles = misconception_titles(ctx.catalog.exercises.get(page.detail.view.exercise), lang)
    template = "_student.html" if request.query_params.get("fragment") == "1" else "student.html"
    return render_page(request, template, lang, session=session, student=page, detail=page.detail, marker=marker,
                 mis_titles=mis_titles)


@router.post("/scoreboard/submissions/{submission_id}/charts")
def teacher_ask_charts(request: Request, submission_id: int, ctx: ContextDep, db: SessionDep, session: StaffPage,
                       csrf: Annotated[str, Form(max_length=200)] = "") -> Response:
    """The drill-down's button: draw the charts of a result that has none yet (server.grading.diagnostics)."""
    sub = db.get(Submission, submission_id) if 1 <= submission_id < 2**63 else None
    if sub is None:
        return RedirectResponse(HOME, status_code=303)
    if form_is_genuine(request, session, csrf):
        diagnostics.request(ctx.engine, ctx.queue, submission_id)
    return RedirectResponse(f"{HOME}/students/{quote(sub.student_id)}?submission={submission_id}", status_code=303)


# ---------------------------------------------------------------- public leaderboard (opt-in)
@router.get("/leaderboard")
def leaderboard_page(request: Request, ctx: ContextDep, db: SessionDep) -> Response:
    if not ctx.settings.public_leaderboard:
        raise StarletteHTTPException(404, "Not Found")  # exactly like a path that does not exist
    lang = request_lang(request)
    assert ctx.settings.secret is not None
    exercises = exercise_infos(ctx.catalog, lang)
    entries = leaderboard(db, [ex.id for ex in exercises], ctx.settings.secret.get_secret_value())
    return render_page(request, "leaderboard.html", lang, exercises=exercises, entries=entries)
