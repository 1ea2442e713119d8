"""The ingress guard against a real `rnn-grader serve` (uvicorn) over raw sockets: a body declared small that
sends more, a chunked body over its budget, a body that trickles, and a 300 MB unauthenticated upload that the
server stops reading. "Stopped reading" is what the client sees: how much it could write before the server
closed the connection (its own socket buffers and the kernel's let it write a few MB more than was read)."""

from __future__ import annotations

import json
import select
import socket
import time
from collections.abc import Iterator

import pytest
from live_server import LiveServer, live_server

MB = 1024 * 1024
HUGE = 300 * MB
# What a client can write into the sockets' buffers (and a 413's bounded linger) without the server reading it.
SLACK = 16 * MB


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    env = {"RNN_GRADER_WORKERS": "0", "RNN_GRADER_BODY_IDLE_TIMEOUT_S": "1"}
    with live_server(tmp_path_factory.mktemp("ingress") / "data", env) as running:
        yield running


def _exchange(server: LiveServer, head: str, body: Iterator[bytes], stop_on_answer: bool = False,
              pause_s: float = 0.0) -> tuple[bytes, int]:
    """Write `head`, then the body's pieces until the server answers (if `stop_on_answer`) or a write fails;
    then read until the server closes. Returns (the raw answer, body bytes written)."""
    sent = 0
    answer = b""
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(head.encode())
        sock.setblocking(False)
        try:
            for piece in body:
                view = memoryview(piece)
                while view:
                    readable, writable, _ = select.select([sock], [sock], [], 10)
                    if readable:
                        chunk = sock.recv(65536)
                        answer += chunk
                        if not chunk or stop_on_answer:
                            raise BrokenPipeError
                    if writable:
                        n = sock.send(view)
                        sent += n
                        view = view[n:]
                if pause_s:
                    time.sleep(pause_s)
        except (BrokenPipeError, ConnectionResetError):
            pass
        sock.setblocking(True)
        sock.settimeout(30)
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except ConnectionResetError:
            pass
    return answer, sent


def _status_and_json(answer: bytes) -> tuple[int, dict[str, object]]:
    header, _, payload = answer.partition(b"\r\n\r\n")
    status = int(header.split(b" ", 2)[1])
    length = int(next(line.split(b":", 1)[1] for line in header.split(b"\r\n") if line.lower().startswith(
        b"content-length:")))
    return status, json.loads(payload[:length])


def _pieces(total: int, size: int = 256 * 1024) -> Iterator[bytes]:
    block = b"a" * size
    for _ in range(total // size):
        yield block


def _chunked(total: int, size: int = 256 * 1024) -> Iterator[bytes]:
    frame = f"{size:x}\r\n".encode() + b"a" * size + b"\r\n"
    for _ in range(total // size):
        yield frame


def test_a_300_mb_unauthenticated_upload_is_refused_and_not_read(server: LiveServer) -> None:
    head = (f"POST /api/v1/students/import HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {HUGE}\r\n"
            "Content-Type: multipart/form-data; boundary=x\r\n\r\n")
    answer, sent = _exchange(server, head, _pieces(HUGE))
    status, body = _status_and_json(answer)
    assert status == 401 and body["error"] == "Unauthorized"
    assert sent < SLACK, f"the client wrote {sent // MB} MB"
    # The same, chunked (no length declared).
    head = ("POST /api/v1/students/import HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
            "Content-Type: multipart/form-data; boundary=x\r\n\r\n")
    answer, sent = _exchange(server, head, _chunked(HUGE))
    assert _status_and_json(answer)[0] == 401 and sent < SLACK


def test_a_chunked_body_over_its_budget_gets_413_and_the_rest_is_not_read(server: LiveServer) -> None:
    head = ("POST /scoreboard/login HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n\r\n")
    answer, sent = _exchange(server, head, _chunked(HUGE))
    status, body = _status_and_json(answer)
    assert status == 413 and body["error"] == "PayloadTooLarge" and "KiB" in str(body["detail"])
    assert sent < SLACK, f"the client wrote {sent // MB} MB"


def test_a_body_declared_small_that_sends_more_is_read_only_as_declared(server: LiveServer) -> None:
    token = server.create_student("declared-small")
    head = (f"POST /api/v1/submissions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
            "Content-Type: application/json\r\nContent-Length: 20\r\n\r\n")
    answer, sent = _exchange(server, head, _pieces(HUGE))
    # The first 20 bytes are the body (not JSON); what follows is not a request: 400, and the server closes.
    assert answer.startswith((b"HTTP/1.1 422 ", b"HTTP/1.1 400 ")) and b"HTTP/1.1 400 " in answer
    assert sent < SLACK, f"the client wrote {sent // MB} MB"
    status, body = server.request("POST", "/api/v1/submissions", {"exercise": "rnn", "source": "x = 1\n"},
                                  token=token)
    assert status == 202, body  # and the server is fine


def test_a_declared_length_over_the_budget_is_refused_before_the_body_is_sent(server: LiveServer) -> None:
    token = server.create_student("declared-large")
    head = (f"POST /api/v1/submissions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {HUGE}\r\n\r\n")
    answer, sent = _exchange(server, head, iter(()))  # not one byte of the body
    assert sent == 0 and _status_and_json(answer)[0] == 413
    expect = head.replace("\r\n\r\n", "\r\nExpect: 100-continue\r\n\r\n")
    answer, _ = _exchange(server, expect, iter(()))
    assert answer.startswith(b"HTTP/1.1 413 ") and b"100 Continue" not in answer


def test_a_body_that_trickles_gets_408(server: LiveServer) -> None:
    head = ("POST /scoreboard/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n\r\n")
    started = time.monotonic()
    answer, _ = _exchange(server, head, iter([b"token=abc"]))  # then nothing (idle timeout: 1 s here)
    assert _status_and_json(answer)[0] == 408 and time.monotonic() - started < 20
    # Never idle for 1 s, but 1 byte every 0.3 s: far under 1 KiB/s on average once 1 s has passed.
    answer, sent = _exchange(server, head, iter([b"t"] * 50), stop_on_answer=True, pause_s=0.3)
    status, body = _status_and_json(answer)
    assert status == 408 and "slowly" in str(body["detail"]) and sent < 20
