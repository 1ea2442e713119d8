"""The ingress guard: pure ASGI, in front of routing and of any body parsing, for every HTTP request.

1. The route's rule (server.ingress.budgets) gives its byte budget and who must be known first. Such a
   route authenticates the request (bearer token, or the pages' session) before one byte of its body is
   read: a stranger's upload is refused with 401/403 at once.
2. A declared Content-Length over the budget is refused (413) before one byte of the body is read.
3. The bytes actually received are counted, for Content-Length and chunked bodies alike: past the budget
   the guard stops reading, answers 413 itself and the application sees a disconnect.
4. A body that trickles gets 408: no byte for RNN_GRADER_BODY_IDLE_TIMEOUT_S (20 s), or, once it has been
   arriving for that long, under RNN_GRADER_BODY_MIN_RATE_BYTES_S (1 KiB/s) on average.
Every refusal is the usual JSON error with `Connection: close`. So that a client which writes its whole body
before reading (urllib, simple scripts) still reads a 413 instead of a connection reset, what is already in
flight is then discarded (never buffered, never passed on), for at most LINGER_S, as long as the whole body
stays within twice the route's budget (its budget plus LINGER_MIN_BYTES..LINGER_MAX_BYTES); a body declared
larger is not waited for. After a credential refusal or a 408 nothing is discarded: the connection closes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from urllib.parse import parse_qs

import anyio
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.access_log import printable_path
from server.auth.attempts import client_address
from server.auth.permissions import require
from server.auth.principal import Principal
from server.auth.sessions import LoginRedirect, LoginRequired, read_session
from server.deps import GUARD_PRINCIPAL, AppContext, bearer_principal
from server.errors import (
    DATABASE_DOWN_ERRORS,
    AppError,
    DatabaseUnavailable,
    PayloadTooLarge,
    RequestTimeout,
    Unauthorized,
    error_response,
    request_lang,
)
from server.ingress.budgets import Rule, rule_for
from server.refusals import refusal

log = logging.getLogger("rnn_grader.ingress")

LINGER_MIN_BYTES = 64 * 1024
LINGER_MAX_BYTES = 16 * 1024 * 1024
LINGER_S = 5.0
_DISCONNECT: Message = {"type": "http.disconnect"}


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _declared_length(scope: Scope) -> int | None:
    text = _header(scope, b"content-length")
    return int(text) if text is not None and text.strip().isascii() and text.strip().isdigit() else None


def _intake_cap(error: AppError, budget: int) -> int:
    """The most body bytes the server takes in (read, or discarded after answering) before it closes a refused
    request: after a 413, the budget and as much again (LINGER_MIN_BYTES..LINGER_MAX_BYTES); else nothing."""
    if not isinstance(error, PayloadTooLarge):
        return 0
    return budget + min(max(budget, LINGER_MIN_BYTES), LINGER_MAX_BYTES)


def _too_large(budget: int) -> PayloadTooLarge:
    return PayloadTooLarge(refusal("body_too_large_here", kib=max(budget // 1024, 1)))


class IngressGuard:
    def __init__(self, app: ASGIApp, clock: Callable[[], float] = time.monotonic) -> None:
        self.app = app
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        ctx: AppContext = scope["app"].state.ctx  # as server.deps.get_context reads it
        rule = rule_for(scope["method"], scope["path"])
        settings = ctx.settings
        budget = rule.max_bytes(settings)
        over: AppError = _too_large(budget)
        declared = _declared_length(scope)
        if rule.access is not None:
            try:
                refusal = await run_in_threadpool(_credential_refusal, ctx, scope, rule)
            except DATABASE_DOWN_ERRORS:
                refusal = DatabaseUnavailable()
            if refusal is not None:
                if rule.anonymous_bytes is None or not isinstance(refusal, (Unauthorized, LoginRequired)):
                    await _Refusal(scope, receive, send, 0, allowance=0).send(refusal)
                    return
                # A page form that must survive an expired session: read a small body; the page asks to sign in.
                budget = rule.anonymous_bytes(settings)
                assert rule.session is not None
                over = LoginRedirect(rule.session.login_path, rule.session.path)
        if declared is not None and declared > budget:
            await _Refusal(scope, receive, send, 0, _intake_cap(over, budget)).send(over)
            return
        body = _GuardedBody(scope, receive, send, budget, over, self.clock, settings.body_idle_timeout_s,
                            settings.body_min_rate_bytes_s)
        try:
            await self.app(scope, body.receive, body.send)
        except Exception:
            if not body.refused:
                raise
            # The application gave up reading a body the guard refused; the client has its answer.
            log.debug("after a refused body on %s %s", scope["method"], printable_path(scope["path"]), exc_info=True)


def _credential_refusal(ctx: AppContext, scope: Scope, rule: Rule) -> AppError | None:
    """None if the request's credential may call this route, else the error that says why not."""
    assert rule.access is not None
    request = Request(scope)
    with Session(ctx.engine) as db:
        principal: Principal | None
        if rule.session is not None:
            session = read_session(ctx, db, request, rule.session)
            principal = session.principal if session is not None else None
            missing: AppError = LoginRequired(refusal("login_required", path=rule.session.login_path))
        else:
            scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
            token = token.strip() if scheme.lower() == "bearer" else ""
            if not token:
                return Unauthorized(refusal("no_token"))
            try:
                principal = bearer_principal(ctx, db, client_address(scope), token)
            except AppError as exc:
                return exc
            scope.setdefault("state", {})[GUARD_PRINCIPAL] = principal  # the route's get_principal takes it
            missing = Unauthorized(refusal("unknown_token"))
    if principal is None:
        return missing
    try:
        require(rule.access, principal)
    except AppError as exc:
        return exc
    return None


async def _discard(scope: Scope, receive: Receive, received: int, allowance: int) -> None:
    """Read and drop what the client still writes of this body: at most `allowance` bytes, for LINGER_S."""
    declared = _declared_length(scope)
    # A client waiting for `100 Continue` sends no body after a final answer: nothing to wait for.
    waits_to_send = (_header(scope, b"expect") or "").lower() == "100-continue" and received == 0
    if allowance <= 0 or waits_to_send or (declared is not None and declared - received > allowance):
        return  # nothing to wait for, nothing is coming, or it cannot finish anyway: close now
    discarded = 0
    with anyio.move_on_after(LINGER_S):
        while discarded <= allowance:
            message = await receive()
            if message["type"] != "http.request":
                return
            discarded += len(message.get("body", b""))
            if not message.get("more_body", False):
                return


class _Refusal:
    """Answers a refused request, then lets the client finish writing what is in flight (bounded)."""

    def __init__(self, scope: Scope, receive: Receive, send: Send, received: int, allowance: int) -> None:
        self.scope = scope
        self.receive = receive
        self.send_ = send
        self.received = received
        self.allowance = allowance  # body bytes that may still be discarded

    async def send(self, error: AppError) -> None:
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        lang = request_lang((query.get("lang") or [None])[0], _header(self.scope, b"accept-language"))
        response = error_response(error, lang)
        response.headers["Connection"] = "close"
        await self.send_({"type": "http.response.start", "status": response.status_code,
                          "headers": response.raw_headers})
        # The whole answer (its Content-Length says so), then the in-flight rest, then the end of the response.
        await self.send_({"type": "http.response.body", "body": response.body, "more_body": True})
        await _discard(self.scope, self.receive, self.received, self.allowance)
        await self.send_({"type": "http.response.body", "body": b"", "more_body": False})


class _GuardedBody:
    """The application's view of the request body: counted, timed, and cut off by the guard."""

    def __init__(self, scope: Scope, receive: Receive, send: Send, budget: int, over: AppError,
                 clock: Callable[[], float], idle_timeout_s: float, min_rate: int) -> None:
        self.scope = scope
        self.idle_timeout_s = idle_timeout_s
        self.min_rate = min_rate
        self._receive = receive
        self._send = send
        self.budget = budget
        self.over = over
        self.clock = clock
        self.received = 0
        self.complete = _declared_length(scope) == 0
        self.refused = False  # the guard stopped the body: the application sees a disconnect
        self.answered = False  # ... and the guard sent the answer: the application's goes nowhere
        self.started = False  # the application has begun its response
        self.first_wait: float | None = None

    async def receive(self) -> Message:
        if self.refused:
            return _DISCONNECT
        if self.complete:
            return await self._receive()  # the body is in: only a disconnect can come (no limits)
        if self.first_wait is None:
            self.first_wait = self.clock()
        try:
            with anyio.fail_after(self.idle_timeout_s):
                message = await self._receive()
        except TimeoutError:
            return await self._refuse(RequestTimeout(refusal("body_idle", seconds=f"{self.idle_timeout_s:g}")))
        if message["type"] != "http.request":
            self.complete = True
            return message
        self.received += len(message.get("body", b""))
        self.complete = not message.get("more_body", False)
        if self.received > self.budget:
            return await self._refuse(self.over)
        elapsed = self.clock() - self.first_wait
        if not self.complete and elapsed > self.idle_timeout_s and self.received < self.min_rate * elapsed:
            return await self._refuse(RequestTimeout(refusal("body_slow", rate=self.min_rate)))
        return message

    async def _refuse(self, error: AppError) -> Message:
        self.refused = True
        log.info("request body refused on %s %s: %s", self.scope["method"], printable_path(self.scope["path"]),
                 error.detail)
        if not self.started:
            self.answered = True
            allowance = _intake_cap(error, self.budget) - self.received
            await _Refusal(self.scope, self._receive, self._send, self.received, allowance).send(error)
        return _DISCONNECT

    async def send(self, message: Message) -> None:
        if self.answered:
            return  # the guard answered; whatever the application says after that goes nowhere
        if message["type"] == "http.response.start":
            self.started = True
            if message["status"] >= 400 and not self.complete and not self.refused:
                # The application refused before reading the whole body (a 401, or its own finer 413): let a
                # client that writes everything first read that answer too, within the budget and a linger.
                allowance = _intake_cap(self.over, self.budget) - self.received
                await _discard(self.scope, self._receive, self.received, allowance)
        await self._send(message)
