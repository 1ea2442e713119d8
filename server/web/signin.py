"""Signing in and out of the teacher's pages (/scoreboard: staff) and the student's pages (/student): one
form (login.html), one flow, the sessions of server.auth.sessions.

A sign-in POST counts only from this site's own form (same origin, and the pre-session CSRF value its
cookie holds): another site cannot sign a browser into an account it chose. Unknown tokens count against
the client's address, which then waits (429 + Retry-After, server.auth.attempts). Sign-out needs the session's
CSRF value and the same origin too, and ends the session on the server.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

from server.auth.attempts import client_address
from server.auth.principal import Principal, principal_for_token
from server.auth.sessions import (
    STAFF,
    STUDENT,
    CookieSpec,
    close_session,
    form_is_genuine,
    login_csrf,
    login_form_is_genuine,
    open_session,
    read_session,
    remember_login_csrf,
    same_origin,
    send_session,
    start_session,
)
from server.deps import AppContext, ContextDep, SessionDep
from server.web.drafts import DRAFT_SIGN_IN, Draft, PostedDraft
from server.web.i18n import request_lang, t
from server.web.routes import render_page
from server.web.student_view import time_left

router = APIRouter(include_in_schema=False)
NEXT_MAX_CHARS = 2000


@dataclass(frozen=True)
class LoginForm:
    """What differs between the teacher's and the students' sign-in: the session, the UI-text keys."""

    spec: CookieSpec
    title: str
    help: str
    token: str
    missing: str  # no token given
    wrong_kind: str  # a valid token of the other kind of user

    @property
    def action(self) -> str:
        return self.spec.login_path

    @property
    def draft_action(self) -> str:
        """The same sign-in, for a form that carries a draft: its own, larger body budget (server.ingress)."""
        return self.spec.login_path + DRAFT_SIGN_IN

    @property
    def home(self) -> str:
        return self.spec.path

    def accepts(self, principal: Principal) -> bool:
        return principal.is_staff == (self.spec is STAFF)


TEACHER_LOGIN = LoginForm(STAFF, title="login_title", help="login_help", token="token", missing="login_missing",
                          wrong_kind="login_student")
STUDENT_LOGIN = LoginForm(STUDENT, title="student_login_title", help="student_login_help", token="student_token",
                          missing="student_login_missing", wrong_kind="student_login_teacher")


def safe_next(home: str, value: str | None) -> str:
    """Only a path of these pages: never another site (//evil, https://...) or the sign-in pages."""
    if not value:
        return home
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or value.startswith("//") or not (value == home or value.startswith(home + "/")
                                                                       or value.startswith(home + "?")):
        return home
    return home if parts.path.startswith(f"{home}/log") else value


def login_page(ctx: AppContext, request: Request, form: LoginForm, next_url: str, error: str | None = None,
               status: int = 200, notice: str | None = None, draft: Draft | None = None) -> Response:
    """The sign-in form; with a draft, it carries that form's unsent text along (server.web.drafts)."""
    value = login_csrf(request, form.spec)
    response = render_page(request, "login.html", request_lang(request), status=status, form=form, error=error,
                           notice=notice, next=next_url, home=form.home, me=None, time_left=time_left,
                           login_csrf=value, draft=draft)
    remember_login_csrf(ctx, request, response, form.spec, value)
    return response


def _show_form(form: LoginForm, ctx: AppContext, request: Request, signed_in: bool, next_url: str) -> Response:
    target = safe_next(form.home, next_url)
    if signed_in:
        return RedirectResponse(target, status_code=303)
    notice = t("signed_out", request_lang(request)) if request.query_params.get("bye") else None
    return login_page(ctx, request, form, target, notice=notice)


def sign_in_again(ctx: AppContext, request: Request, form: LoginForm, next_url: str,
                  draft: Draft | None) -> Response:
    """A page form posted without a session: to the sign-in form, which brings back the form's text if any."""
    if draft is None:
        return RedirectResponse(f"{form.spec.login_path}?next={quote(next_url, safe='/')}", status_code=303)
    return login_page(ctx, request, form, next_url, status=401, draft=draft,
                      notice=t(draft.form.kept_key, request_lang(request)))


def _sign_in(form: LoginForm, ctx: AppContext, db: SessionDep, request: Request, token: str, csrf: str,
             next_url: str, draft: Draft | None = None) -> Response:
    lang = request_lang(request)
    token = token.strip()
    target = safe_next(form.home, next_url)
    draft = draft if draft is not None and draft.form.spec is form.spec else None
    address = client_address(request.scope)
    retry_after = ctx.attempts.retry_after(address)
    if retry_after is not None:  # too many unknown tokens from here: this one is not even looked at
        response = login_page(ctx, request, form, target, error=t("login_too_many", lang, seconds=retry_after),
                              status=429, draft=draft)
        response.headers["Retry-After"] = str(retry_after)
        return response
    if not login_form_is_genuine(request, form.spec, csrf):
        return login_page(ctx, request, form, target, error=t("login_form_expired", lang), status=403, draft=draft)
    principal = principal_for_token(db, ctx.admin_token, token) if token else None
    if principal is not None and form.accepts(principal):
        if draft is not None:  # the page of the unsent form, filled in again
            session, session_id = start_session(ctx, db, form.spec, principal)
            page = draft.form.resume(request, ctx, db, session, draft, draft.form.back_key)
            send_session(ctx, request, page, form.spec, session_id)
            return page
        response = RedirectResponse(target, status_code=303)
        open_session(ctx, db, request, response, form.spec, principal)
        return response
    if not token:
        error, status = t(form.missing, lang), 400
    elif principal is not None:
        error, status = t(form.wrong_kind, lang), 403
    else:
        ctx.attempts.failed(address)
        error, status = t("login_unknown", lang), 401
    return login_page(ctx, request, form, target, error=error, status=status, draft=draft)


def _sign_out(form: LoginForm, db: SessionDep, request: Request, signed_in: bool, genuine: bool) -> Response:
    # A forged sign-out form: ignore it. From another site the browser may not even send the session cookie
    # (SameSite), so "no session" there proves nothing: deleting the cookie would still sign the victim out.
    if not genuine and (signed_in or not same_origin(request)):
        return RedirectResponse(form.home, status_code=303)
    response = RedirectResponse(f"{form.spec.login_path}?bye=1", status_code=303)
    close_session(db, request, response, form.spec)
    return response


Token = Annotated[str, Form(max_length=1000)]
Csrf = Annotated[str, Form(max_length=200)]
Next = Annotated[str, Form(max_length=NEXT_MAX_CHARS)]


def _install(form: LoginForm) -> None:
    """GET and POST {pages}/login and POST {pages}/logout for one kind of pages."""
    spec = form.spec

    def show_form(request: Request, ctx: ContextDep, db: SessionDep, next: str = "") -> Response:
        return _show_form(form, ctx, request, read_session(ctx, db, request, spec) is not None, next)

    def sign_in(request: Request, ctx: ContextDep, db: SessionDep, draft: PostedDraft, token: Token = "",
                csrf: Csrf = "", next: Next = "") -> Response:
        return _sign_in(form, ctx, db, request, token, csrf, next, draft)

    def sign_out(request: Request, ctx: ContextDep, db: SessionDep, csrf: Csrf = "") -> Response:
        session = read_session(ctx, db, request, spec)
        genuine = session is not None and form_is_genuine(request, session, csrf)
        return _sign_out(form, db, request, session is not None, genuine)

    router.add_api_route(spec.login_path, show_form, methods=["GET"], name=f"{spec.kind}_login_form")
    router.add_api_route(spec.login_path, sign_in, methods=["POST"], name=f"{spec.kind}_login")
    router.add_api_route(form.draft_action, sign_in, methods=["POST"], name=f"{spec.kind}_login_draft")
    router.add_api_route(f"{spec.path}/logout", sign_out, methods=["POST"], name=f"{spec.kind}_logout")


_install(TEACHER_LOGIN)
_install(STUDENT_LOGIN)
