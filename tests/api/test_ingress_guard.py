"""The ingress guard (server.ingress) at the ASGI level: the real app, driven with a receive() that records
what was read and when, so "answered before one byte was read" and "stopped at the budget" are facts the
test sees, not guesses. The same behaviour over real sockets: tests/api/test_ingress_live.py."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import anyio
import pytest
from starlette.testclient import TestClient

from server.ingress.budgets import DEFAULT_BYTES, RULES, paste_bytes, rule_for, submission_api_bytes
from server.ingress.guard import LINGER_MIN_BYTES

TEACHER = "teacher-token-for-tests-0123456789"  # tests/conftest.py


@dataclass
class Exchange:
    """What one request did: bytes handed to the app (in order, with sends between), and the answer."""

    events: list[tuple[str, int]] = field(default_factory=list)
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    @property
    def read_before_answer(self) -> int:
        total = 0
        for kind, n in self.events:
            if kind == "answer":
                return total
            total += n
        return total

    @property
    def read(self) -> int:
        return sum(n for kind, n in self.events if kind == "read")


async def _chunks(chunks: Iterable[bytes], delay_s: float) -> AsyncIterator[bytes]:
    for chunk in chunks:
        if delay_s:
            await anyio.sleep(delay_s)
        yield chunk


def drive(app: Any, method: str, path: str, chunks: Iterable[bytes], headers: dict[str, str] | None = None,
          delay_s: float = 0.0, stall_s: float = 0.0) -> Exchange:
    """One request through the whole app. `chunks` are the body's pieces (sent `delay_s` apart; after the last
    one the client stalls `stall_s` before saying the body is complete)."""
    exchange = Exchange()
    pieces = _chunks(chunks, delay_s)
    done = False

    async def receive() -> dict[str, Any]:
        nonlocal done
        if done:
            await anyio.sleep(3600)  # the client waits for its answer
        try:
            chunk = await pieces.__anext__()
        except StopAsyncIteration:
            if stall_s:
                await anyio.sleep(stall_s)
            done = True
            return {"type": "http.request", "body": b"", "more_body": False}
        exchange.events.append(("read", len(chunk)))
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            exchange.events.append(("answer", 0))
            exchange.status = message["status"]
            exchange.headers = {k.decode().lower(): v.decode() for k, v in message.get("headers", [])}
        elif message["type"] == "http.response.body":
            exchange.body += message.get("body", b"")

    raw_headers = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": [(b"host", b"testserver"), *raw_headers], "client": ("127.0.0.1", 5000),
             "server": ("testserver", 80)}

    async def main() -> None:
        with anyio.fail_after(60):
            await app(scope, receive, send)

    anyio.run(main)
    return exchange


def _kib(n: int) -> list[bytes]:
    return [b"x" * 1024] * n


@pytest.fixture
def app(make_client: Callable[..., TestClient]) -> Any:
    return make_client(body_idle_timeout_s=0.5).app


def _student(app: Any) -> dict[str, str]:
    client = TestClient(app)
    token = client.post("/api/v1/students", json={"student_id": "s1", "name": "S"},
                        headers={"Authorization": f"Bearer {TEACHER}"}).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def test_a_declared_length_over_the_budget_is_answered_before_one_byte_is_read(app: Any) -> None:
    huge = drive(app, "POST", "/scoreboard/login", _kib(20), {"Content-Length": str(300 * 1024 * 1024),
                                                              "Content-Type": "application/x-www-form-urlencoded"})
    assert huge.status == 413 and huge.read == 0  # too large to ever finish: nothing is read at all
    assert b'"error": "PayloadTooLarge"' in huge.body or b'"error":"PayloadTooLarge"' in huge.body
    assert huge.headers["connection"] == "close"
    # A body that can still finish: answered first, then what is in flight is discarded (never passed on).
    small = drive(app, "POST", "/scoreboard/login", _kib(20), {"Content-Length": str(20 * 1024),
                                                               "Content-Type": "application/x-www-form-urlencoded"})
    assert small.status == 413 and small.read_before_answer == 0 and small.read == 20 * 1024


def test_a_chunked_body_is_cut_off_at_its_budget(app: Any) -> None:
    cut = drive(app, "POST", "/scoreboard/login", _kib(100_000),
                {"Transfer-Encoding": "chunked", "Content-Type": "application/x-www-form-urlencoded"})
    assert cut.status == 413
    assert DEFAULT_BYTES < cut.read_before_answer <= DEFAULT_BYTES + 1024
    assert cut.read <= cut.read_before_answer + LINGER_MIN_BYTES + 1024  # the bounded linger, then closed


def test_an_api_json_body_without_free_text_gets_a_few_kib(app: Any) -> None:
    body = drive(app, "POST", "/api/v1/students", _kib(50), {"Authorization": f"Bearer {TEACHER}",
                                                             "Content-Type": "application/json"})
    assert body.status == 413 and body.read_before_answer <= DEFAULT_BYTES + 1024


def test_teacher_uploads_check_the_token_before_reading_their_body(app: Any, make_staff: Any) -> None:
    headers = {"Content-Type": "multipart/form-data; boundary=x", "Content-Length": str(300 * 1024 * 1024)}
    nobody = drive(app, "POST", "/api/v1/students/import", _kib(10), headers)
    assert nobody.status == 401 and nobody.read == 0 and b"Unauthorized" in nobody.body
    student = drive(app, "POST", "/api/v1/students/import", _kib(10), {**headers, **_student(app)})
    assert student.status == 403 and student.read == 0 and b"TeacherOnly" in student.body
    ta = make_staff(TestClient(app), "ta1", role="ta")
    roster = drive(app, "POST", "/api/v1/students/import", _kib(10), {**headers, **ta})
    assert roster.status == 403 and roster.read == 0 and b"InstructorOnly" in roster.body
    wrong = drive(app, "POST", "/api/v1/extensions/import", _kib(10),
                  {**headers, "Authorization": "Bearer not-a-token-0123456789"})
    assert wrong.status == 401 and wrong.read == 0
    # Chunked, with no length: refused just the same before a byte is read.
    chunked = drive(app, "POST", "/api/v1/students/import", _kib(10), {"Transfer-Encoding": "chunked"})
    assert chunked.status == 401 and chunked.read_before_answer == 0


def test_a_submission_is_read_only_for_a_student(app: Any) -> None:
    headers = {"Content-Type": "application/json", "Content-Length": "100"}
    assert drive(app, "POST", "/api/v1/submissions", [b"{}"], headers).status == 401
    teacher = drive(app, "POST", "/api/v1/submissions", [b"{}"], {**headers, "Authorization": f"Bearer {TEACHER}"})
    assert teacher.status == 403 and teacher.read_before_answer == 0 and b"cannot submit" in teacher.body
    budget = submission_api_bytes(app.state.ctx.settings)
    over = drive(app, "POST", "/api/v1/submissions", _kib(10),
                 {**_student(app), "Content-Type": "application/json", "Content-Length": str(budget + 1)})
    assert over.status == 413 and over.read_before_answer == 0


def test_a_body_that_trickles_gets_408(app: Any) -> None:
    # Idle: the client stops sending (RNN_GRADER_BODY_IDLE_TIMEOUT_S is 0.5 s here).
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    idle = drive(app, "POST", "/scoreboard/login", [b"token=abc"], {**form, "Content-Length": "100"}, stall_s=5)
    assert idle.status == 408 and b"RequestTimeout" in idle.body
    # Slow but never idle: one byte every 0.2 s is far under 1 KiB/s once 0.5 s have passed.
    slow = drive(app, "POST", "/scoreboard/login", [b"t"] * 40, {**form, "Transfer-Encoding": "chunked"},
                 delay_s=0.2)
    assert slow.status == 408 and slow.read < 10  # and a trickler is not waited for after its 408


def test_the_student_page_keeps_a_small_form_without_a_session_but_not_a_large_one(app: Any) -> None:
    paste = [b"csrf=x&source=" + b"y" * 1000]
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    small = drive(app, "POST", "/student/exercises/rnn/submit", paste, {**form, "Content-Length": str(len(paste[0]))})
    # The guard lets it through: the page asks to sign in, its form carrying the pasted code (server.web.drafts).
    assert small.status == 401 and b'name="draft_source" value="' + b"y" * 1000 in small.body
    large = drive(app, "POST", "/student/exercises/rnn/submit", _kib(10),
                  {**form, "Content-Length": str(paste_bytes(app.state.ctx.settings) + 1)})
    assert large.status == 303 and large.read_before_answer == 0
    assert large.headers["location"] == "/student/login?next=/student"  # the guard's answer


def test_every_upload_route_has_a_rule_that_authenticates_first(app: Any) -> None:
    schema = TestClient(app).get("/openapi.json").json()
    uploads = [(method.upper(), path) for path, ops in schema["paths"].items() for method, op in ops.items()
               if "multipart/form-data" in op.get("requestBody", {}).get("content", {})]
    assert uploads, "the schema lists the multipart routes"
    for method, path in uploads:
        concrete = path.replace("{", "").replace("}", "")
        rule = rule_for(method, concrete)
        assert rule in RULES and rule.access is not None, (method, path)
    assert rule_for("POST", "/api/v1/anything-else").max_bytes(app.state.ctx.settings) == DEFAULT_BYTES


def test_the_guards_refusals_are_logged_and_counted(app: Any, caplog: pytest.LogCaptureFixture) -> None:
    # The access log sits outside the guard: an operator sees a flood of 413s and 401s like any other answer.
    with caplog.at_level(logging.INFO, logger="rnn_grader.access"):
        caplog.clear()
        big = drive(app, "POST", "/scoreboard/login", _kib(20), {"Content-Length": str(300 * 1024 * 1024),
                                                                 "Content-Type": "application/x-www-form-urlencoded"})
        stranger = drive(app, "POST", "/api/v1/students/import", _kib(10), {"Content-Type": "text/csv"})
    assert (big.status, stranger.status) == (413, 401)
    lines = [r.getMessage() for r in caplog.records if r.name == "rnn_grader.access"]
    assert [line.split(" ")[:3] for line in lines] == [["POST", "/scoreboard/login", "413"],
                                                      ["POST", "/api/v1/students/import", "401"]]
    metrics = TestClient(app).get("/metrics", headers={"Authorization": f"Bearer {TEACHER}"}).text
    assert 'rnn_grader_http_requests_total{method="POST",route="<unmatched>",status="413"} 1.0' in metrics
