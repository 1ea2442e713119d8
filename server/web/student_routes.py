"""The student's pages (/student...): sign in with the student token, the exercises with the student's own
deadline, downloads, submitting a file or pasted code, a live result page per submission and the history.
Server-rendered like the teacher's pages (same templates, stylesheet and app.js); not in the OpenAPI schema.
Submissions go through server.submissions.service.submit(), so the API's policies apply unchanged."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from grader.result import Text
from server.auth.sessions import STUDENT, BrowserSession, OptionalStudent, StudentData, StudentPage, form_is_genuine
from server.config import Settings
from server.deps import AppContext, ContextDep, SessionDep
from server.errors import AppError, ExerciseNotFound, InvalidInput, PayloadTooLarge, SubmissionNotFound
from server.grading import diagnostics
from server.ingress.budgets import student_page_upload_bytes
from server.models import DiagnosticsStatus, Submission
from server.policies.deadlines import student_deadline
from server.refusals import refusal
from server.routes.exercises import examples_file, template_file
from server.submissions.notebook import check_source_size
from server.submissions.service import precheck, submit
from server.web.charts import misconception_titles
from server.web.detail import student_history
from server.web.drafts import Draft, draft_form, keep_draft
from server.web.i18n import request_lang, t
from server.web.routes import render_page
from server.web.signin import STUDENT_LOGIN, login_page, sign_in_again
from server.web.student_view import load_result, settled, state_marker, student_exercises, time_left
from server.web.uploads import read_upload, submission_body

HOME = "/student"
PASTE = "paste"  # the draft of the submit form's pasted code (server.web.drafts)

router = APIRouter(include_in_schema=False)


def _student_page(request: Request, template: str, lang: str, session: BrowserSession | None, status: int = 200,
                  **context: Any) -> Response:
    return render_page(request, template, lang, status=status, session=session, home=HOME,
                logout_url=f"{HOME}/logout", me=session.student if session else None, time_left=time_left,
                **context)


# ---------------------------------------------------------------- exercises
@router.get("/student")
def student_home(request: Request, ctx: ContextDep, db: SessionDep, session: OptionalStudent) -> Response:
    lang = request_lang(request)
    if session is None:  # /student is where a student starts: the sign-in form, right here
        return login_page(ctx, request, STUDENT_LOGIN, HOME)
    me = session.student
    history, total = student_history(db, me.student_id, ctx.settings.score_policy)
    return _student_page(request, "student_home.html", lang, session,
                         exercises=student_exercises(db, ctx.catalog, me.student_id, lang, ctx.clock()),
                         history=history, total=total)


def _exercise_page(request: Request, ctx: AppContext, db: Session, session: BrowserSession, exercise_id: str,
                   lang: str, status: int = 200, error: str | None = None, source: str = "",
                   confirm_needed: bool = False, notice: str | None = None) -> Response:
    rows = [r for r in student_exercises(db, ctx.catalog, session.student.student_id, lang, ctx.clock())
            if r.id == exercise_id]
    if not rows:
        return _student_page(request, "student_message.html", lang, session, status=404,
                             heading=t("exercise", lang), message=t("no_exercise", lang))
    return _student_page(request, "student_exercise.html", lang, session, status=status, ex=rows[0], error=error,
                         source=source, confirm_needed=confirm_needed, notice=notice,
                         page_url=_exercise_url(exercise_id))


def _exercise_url(exercise_id: str) -> str:
    return f"{HOME}/exercises/{quote(exercise_id, safe='')}"


@draft_form(PASTE, STUDENT, {"source": lambda settings: settings.max_source_bytes}, typed=("source",))
def _paste_back(request: Request, ctx: AppContext, db: Session, session: BrowserSession, draft: Draft,
                notice: str) -> Response:
    """After signing in again: the exercise page, its paste form holding the code that was not submitted."""
    lang = request_lang(request)
    return _exercise_page(request, ctx, db, session, draft.target, lang, source=draft.fields["source"],
                          notice=t(notice, lang))


@router.get("/student/exercises/{exercise_id}")
def student_exercise(request: Request, exercise_id: str, ctx: ContextDep, db: SessionDep,
                     session: StudentPage) -> Response:
    return _exercise_page(request, ctx, db, session, exercise_id, request_lang(request))


@router.get("/student/exercises/{exercise_id}/template")
def student_template(exercise_id: str, ctx: ContextDep, _session: StudentData) -> Response:
    return template_file(ctx.catalog, exercise_id)


@router.get("/student/exercises/{exercise_id}/examples")
def student_examples(exercise_id: str, ctx: ContextDep, _session: StudentData) -> Response:
    return examples_file(ctx.catalog, exercise_id)


async def _read_form(request: Request, settings: Settings) -> tuple[dict[str, str], tuple[str, bytes] | None]:
    """The submit form's text fields, and the uploaded file's name and bytes (None if no file was chosen).
    Sizes are capped while reading."""
    declared = request.headers.get("content-length")
    cap = student_page_upload_bytes(settings)
    if declared is not None and declared.isascii() and declared.isdigit() and int(declared) > cap:
        raise PayloadTooLarge(refusal("upload_too_large", kib=cap // 1024))
    try:
        form = await request.form(max_files=1, max_fields=8, max_part_size=cap)
    except StarletteHTTPException as exc:
        raise InvalidInput(refusal("malformed_form", reason=exc.detail)) from None
    try:
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        upload = form.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            return fields, None
        data = await upload.read(cap + 1)
        if len(data) > cap:
            raise PayloadTooLarge(refusal("upload_too_large", kib=cap // 1024))
        return fields, (upload.filename, data)  # an empty file too: it was chosen (nothing to grade in it)
    finally:
        await form.close()


@router.post("/student/exercises/{exercise_id}/submit")
async def student_submit(request: Request, exercise_id: str, ctx: ContextDep, db: SessionDep,
                         session: OptionalStudent) -> Response:
    lang = request_lang(request)
    if db.in_transaction():
        # Reading the session took a connection: it goes back to the pool before the body is read (a client
        # may take minutes to send it, and fifty such clients would hold the whole pool); the request thread
        # below takes one again. What the session loaded stays readable.
        await run_in_threadpool(db.close)
    if session is None:  # the session ended while the page was open: sign in again, the pasted code comes back
        return await _signed_out_submit(request, ctx, exercise_id)
    try:
        ctx.catalog.get(exercise_id)
        fields, raw = await _read_form(request, ctx.settings)
    except ExerciseNotFound:
        return await run_in_threadpool(_exercise_page, request, ctx, db, session, exercise_id, lang)
    except AppError as exc:
        return await run_in_threadpool(_exercise_page, request, ctx, db, session, exercise_id, lang,
                                       status=exc.status_code, error=exc.message(lang))
    # The rest reads and writes the database and may parse a notebook: a request thread's work, not the loop's.
    return await run_in_threadpool(_submit_form, request, ctx, db, session, exercise_id, lang, fields, raw)


def _submit_form(request: Request, ctx: AppContext, db: Session, session: BrowserSession, exercise_id: str,
                 lang: str, fields: dict[str, str], raw: tuple[str, bytes] | None) -> Response:
    limit = ctx.settings.max_source_bytes
    pasted = fields.get("source", "")
    try:
        if not form_is_genuine(request, session, fields.get("csrf", "")):
            raise InvalidInput(refusal("form_expired"))
        if raw is None and not pasted.strip():  # neither a file chosen nor code pasted
            raise InvalidInput(Text(en=t("nothing_to_submit", "en"), zh=t("nothing_to_submit", "zh")))
        if raw is not None:  # the cutoff, cap and rate limit before a file (a notebook: CPU work) is parsed
            precheck(ctx.engine, ctx.settings, ctx.catalog, session.student.student_id, exercise_id, None,
                     ctx.clock())
        upload = read_upload(*raw, ctx.settings) if raw is not None else None  # .py, or a notebook's definitions
        source = upload.source if upload is not None else pasted
        # A file or paste with nothing to grade is refused by submit() (grader.gradable), saying what was wrong.
        check_source_size(source, limit)
        due = student_deadline(db, ctx.catalog, session.student.student_id, exercise_id)
        # Late as the submission will be judged: the late policy's grace included.
        late = ctx.catalog.late_policy(exercise_id).is_late(due.deadline, ctx.clock())
        if late and fields.get("confirm_late") != "1":
            return _exercise_page(request, ctx, db, session, exercise_id, lang, status=409,
                                  error=t("late_confirm_needed", lang), source=pasted, confirm_needed=True)
        sub = submit(db, ctx.settings, ctx.catalog, ctx.queue, session.student.student_id,
                     submission_body(exercise_id, source, upload), now=ctx.clock())
    except AppError as exc:
        return _exercise_page(request, ctx, db, session, exercise_id, lang, status=exc.status_code,
                              error=exc.message(lang), source=pasted if len(pasted) <= limit else "")
    return RedirectResponse(f"{HOME}/submissions/{sub.id}", status_code=303)


async def _signed_out_submit(request: Request, ctx: AppContext, exercise_id: str) -> Response:
    """The submit form without a session (the guard read at most paste_bytes of it): nothing is submitted; the
    sign-in form keeps the pasted code (a chosen file is not kept: it is still on the student's disk)."""
    try:
        fields, _file = await _read_form(request, ctx.settings)
    except AppError:
        fields = {}
    draft = keep_draft(ctx, request, PASTE, exercise_id, {"source": fields.get("source", "")})
    return sign_in_again(ctx, request, STUDENT_LOGIN, _exercise_url(exercise_id), draft)


# ---------------------------------------------------------------- results and history
@router.get("/student/submissions")
def student_submissions(request: Request, ctx: ContextDep, db: SessionDep, session: StudentPage) -> Response:
    lang = request_lang(request)
    history, total = student_history(db, session.student.student_id, ctx.settings.score_policy)
    return _student_page(request, "student_history.html", lang, session, history=history, total=total)


@router.get("/student/submissions/{submission_id}")
def student_result(request: Request, submission_id: int, ctx: ContextDep, db: SessionDep,
                   session: StudentPage) -> Response:
    lang = request_lang(request)
    result = load_result(db, ctx.catalog, session.student.student_id, submission_id, lang, ctx.clock())
    if result is None:
        return _student_page(request, "student_message.html", lang, session, status=404,
                             heading=t("submission", lang), message=t("no_submission", lang))
    if result.view.diagnostics_status is DiagnosticsStatus.available:
        # Opening the result draws its charts (not drawn with it: every test passed); the page waits for them.
        diagnostics.request(ctx.engine, ctx.queue, submission_id)
        db.rollback()
        result = load_result(db, ctx.catalog, session.student.student_id, submission_id, lang, ctx.clock())
        assert result is not None
    template = "_student_result.html" if request.query_params.get("fragment") == "1" else "student_result.html"
    titles = misconception_titles(ctx.catalog.exercises.get(result.view.exercise), lang)
    return _student_page(request, template, lang, session, result=result, marker=result.marker,
                         mis_titles=titles)


@router.post("/student/submissions/{submission_id}/charts")
def student_ask_charts(request: Request, submission_id: int, ctx: ContextDep, db: SessionDep, session: StudentPage,
                       csrf: Annotated[str, Form(max_length=200)] = "") -> Response:
    """The result page's button: draw the charts of a result whose tests all passed (or whose chart run
    failed). Only when the visibility policy shows the student the charts now; the page then waits for them."""
    page = f"{HOME}/submissions/{submission_id}"
    if not form_is_genuine(request, session, csrf):
        return RedirectResponse(page, status_code=303)  # a forged or expired form: show the page, ask nothing
    result = load_result(db, ctx.catalog, session.student.student_id, submission_id, request_lang(request),
                         ctx.clock())
    if result is not None and result.charts_askable:
        diagnostics.request(ctx.engine, ctx.queue, submission_id)
    return RedirectResponse(page, status_code=303)


@router.get("/student/submissions/{submission_id}/state")
def student_result_state(submission_id: int, ctx: ContextDep, db: SessionDep, session: StudentData) -> JSONResponse:
    """What the result page polls: a marker that changes when the page would, and whether it still can."""
    sub = db.get(Submission, submission_id) if 1 <= submission_id < 2**63 else None
    if sub is None or sub.student_id != session.student.student_id:
        raise SubmissionNotFound()
    response = JSONResponse({"marker": state_marker(sub), "done": settled(db, ctx.catalog, sub, ctx.clock())})
    response.headers["Cache-Control"] = "no-store"
    return response
