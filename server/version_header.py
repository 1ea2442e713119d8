"""`X-RNN-Grader-Version` on every response, so a student client older than its server can say how to
upgrade (cli.client.ApiClient); and `X-RNN-Grader-Timezone`, the course's time zone, in which the CLI shows
times as the pages do (grader.times)."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

VERSION_HEADER = b"x-rnn-grader-version"
TIMEZONE_HEADER = b"x-rnn-grader-timezone"


class VersionHeaderMiddleware:
    def __init__(self, app: ASGIApp, version: str, timezone: str = "UTC") -> None:
        self.app = app
        self.version = version.encode("ascii")
        self.timezone = timezone.encode("ascii")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_version(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (VERSION_HEADER, self.version),
                                      (TIMEZONE_HEADER, self.timezone)]
            await send(message)

        await self.app(scope, receive, send_with_version)
