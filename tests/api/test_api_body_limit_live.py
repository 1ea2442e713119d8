"""A submission body about twice its budget against a real uvicorn server process: clients that write the
whole body before reading (a raw socket, urllib) still get the JSON 413, for JSON and for multipart bodies.
The ingress guard stops reading at the budget and discards at most as much again before it closes
(server.ingress.guard); a far larger body gets its 413 and a closed connection (tests/api/test_ingress_live.py)."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from live_server import LiveServer, live_server

BIG = 3_800_000  # the budget is ~2 MiB (a notebook plus the envelope)
URL = "/api/v1/submissions"
BOUNDARY = "----rnn-grader-test-boundary"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(tmp_path_factory.mktemp("live") / "data", {"RNN_GRADER_WORKERS": "0"}) as running:
        yield running


@pytest.fixture(scope="module")
def token(server: LiveServer) -> str:
    return server.create_student("big-body")


def _json_body() -> bytes:
    return json.dumps({"exercise": "rnn", "source": "x" * BIG}).encode()


def _multipart_body() -> bytes:
    head = (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"exercise\"\r\n\r\nrnn\r\n"
            f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"rnn.py\"\r\n"
            "Content-Type: text/x-python\r\n\r\n").encode()
    return head + b"#" * BIG + f"\r\n--{BOUNDARY}--\r\n".encode()


BODIES = {"json": ("application/json", _json_body), "multipart": (f"multipart/form-data; boundary={BOUNDARY}",
                                                                  _multipart_body)}


def _raw_post(server: LiveServer, token: str, content_type: str, body: bytes) -> tuple[int, dict[str, object]]:
    """Write the request line, headers and the WHOLE body, and only then read the answer."""
    head = (f"POST {URL} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(head + body)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    raw = b"".join(chunks)
    header, _, payload = raw.partition(b"\r\n\r\n")
    status = int(header.split(b" ", 2)[1])
    return status, json.loads(payload)


@pytest.mark.parametrize("kind", sorted(BODIES))
def test_a_client_that_sends_everything_first_gets_the_413(server: LiveServer, token: str, kind: str) -> None:
    content_type, make = BODIES[kind]
    status, body = _raw_post(server, token, content_type, make())
    assert status == 413
    assert body["error"] == "PayloadTooLarge" and body["detail"]


@pytest.mark.parametrize("kind", sorted(BODIES))
def test_urllib_gets_the_413_not_a_reset(server: LiveServer, token: str, kind: str) -> None:
    content_type, make = BODIES[kind]
    request = urllib.request.Request(server.base + URL, data=make(), method="POST", headers={
        "Authorization": f"Bearer {token}", "Content-Type": content_type})
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=30)
    assert caught.value.code == 413
    assert json.loads(caught.value.read())["error"] == "PayloadTooLarge"


def test_the_connection_still_serves_after_a_413(server: LiveServer, token: str) -> None:
    """The drained body leaves the server healthy: a normal submission right after is accepted."""
    status, _ = _raw_post(server, token, "application/json", _json_body())
    assert status == 413
    status, body = server.request("POST", URL, {"exercise": "rnn", "source": "x = 1\n"}, token=token)
    assert status == 202 and body["status"] == "queued"
