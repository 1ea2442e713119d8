"""Named dependencies: routes read like their contract, and ownership checks live here only."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Literal, cast

from fastapi import Depends, Header, Path, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.engine import Engine
from sqlmodel import Session

from server.auth.permissions import Access, require
from server.auth.principal import Principal, principal_for_token
from server.catalog import Catalog
from server.config import Settings
from server.db import utcnow
from server.errors import DATABASE_DOWN_ERRORS, SubmissionNotFound, Unauthorized, request_lang
from server.grading.protocol import Notifier, Queue
from server.metrics import Metrics
from server.models import Student, Submission
from server.refusals import refusal

MAX_ID = 2**63 - 1
log = logging.getLogger("rnn_grader.deps")


@dataclass(frozen=True)
class AppContext:
    """Everything a request may need, built once by create_app() and kept on app.state."""

    settings: Settings
    engine: Engine
    catalog: Catalog
    queue: Queue
    notifier: Notifier
    metrics: Metrics
    # What time it is for the policies (late, cutoff, visibility); tests replace it instead of sleeping.
    clock: Callable[[], dt.datetime] = utcnow

    @property
    def admin_token(self) -> str:
        assert self.settings.admin_token is not None  # filled in by create_app()
        return self.settings.admin_token.get_secret_value()


def get_context(request: Request) -> AppContext:
    return cast(AppContext, request.app.state.ctx)


ContextDep = Annotated[AppContext, Depends(get_context)]


def get_settings_dep(ctx: ContextDep) -> Settings:
    return ctx.settings


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


def get_catalog(ctx: ContextDep) -> Catalog:
    return ctx.catalog


CatalogDep = Annotated[Catalog, Depends(get_catalog)]


def get_session(ctx: ContextDep) -> Iterator[Session]:
    session = Session(ctx.engine)
    try:
        yield session
    finally:
        try:
            session.close()
        except DATABASE_DOWN_ERRORS as exc:
            # The connection died after the route finished (PostgreSQL restarting): the pool discards it.
            # Raising here, after the response went out, would only drop the client's keep-alive connection.
            log.warning("database connection lost while closing a session: %s", type(exc).__name__)


SessionDep = Annotated[Session, Depends(get_session)]

_bearer = HTTPBearer(auto_error=False, description="A staff token (instructor or TA; RNN_GRADER_ADMIN_TOKEN is the "
                                                     "bootstrap instructor) or a student token")


def get_principal(
    ctx: ContextDep,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or not credentials.credentials:
        raise Unauthorized(refusal("no_token"))
    principal = principal_for_token(session, ctx.admin_token, credentials.credentials)
    if principal is None:
        raise Unauthorized(refusal("unknown_token"))
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def require_staff(principal: PrincipalDep) -> Principal:
    return require(Access.staff, principal)


def require_instructor(principal: PrincipalDep) -> Principal:
    return require(Access.instructor, principal)


# Staff of either role (a TA included); the audit log's actor is `.actor`, the authenticated staff_id.
StaffAuth = Annotated[Principal, Depends(require_staff)]
InstructorAuth = Annotated[Principal, Depends(require_instructor)]


def require_student(principal: PrincipalDep) -> Student:
    require(Access.student, principal)
    assert principal.student is not None
    return principal.student


CurrentStudent = Annotated[Student, Depends(require_student)]


def get_visible_submission(
    principal: PrincipalDep,
    session: SessionDep,
    submission_id: Annotated[int, Path(ge=1, le=MAX_ID)],
) -> Submission:
    """The submission if the caller may see it: the owner or the teacher. Others get 404 (no leak)."""
    submission = session.get(Submission, submission_id)
    if submission is None or (
        principal.student is not None and submission.student_id != principal.student.student_id
    ):
        raise SubmissionNotFound(refusal("no_submission", id=submission_id))
    return submission


SubmissionOfCurrentUser = Annotated[Submission, Depends(get_visible_submission)]


def get_lang(
    lang: Annotated[
        Literal["en", "zh"] | None, Query(description="Feedback language; overrides Accept-Language")
    ] = None,
    accept_language: Annotated[str | None, Header(description="e.g. zh-CN,zh;q=0.9")] = None,
) -> str:
    return request_lang(lang, accept_language)


LangDep = Annotated[str, Depends(get_lang)]
