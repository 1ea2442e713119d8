"""The student page's submit form, uploaded slowly or abandoned half-way (SQLite and PostgreSQL): while the body
is on its way no database connection is held (a few dozen slow clients would otherwise hold the whole pool,
signed in or with any cookie), and a client that goes away mid-body gets no 500 and leaves no traceback."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import anyio
import pytest
from helpers import page_sign_in
from starlette.testclient import TestClient

BOUNDARY = b"b0undary"
FIRST_PART = b"--" + BOUNDARY + b'\r\nContent-Disposition: form-data; name="source"\r\n\r\nimport numpy'


@dataclass
class Stalled:
    held_while_waiting: int = 0
    statuses: list[int] = field(default_factory=list)
    raised: BaseException | None = None


def _stall_then_leave(client: TestClient, cookie: bytes, path: str = "/student/exercises/rnn/submit") -> Stalled:
    """Send the first part of a multipart body, stall (counting the pool's connections), then disconnect."""
    app: Any = client.app
    pool = app.state.ctx.engine.pool
    headers = [(b"host", b"testserver"), (b"content-type", b"multipart/form-data; boundary=" + BOUNDARY),
               (b"content-length", b"5000"), (b"cookie", cookie)]
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "", "headers": headers,
             "client": ("10.0.0.9", 5555), "server": ("testserver", 80)}
    seen = Stalled()

    async def run() -> None:
        waiting, release = anyio.Event(), anyio.Event()
        chunks = [{"type": "http.request", "body": FIRST_PART, "more_body": True}]

        async def receive() -> dict[str, Any]:
            if chunks:
                return chunks.pop(0)
            waiting.set()
            await release.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                seen.statuses.append(int(message["status"]))

        async def call() -> None:
            try:
                await app(scope, receive, send)
            except BaseException as exc:  # noqa: BLE001 - what escapes the app is the finding
                seen.raised = exc

        before = pool.checkedout()
        async with anyio.create_task_group() as group:
            group.start_soon(call)
            with anyio.fail_after(20):
                await waiting.wait()
            await anyio.sleep(0.3)
            seen.held_while_waiting = pool.checkedout() - before
            release.set()

    assert client.portal is not None
    client.portal.call(run)
    return seen


@pytest.fixture
def signed_in(make_client: Callable[..., TestClient], create_student: Callable[..., dict[str, str]]) -> TestClient:
    client = make_client()  # started: its portal drives the app from the test
    assert page_sign_in(client, create_student(client, "s1", "Ada")["token"], "/student").status_code == 303
    return client


def test_a_slow_upload_holds_no_database_connection(signed_in: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    cookie = signed_in.cookies.get("rnn_grader_student")
    assert cookie
    cases = {"signed in": b"rnn_grader_student=" + cookie.encode(),
             "a made-up session cookie": b"rnn_grader_student=" + b"A" * 43,
             "no session": b"other=1"}
    with caplog.at_level(logging.INFO):
        for name, value in cases.items():
            caplog.clear()
            seen = _stall_then_leave(signed_in, value)
            assert seen.held_while_waiting == 0, name
            # The client went away: whatever is answered is not a 5xx, and nothing escapes or logs a traceback.
            assert seen.raised is None and all(status < 500 for status in seen.statuses), (name, seen)
            assert not [r for r in caplog.records if r.levelno >= logging.ERROR], name
