"""Nothing accepted is lost: a real server process is killed (SIGKILL) while it grades; after a restart
the submission is graded, with full marks, exactly once."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from solutions.slow import slow_correct_source

REPO = Path(__file__).resolve().parents[2]
TEACHER = "crash-test-teacher-token-0123456789"




def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServerProcess:
    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.log = log
        self.port = int(env["RNN_GRADER_PORT"])
        self.base = f"http://127.0.0.1:{self.port}"
        with log.open("wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "server"], cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: the kill takes the sandbox zygote too
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"server exited early:\n{log.read_text()}"
            try:
                if httpx.get(f"{self.base}/api/v1/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"server did not become ready:\n{log.read_text()}")

    def kill9(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)


@pytest.fixture
def server_env(database_url: str, tmp_path: Path, real_exercises: dict[str, Any]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RNN_GRADER_")}
    exercises_dir = real_exercises["rnn"].spec.directory.parent
    env.update(
        PYTHONPATH=str(REPO),
        RNN_GRADER_DATA_DIR=str(tmp_path / "data"),
        RNN_GRADER_DATABASE_URL=database_url,
        RNN_GRADER_ADMIN_TOKEN=TEACHER,
        RNN_GRADER_SECRET="crash-test-seed-secret-0123456789",
        RNN_GRADER_PORT=str(_free_port()),
        RNN_GRADER_WORKERS="1",
        RNN_GRADER_LEASE_SECONDS="2",
        RNN_GRADER_SWEEP_SECONDS="0.5",
        RNN_GRADER_RATE_LIMIT_PER_MINUTE="0",
        RNN_GRADER_EXERCISES_DIR=str(exercises_dir),
    )
    return env


@pytest.fixture
def servers() -> Iterator[list[ServerProcess]]:
    started: list[ServerProcess] = []
    yield started
    for server in started:
        server.stop()


@pytest.mark.slow
def test_kill_9_while_grading_then_restart_grades_exactly_once(
    server_env: dict[str, str], servers: list[ServerProcess], tmp_path: Path, solutions_dir: Path
) -> None:
    teacher = {"Authorization": f"Bearer {TEACHER}"}
    first = ServerProcess(server_env, tmp_path / "first.log")
    servers.append(first)
    created = httpx.post(f"{first.base}/api/v1/students", json={"student_id": "s1", "name": "S"}, headers=teacher)
    assert created.status_code == 201
    student = {"Authorization": f"Bearer {created.json()['token']}"}
    source = slow_correct_source(1.5)
    submitted = httpx.post(f"{first.base}/api/v1/submissions", json={"exercise": "rnn", "source": source},
                           headers=student)
    assert submitted.status_code == 202, submitted.text
    sid = submitted.json()["id"]

    deadline = time.monotonic() + 20
    while httpx.get(f"{first.base}/api/v1/submissions/{sid}", headers=student).json()["status"] != "running":
        assert time.monotonic() < deadline, "grading never started"
        time.sleep(0.05)
    first.kill9()  # in the middle of the 1.5 s sleep

    second = ServerProcess(server_env, tmp_path / "second.log")
    servers.append(second)
    still = httpx.get(f"{second.base}/api/v1/submissions/{sid}", headers=student).json()
    assert still["status"] in ("running", "queued", "graded")  # nothing was lost
    graded = httpx.get(f"{second.base}/api/v1/submissions/{sid}?wait=30", headers=student, timeout=40).json()
    assert graded["status"] == "graded", graded
    assert graded["score"] == graded["max_score"] == 100
    assert graded["attempts"] == 2

    second.stop()
    logs = (tmp_path / "first.log").read_text() + (tmp_path / "second.log").read_text()
    assert logs.count(f"graded submission={sid} ") == 1, logs
    assert "re-queued 1 submission" in (tmp_path / "second.log").read_text()
