"""A real `rnn-grader serve` process (uvicorn, SQLite in a temp data dir) on a free loopback port, for tests
that need real sockets and for benchmarks/http_throughput.py. Imported as `live_server` (tests/ is on
sys.path via conftest; the benchmark puts it there itself)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEACHER_TOKEN = "live-teacher-token-0123456789abcdef"
START_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class LiveServer:
    base: str  # http://127.0.0.1:PORT
    port: int
    process: subprocess.Popen[bytes]

    def request(self, method: str, path: str, body: object | None = None,
                token: str = TEACHER_TOKEN) -> tuple[int, dict[str, object]]:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method, headers={
            "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=30) as response:
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"{}")

    def create_student(self, student_id: str) -> str:
        status, body = self.request("POST", "/api/v1/students", {"student_id": student_id, "name": student_id})
        assert status == 201, body
        return str(body["token"])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def live_server(data_dir: Path, env: Mapping[str, str] | None = None) -> Iterator[LiveServer]:
    """Start `rnn-grader serve`, wait for /healthz, yield; SIGTERM (then SIGKILL) on the way out."""
    port = free_port()
    environment = {
        **os.environ,
        "RNN_GRADER_DATA_DIR": str(data_dir),
        "RNN_GRADER_ADMIN_TOKEN": TEACHER_TOKEN,
        "RNN_GRADER_SECRET": "live-secret-0123456789abcdef0123456789",
        "RNN_GRADER_RATE_LIMIT_PER_MINUTE": "0",
        "RNN_GRADER_LOG_LEVEL": "WARNING",
        **(env or {}),
    }
    environment.pop("RNN_GRADER_DATABASE_URL", None)
    command = [sys.executable, "-c", "from cli.main import app; app()", "serve", "--host", "127.0.0.1",
               "--port", str(port)]
    process = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, start_new_session=True)
    server = LiveServer(f"http://127.0.0.1:{port}", port, process)
    try:
        _wait_ready(server)
        yield server
    finally:
        _stop(process)


def _wait_ready(server: LiveServer) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            err = server.process.stderr.read().decode(errors="replace") if server.process.stderr else ""
            raise RuntimeError(f"server exited with {server.process.returncode}: {err[-2000:]}")
        try:
            with urllib.request.urlopen(server.base + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except (OSError, urllib.error.URLError):
            pass
        time.sleep(0.1)
    raise RuntimeError("server did not become ready")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    if process.stderr is not None:
        process.stderr.close()
