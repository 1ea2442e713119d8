"""The browser sessions of the teacher's pages (/scoreboard, staff) and the student's pages (/student): one
module for both.

- A session is a random 256-bit id in an HttpOnly, SameSite=Lax cookie scoped to its pages' path, and a row
  in `web_sessions` holding its sha256, whose it is, the fingerprint of the token it was opened with, its
  CSRF value and when it ends (SESSION_MAX_AGE_S after sign-in). Signing out deletes the row, so a copied
  cookie stops working; a rotated token or a disabled staff account ends its sessions on their next use.
- Every form that changes something carries the session's CSRF value and must come from this site
  (`same_origin`: Sec-Fetch-Site and Origin); sign-out too, so another site cannot sign anyone out.
- The sign-in forms, which have no session yet, carry a pre-session CSRF value (a random cookie of their own
  that the form repeats, SameSite=Strict) and must come from this site, so another site cannot sign a
  browser into an account of its choosing.
- Cookies are `Secure` when the request came over HTTPS (as uvicorn sees it: behind a proxy, trusted
  forwarded headers; RNN_GRADER_FORWARDED_ALLOW_IPS) or always with RNN_GRADER_COOKIE_SECURE=always.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote, urlsplit

import sqlalchemy as sa
from fastapi import Depends, Request, Response
from sqlmodel import Session

from server.auth.models import SessionKind, WebSession
from server.auth.principal import Principal, staff_by_id, student_principal
from server.deps import AppContext, ContextDep, SessionDep
from server.errors import AppError
from server.models import Student
from server.refusals import refusal
from server.security import hash_token
from server.tables import table_of

SESSION_MAX_AGE_S = 12 * 3600
LOGIN_CSRF_MAX_AGE_S = 3600
web_sessions_t = table_of(WebSession)


@dataclass(frozen=True)
class CookieSpec:
    """Where one kind of session lives: its cookie, the pages it is sent to, and their sign-in form."""

    kind: SessionKind
    name: str
    path: str

    @property
    def login_path(self) -> str:
        return f"{self.path}/login"

    @property
    def login_cookie(self) -> str:
        return f"{self.name}_login"


STAFF = CookieSpec(SessionKind.staff, "rnn_grader_session", "/scoreboard")
STUDENT = CookieSpec(SessionKind.student, "rnn_grader_student", "/student")


@dataclass(frozen=True)
class BrowserSession:
    """A signed-in browser: who (the same Principal the API uses) and the CSRF value of its forms."""

    principal: Principal
    csrf: str

    @property
    def student(self) -> Student:
        assert self.principal.student is not None, "a staff session has no student"
        return self.principal.student


class LoginRequired(AppError):
    status_code = 401
    default_detail = "sign in first"
    default_zh = "请先登录"


class LoginRedirect(AppError):
    """A page asked for without a session: 303 to the sign-in form, which comes back afterwards."""

    status_code = 303
    default_detail = "sign in first"
    default_zh = "请先登录"

    def __init__(self, login_path: str, next_url: str) -> None:
        super().__init__(None, {"Location": f"{login_path}?next={quote(next_url, safe='/')}"})


def _secure(ctx: AppContext, request: Request) -> bool:
    return ctx.settings.cookie_secure == "always" or request.url.scheme == "https"


def _set_cookie(ctx: AppContext, request: Request, response: Response, name: str, value: str, path: str,
                max_age: int, samesite: str) -> None:
    response.set_cookie(name, value, max_age=max_age, path=path, httponly=True,
                        samesite=samesite,  # type: ignore[arg-type]
                        secure=_secure(ctx, request))


# ---------------------------------------------------------------- where a request comes from
def same_origin(request: Request) -> bool:
    """Whether a browser says this request comes from a page of this site. Browsers send Sec-Fetch-Site and
    Origin with every form POST; a client that sends neither (a script) is not a browser an attacker can
    drive, and the CSRF value still has to match."""
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    if origin is None:
        return True
    parts = urlsplit(origin)
    if origin == "null" or not parts.netloc:
        return False
    # The host the browser addressed (Host, kept by a reverse proxy); the scheme may differ behind a proxy
    # that terminates TLS, so it is not compared.
    return parts.netloc.lower() == request.headers.get("host", "").lower()


def same_value(expected: str, given: str) -> bool:
    return bool(expected) and hmac.compare_digest(expected.encode(), given.encode())


# ---------------------------------------------------------------- sign-in forms (no session yet)
def login_csrf(request: Request, spec: CookieSpec) -> str:
    """The value the sign-in form repeats: the one its cookie holds (so two open tabs both work), or new."""
    value = request.cookies.get(spec.login_cookie, "")
    if 20 <= len(value) <= 64 and value.replace("-", "").replace("_", "").isalnum():
        return value
    return secrets.token_urlsafe(24)


def remember_login_csrf(ctx: AppContext, request: Request, response: Response, spec: CookieSpec, value: str) -> None:
    """The sign-in form's cookie: sent only to the form's own path, never on a request from another site."""
    _set_cookie(ctx, request, response, spec.login_cookie, value, spec.login_path, LOGIN_CSRF_MAX_AGE_S, "strict")


def login_form_is_genuine(request: Request, spec: CookieSpec, given: str) -> bool:
    """A sign-in POST from this site's own form: same origin, and the form's value matches its cookie."""
    return same_origin(request) and same_value(request.cookies.get(spec.login_cookie, ""), given)


# ---------------------------------------------------------------- sessions
def start_session(ctx: AppContext, db: Session, spec: CookieSpec, principal: Principal) -> tuple[BrowserSession, str]:
    """A new session for `principal` (a new id: a session id planted before sign-in is never used): the
    session, and the id its cookie must carry (send_session)."""
    now = ctx.clock()
    session_id = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(24)
    db.execute(sa.delete(web_sessions_t).where(web_sessions_t.c.expires_at < now))
    db.add(WebSession(id_hash=hash_token(session_id), kind=spec.kind.value, subject=principal.subject,
                      key=principal.key, csrf=csrf, created_at=now,
                      expires_at=now + dt.timedelta(seconds=SESSION_MAX_AGE_S)))
    db.commit()
    return BrowserSession(principal=principal, csrf=csrf), session_id


def send_session(ctx: AppContext, request: Request, response: Response, spec: CookieSpec, session_id: str) -> None:
    """The session's cookie on `response`; the sign-in form's own cookie goes."""
    _set_cookie(ctx, request, response, spec.name, session_id, spec.path, SESSION_MAX_AGE_S, "lax")
    response.delete_cookie(spec.login_cookie, path=spec.login_path, httponly=True, samesite="strict")


def open_session(ctx: AppContext, db: Session, request: Request, response: Response, spec: CookieSpec,
                 principal: Principal) -> BrowserSession:
    """Sign this browser in as `principal`; `response` carries the cookie."""
    session, session_id = start_session(ctx, db, spec, principal)
    send_session(ctx, request, response, spec, session_id)
    return session


def _row(db: Session, request: Request, spec: CookieSpec) -> WebSession | None:
    raw = request.cookies.get(spec.name, "")
    if not 20 <= len(raw) <= 64:
        return None
    row = db.get(WebSession, hash_token(raw))
    return row if row is not None and row.kind == spec.kind.value else None


def read_session(ctx: AppContext, db: Session, request: Request, spec: CookieSpec) -> BrowserSession | None:
    row = _row(db, request, spec)
    if row is None or row.expires_at <= ctx.clock():
        return None
    if spec.kind is SessionKind.staff:
        principal = staff_by_id(db, ctx.admin_token, row.subject)
    else:
        student = db.get(Student, row.subject)
        principal = student_principal(student) if student is not None else None
    if principal is None or not same_value(principal.key, row.key):
        return None
    return BrowserSession(principal=principal, csrf=row.csrf)


def close_session(db: Session, request: Request, response: Response, spec: CookieSpec) -> None:
    """Sign out: the row goes (a copy of the cookie is worthless from now on), then the cookie."""
    row = _row(db, request, spec)
    if row is not None:
        db.execute(sa.delete(web_sessions_t).where(web_sessions_t.c.id_hash == row.id_hash))
        db.commit()
    response.delete_cookie(spec.name, path=spec.path, httponly=True, samesite="lax")


def end_sessions(conn: sa.Connection | Session, kind: SessionKind, subject: str) -> None:
    """Sign one person out everywhere (a rotated token, a disabled account), in the caller's transaction."""
    conn.execute(sa.delete(web_sessions_t).where(web_sessions_t.c.kind == kind.value,
                                                 web_sessions_t.c.subject == subject))


def form_is_genuine(request: Request, session: BrowserSession, given: str) -> bool:
    """A POST from one of this session's own forms: same origin and its CSRF value."""
    return same_origin(request) and same_value(session.csrf, given)


# ---------------------------------------------------------------- dependencies
def _requested(request: Request, spec: CookieSpec) -> str:
    """Where to come back after signing in: the page asked for; after a form's POST, the pages' home (never a
    GET of a route that only takes POST)."""
    if request.method not in ("GET", "HEAD"):
        return spec.path
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


SessionReader = Callable[[AppContext, Session, Request], BrowserSession | None]
SessionGetter = Callable[[AppContext, Session, Request], BrowserSession]


def _dependencies(spec: CookieSpec) -> tuple[SessionReader, SessionGetter, SessionGetter]:
    def optional(ctx: ContextDep, db: SessionDep, request: Request) -> BrowserSession | None:
        return read_session(ctx, db, request, spec)

    def page(ctx: ContextDep, db: SessionDep, request: Request) -> BrowserSession:
        session = read_session(ctx, db, request, spec)
        if session is None:
            raise LoginRedirect(spec.login_path, _requested(request, spec))
        return session

    def data(ctx: ContextDep, db: SessionDep, request: Request) -> BrowserSession:
        session = read_session(ctx, db, request, spec)
        if session is None:
            raise LoginRequired(refusal("login_required", path=spec.login_path))
        return session

    return optional, page, data


_staff_optional, _staff_page, _staff_data = _dependencies(STAFF)
_student_optional, _student_page, _student_data = _dependencies(STUDENT)

# A page answers 303 to the sign-in form without a session; data (JSON, CSV, polls) answers 401.
OptionalStaff = Annotated[BrowserSession | None, Depends(_staff_optional)]
StaffPage = Annotated[BrowserSession, Depends(_staff_page)]
StaffData = Annotated[BrowserSession, Depends(_staff_data)]
OptionalStudent = Annotated[BrowserSession | None, Depends(_student_optional)]
StudentPage = Annotated[BrowserSession, Depends(_student_page)]
StudentData = Annotated[BrowserSession, Depends(_student_data)]
