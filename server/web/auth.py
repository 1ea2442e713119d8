"""The teacher's browser session: a signed (itsdangerous), HttpOnly, SameSite=Lax cookie.

The cookie holds no token: only the role, a fingerprint of the current teacher token (changing the token
signs every browser out) and a CSRF value for the sign-out form. It lives under /scoreboard only, so the
API never sees it, and expires after SESSION_MAX_AGE_S.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Annotated, Protocol
from urllib.parse import quote

from fastapi import Depends, Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from server.deps import AppContext, ContextDep
from server.errors import AppError

COOKIE = "rnn_grader_session"
COOKIE_PATH = "/scoreboard"
SESSION_MAX_AGE_S = 12 * 3600
_SALT = "rnn-grader.scoreboard-session"


class LoginRequired(AppError):
    status_code = 401
    default_detail = "sign in at /scoreboard/login first"


class LoginRedirect(AppError):
    """A page asked for without a session: 303 to the sign-in form, which comes back afterwards."""

    status_code = 303
    default_detail = "sign in first"

    def __init__(self, next_url: str) -> None:
        super().__init__(None, {"Location": f"{COOKIE_PATH}/login?next={quote(next_url, safe='/')}"})


@dataclass(frozen=True)
class WebSession:
    csrf: str


def session_secret(ctx: AppContext) -> str:
    assert ctx.settings.session_secret is not None  # filled in by create_app()
    return ctx.settings.session_secret.get_secret_value()


def _serializer(ctx: AppContext) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(session_secret(ctx), salt=_SALT)


def _fingerprint(ctx: AppContext) -> str:
    return hmac.new(session_secret(ctx).encode(), ctx.admin_token.encode(), hashlib.sha256).hexdigest()[:32]


def set_session(ctx: AppContext, request: Request, response: Response) -> None:
    value = _serializer(ctx).dumps({"r": "teacher", "k": _fingerprint(ctx), "c": secrets.token_urlsafe(16)})
    response.set_cookie(COOKIE, value, max_age=SESSION_MAX_AGE_S, path=COOKIE_PATH, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https")


def clear_session(response: Response) -> None:
    response.delete_cookie(COOKIE, path=COOKIE_PATH, httponly=True, samesite="lax")


def read_session(ctx: AppContext, request: Request) -> WebSession | None:
    raw = request.cookies.get(COOKIE)
    if not raw:
        return None
    try:
        data = _serializer(ctx).loads(raw, max_age=SESSION_MAX_AGE_S)
    except BadSignature:  # also SignatureExpired
        return None
    if not isinstance(data, dict) or data.get("r") != "teacher" or not isinstance(data.get("c"), str):
        return None
    if not hmac.compare_digest(str(data.get("k", "")), _fingerprint(ctx)):
        return None
    return WebSession(csrf=data["c"])


def _optional(ctx: ContextDep, request: Request) -> WebSession | None:
    return read_session(ctx, request)


def _page(ctx: ContextDep, request: Request) -> WebSession:
    session = read_session(ctx, request)
    if session is None:
        query = f"?{request.url.query}" if request.url.query else ""
        raise LoginRedirect(request.url.path + query)
    return session


def _json(ctx: ContextDep, request: Request) -> WebSession:
    session = read_session(ctx, request)
    if session is None:
        raise LoginRequired()
    return session


OptionalSession = Annotated[WebSession | None, Depends(_optional)]
TeacherPage = Annotated[WebSession, Depends(_page)]
TeacherData = Annotated[WebSession, Depends(_json)]


class HasCsrf(Protocol):
    @property
    def csrf(self) -> str: ...


def same_csrf(session: HasCsrf, given: str) -> bool:
    return hmac.compare_digest(session.csrf.encode(), given.encode())
