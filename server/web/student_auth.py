"""The student's browser session: like the teacher's (server.web.auth), a signed, HttpOnly, SameSite=Lax
cookie that holds no token, only the student id, a fingerprint of the student's current token hash (a new
token signs every browser of that student out) and a CSRF value for the forms. It lives under /student only.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlmodel import Session, select

from server.deps import AppContext, ContextDep, SessionDep
from server.errors import AppError
from server.models import Student
from server.security import hash_token
from server.web.auth import SESSION_MAX_AGE_S, session_secret

COOKIE = "rnn_grader_student"
COOKIE_PATH = "/student"
_SALT = "rnn-grader.student-session"


class StudentLoginRedirect(AppError):
    """A student page asked for without a session: 303 to the sign-in form."""

    status_code = 303
    default_detail = "sign in first"

    def __init__(self, next_url: str) -> None:
        super().__init__(None, {"Location": f"{COOKIE_PATH}/login?next={quote(next_url, safe='/')}"})


class StudentLoginRequired(AppError):
    status_code = 401
    default_detail = "sign in at /student/login first"


@dataclass(frozen=True)
class StudentSession:
    student: Student
    csrf: str


def _serializer(ctx: AppContext) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(session_secret(ctx), salt=_SALT)


def _fingerprint(ctx: AppContext, student: Student) -> str:
    return hmac.new(session_secret(ctx).encode(), student.token_hash.encode(), hashlib.sha256).hexdigest()[:32]


def student_for_token(db: Session, token: str) -> Student | None:
    return db.exec(select(Student).where(Student.token_hash == hash_token(token))).first()


def set_student_session(ctx: AppContext, request: Request, response: Response, student: Student) -> None:
    value = _serializer(ctx).dumps({"r": "student", "s": student.student_id, "k": _fingerprint(ctx, student),
                                    "c": secrets.token_urlsafe(16)})
    response.set_cookie(COOKIE, value, max_age=SESSION_MAX_AGE_S, path=COOKIE_PATH, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https")


def clear_student_session(response: Response) -> None:
    response.delete_cookie(COOKIE, path=COOKIE_PATH, httponly=True, samesite="lax")


def read_student_session(ctx: AppContext, db: Session, request: Request) -> StudentSession | None:
    raw = request.cookies.get(COOKIE)
    if not raw:
        return None
    try:
        data = _serializer(ctx).loads(raw, max_age=SESSION_MAX_AGE_S)
    except BadSignature:  # also SignatureExpired
        return None
    if not isinstance(data, dict) or data.get("r") != "student":
        return None
    student_id, csrf = data.get("s"), data.get("c")
    if not isinstance(student_id, str) or not isinstance(csrf, str):
        return None
    student = db.get(Student, student_id)
    if student is None or not hmac.compare_digest(str(data.get("k", "")), _fingerprint(ctx, student)):
        return None
    return StudentSession(student=student, csrf=csrf)


def _optional(ctx: ContextDep, db: SessionDep, request: Request) -> StudentSession | None:
    return read_student_session(ctx, db, request)


def _page(ctx: ContextDep, db: SessionDep, request: Request) -> StudentSession:
    session = read_student_session(ctx, db, request)
    if session is None:
        query = f"?{request.url.query}" if request.url.query else ""
        raise StudentLoginRedirect(request.url.path + query)
    return session


def _json(ctx: ContextDep, db: SessionDep, request: Request) -> StudentSession:
    session = read_student_session(ctx, db, request)
    if session is None:
        raise StudentLoginRequired()
    return session


OptionalStudent = Annotated[StudentSession | None, Depends(_optional)]
StudentPage = Annotated[StudentSession, Depends(_page)]
StudentData = Annotated[StudentSession, Depends(_json)]
