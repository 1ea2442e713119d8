"""Named dependencies: routes read like their contract, and ownership checks live here only."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Annotated, Literal, cast

import anyio
import anyio.to_thread
from fastapi import Depends, Header, Path, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from server.auth.attempts import AttemptLimiter, client_address
from server.auth.permissions import Access, require
from server.auth.principal import Principal, principal_for_token
from server.catalog import Catalog
from server.config import Settings
from server.db import utcnow
from server.errors import DATABASE_DOWN_ERRORS, SubmissionNotFound, TooManyAuthFailures, Unauthorized, request_lang
from server.grading.protocol import Notifier, Queue
from server.metrics import Metrics
from server.models import Student, Submission
from server.refusals import refusal
from server.submissions.waiting import ResultWaits

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
    waits: ResultWaits
    attempts: AttemptLimiter
    # What time it is for the policies (late, cutoff, visibility); tests replace it instead of sleeping.
    clock: Callable[[], dt.datetime] = utcnow

    @property
    def admin_token(self) -> str:
        assert self.settings.admin_token is not None  # filled in by create_app()
        return self.settings.admin_token.get_secret_value()


# Dependencies that do no I/O are `async def`: FastAPI runs a sync dependency in a request thread, one thread
# hop each, and under load every hop waits for a thread and for the CPU. Those that read the database stay sync
# (or hop once, explicitly).
async def get_context(request: Request) -> AppContext:
    return cast(AppContext, request.app.state.ctx)


ContextDep = Annotated[AppContext, Depends(get_context)]


async def get_settings_dep(ctx: ContextDep) -> Settings:
    return ctx.settings


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


async def get_catalog(ctx: ContextDep) -> Catalog:
    return ctx.catalog


CatalogDep = Annotated[Catalog, Depends(get_catalog)]


def _close(session: Session) -> None:
    try:
        session.close()
    except DATABASE_DOWN_ERRORS as exc:
        # The connection died after the route finished (PostgreSQL restarting): the pool discards it.
        # Raising here, after the response went out, would only drop the client's keep-alive connection.
        log.warning("database connection lost while closing a session: %s", type(exc).__name__)


async def get_session(ctx: ContextDep) -> AsyncIterator[Session]:
    """The request's session. Creating it touches no database. Closing one that holds a connection (a rollback,
    the connection back to the pool) runs in a thread outside the request threads' limit, as FastAPI does for
    sync dependencies: a close never waits behind requests while it holds a connection they may need."""
    session = Session(ctx.engine)
    try:
        yield session
    finally:
        if session.in_transaction():
            await anyio.to_thread.run_sync(_close, session, limiter=anyio.CapacityLimiter(1))
        else:
            _close(session)


SessionDep = Annotated[Session, Depends(get_session)]

_bearer = HTTPBearer(auto_error=False, description="A staff token (instructor or TA; RNN_GRADER_ADMIN_TOKEN is the "
                                                     "bootstrap instructor) or a student token")


# Where the ingress guard leaves the principal of a bearer token it checked before an upload was read.
GUARD_PRINCIPAL = "rnn_grader.principal"


def bearer_principal(ctx: AppContext, db: Session, address: str, token: str) -> Principal:
    """Who holds this bearer token. An unknown one counts against the client's address, and an address in
    its backoff is refused before its token is looked at (server.auth.attempts)."""
    retry_after = ctx.attempts.retry_after(address)
    if retry_after is not None:
        raise TooManyAuthFailures(retry_after)
    principal = principal_for_token(db, ctx.admin_token, token)
    if principal is None:
        ctx.attempts.failed(address)
        raise Unauthorized(refusal("unknown_token"))
    return principal


async def get_principal(
    request: Request,
    ctx: ContextDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller, looked up in a short session of its own: its connection is back in the pool before the
    route runs (FastAPI runs each sync dependency and the route in separate thread hops; a connection held
    between them would be held by a request waiting for a thread). The Student it carries is detached, with
    its columns loaded."""
    if credentials is None or not credentials.credentials:
        raise Unauthorized(refusal("no_token"))
    known = request.scope.get("state", {}).get(GUARD_PRINCIPAL)
    if isinstance(known, Principal):  # the ingress guard looked this request's token up already (an upload)
        return known
    return await run_in_threadpool(_lookup, ctx, client_address(request.scope), credentials.credentials)


def _lookup(ctx: AppContext, address: str, token: str) -> Principal:
    with Session(ctx.engine) as db:
        return bearer_principal(ctx, db, address, token)


PrincipalDep = Annotated[Principal, Depends(get_principal)]


async def require_staff(principal: PrincipalDep) -> Principal:
    return require(Access.staff, principal)


async def require_instructor(principal: PrincipalDep) -> Principal:
    return require(Access.instructor, principal)


# Staff of either role (a TA included); the audit log's actor is `.actor`, the authenticated staff_id.
StaffAuth = Annotated[Principal, Depends(require_staff)]
InstructorAuth = Annotated[Principal, Depends(require_instructor)]


async def require_student(principal: PrincipalDep) -> Student:
    require(Access.student, principal)
    assert principal.student is not None
    return principal.student


CurrentStudent = Annotated[Student, Depends(require_student)]


SubmissionId = Annotated[int, Path(ge=1, le=MAX_ID)]


def get_visible_submission(principal: PrincipalDep, session: SessionDep, submission_id: SubmissionId) -> Submission:
    """The submission if the caller may see it: the owner or the teacher. Others get 404 (no leak)."""
    submission = session.get(Submission, submission_id)
    if submission is None or (
        principal.student is not None and submission.student_id != principal.student.student_id
    ):
        raise SubmissionNotFound(refusal("no_submission", id=submission_id))
    return submission


SubmissionOfCurrentUser = Annotated[Submission, Depends(get_visible_submission)]


def get_lang(lang: str | None, accept_language: str | None) -> str:
    """`?lang=`, else the best of Accept-Language, else English."""
    return request_lang(lang, accept_language)


async def lang_dependency(
    lang: Annotated[
        Literal["en", "zh"] | None, Query(description="Feedback language; overrides Accept-Language")
    ] = None,
    accept_language: Annotated[str | None, Header(description="e.g. zh-CN,zh;q=0.9")] = None,
) -> str:
    return get_lang(lang, accept_language)


LangDep = Annotated[str, Depends(lang_dependency)]
