"""Let every client read its 413: drain the rest of a rejected request body before answering.

The submission body is refused as soon as it is known to be too large (declared Content-Length, or while
reading). If the server then answered and closed with the client still sending, the kernel would reset the
connection over the unread bytes, and a client that writes its whole body before reading (urllib, curl
without Expect, most simple scripts) would see "connection reset" instead of the JSON error. So before a 413
(or any other error sent before the body was read) starts, the unread rest of the body is read and
discarded, bounded in bytes and in time: a body larger than DRAIN_MAX_BYTES (declared or sent) or slower
than DRAIN_MAX_SECONDS is still cut off.
"""

from __future__ import annotations

from collections.abc import Callable

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

DRAIN_MAX_BYTES = 64 * 1024 * 1024
DRAIN_MAX_SECONDS = 10.0


class DrainRejectedBody:
    """ASGI middleware: before an error response (413, but also a 401 or 404 sent before the body was
    read), consume the request body the app left unread (bounded)."""

    def __init__(self, app: ASGIApp, max_bytes: int = DRAIN_MAX_BYTES, max_seconds: float = DRAIN_MAX_SECONDS) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_seconds = max_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body_done = False
        received = 0

        async def tracking_receive() -> Message:
            nonlocal body_done, received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                body_done = body_done or not message.get("more_body", False)
            elif message["type"] == "http.disconnect":
                body_done = True
            return message

        async def draining_send(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] >= 400 and not body_done:
                await self._drain(scope, tracking_receive, lambda: body_done, lambda: received)
            await send(message)

        await self.app(scope, tracking_receive, draining_send)

    async def _drain(self, scope: Scope, receive: Receive, done: Callable[[], bool],
                     received: Callable[[], int]) -> None:
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            return  # not worth reading: the client gets a reset, as before
        with anyio.move_on_after(self.max_seconds):
            while not done() and received() <= self.max_bytes:
                await receive()


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() else None
    return None
