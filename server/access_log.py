"""One log line per request (method, path, status, time; never headers, bodies or query strings) and
the request metrics."""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.metrics import Metrics

log = logging.getLogger("rnn_grader.access")


def printable_path(path: str, limit: int = 200) -> str:
    """The path as one log line can hold it: control characters (a decoded %0A) become "?"."""
    return "".join(c if c.isprintable() else "?" for c in path[:limit])


class AccessLogMiddleware:
    def __init__(self, app: ASGIApp, metrics: Metrics, prefix: str = "") -> None:
        self.app = app
        self.metrics = metrics
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_and_record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_record)
        finally:
            elapsed = time.perf_counter() - started
            method = str(scope.get("method", "?"))
            path = str(scope.get("path", ""))
            route = str(getattr(scope.get("route"), "path", "<unmatched>"))
            if self.prefix and path.startswith(self.prefix) and not route.startswith(self.prefix):
                route = self.prefix + route  # routers included with a prefix report their own path
            client = scope.get("client")
            log.info(
                "%s %s %d %.1fms client=%s",
                method,
                printable_path(path),
                status,
                elapsed * 1000,
                client[0] if client else "-",
            )
            self.metrics.requests.labels(method=method, route=route, status=str(status)).inc()
            self.metrics.request_seconds.labels(method=method).observe(elapsed)
