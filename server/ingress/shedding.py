"""Load shedding: refuse at once what would only queue. Pure ASGI, outermost.

Every request that reaches the application needs request threads (server.db.REQUEST_THREADS) for its database
work; when more than RNN_GRADER_MAX_QUEUED_REQUESTS tasks already wait for one, a new request is answered at
once with 503 `Overloaded` and `Retry-After` instead of joining a queue it would leave seconds later. The
health checks are never refused. Nothing is read of a refused body; the connection closes.
"""

from __future__ import annotations

import anyio.to_thread
from starlette.types import ASGIApp, Receive, Scope, Send

from server.deps import AppContext
from server.errors import Overloaded, error_response

# The health checks: a probe gets the process's real state (readiness queues for its thread like before).
ALWAYS_ANSWERED = frozenset({"/healthz", "/api/v1/healthz", "/readyz", "/api/v1/readyz"})


def queued_for_threads() -> int:
    return int(anyio.to_thread.current_default_thread_limiter().statistics().tasks_waiting)


class LoadShedding:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] not in ALWAYS_ANSWERED:
            ctx: AppContext = scope["app"].state.ctx
            limit = ctx.settings.max_queued_requests
            if limit > 0 and queued_for_threads() > limit:
                response = error_response(Overloaded())
                response.headers["Connection"] = "close"
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
