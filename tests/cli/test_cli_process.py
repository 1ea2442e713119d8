"""The installed `rnn-grader` console script against a real server process: `rnn-grader serve` on a free
port with a temporary data directory, then a student's whole session (login, fetch, check, submit) and the
teacher's view, each command a separate process as a person would run it.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.slow

SCRIPT = Path(sys.executable).with_name("rnn-grader")
TEACHER = "teacher-token-for-cli-process-tests-0123456789"
START_TIMEOUT_S = 30.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _clean_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RNN_GRADER_")}
    env.update(XDG_CONFIG_HOME=str(tmp_path / "config"), LANG="C.UTF-8", COLUMNS="200")
    env.pop("LC_ALL", None)
    return env


@pytest.fixture
def server_url(tmp_path: Path) -> Iterator[str]:
    if not SCRIPT.exists():
        pytest.fail(f"{SCRIPT} is missing: install the project (pip install -e .)")
    port = _free_port()
    env = _clean_env(tmp_path)
    env.update(
        RNN_GRADER_DATA_DIR=str(tmp_path / "data"),
        RNN_GRADER_ADMIN_TOKEN=TEACHER,
        RNN_GRADER_WORKERS="1",
        RNN_GRADER_RATE_LIMIT_PER_MINUTE="0",
        RNN_GRADER_LOG_LEVEL="WARNING",
    )
    log = (tmp_path / "server.log").open("wb")
    proc = subprocess.Popen([str(SCRIPT), "serve", "--host", "127.0.0.1", "--port", str(port)],
                            env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                pytest.fail(f"the server exited with {proc.returncode}:\n{(tmp_path / 'server.log').read_text()}")
            try:
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the server did not start:\n{(tmp_path / 'server.log').read_text()}")
            time.sleep(0.1)
        yield url
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def cli(tmp_path: Path, *args: str, token: str | None = None) -> subprocess.CompletedProcess[str]:
    env = _clean_env(tmp_path)
    if token is not None:
        env["RNN_GRADER_TOKEN"] = token
    return subprocess.run([str(SCRIPT), *args], env=env, cwd=tmp_path / "work", capture_output=True,
                          text=True, timeout=120)


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, f"{result.args}: {result.stdout}\n{result.stderr}"
    return result.stdout


def test_a_students_whole_session_against_a_real_server(server_url: str, tmp_path: Path,
                                                        solutions_dir: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    # the teacher logs in and adds a student
    ok(cli(tmp_path, "login", "--server", server_url, "--token", TEACHER))
    student: dict[str, Any] = json.loads(ok(cli(tmp_path, "students", "add", "s1", "Li Hua", "--json")))

    bad = cli(tmp_path, "login", "--server", server_url, "--token", "wrong-token")
    assert bad.returncode == 1 and bad.stderr.count("\n") == 1 and "rejected the token" in bad.stderr

    ok(cli(tmp_path, "login", "--server", server_url, "--token", student["token"]))
    config = tmp_path / "config" / "rnn-grader" / "config.json"
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert json.loads(config.read_text())["token"] == student["token"]

    ok(cli(tmp_path, "fetch", "rnn"))
    template = work / "exercise_01_rnn.py"
    assert template.is_file() and any(work.glob("*.npz"))
    refused = cli(tmp_path, "fetch", "rnn")
    assert refused.returncode == 1 and "--force" in refused.stderr

    shutil.copyfile(solutions_dir / "correct_rnn.py", template)  # "edit"
    checked = json.loads(ok(cli(tmp_path, "check", "exercise_01_rnn.py", "--json")))
    assert checked["score"] == checked["max_score"] > 0

    submitted = json.loads(ok(cli(tmp_path, "submit", "exercise_01_rnn.py", "--json")))
    assert submitted["status"] == "graded" and submitted["score"] == submitted["max_score"] == 100
    assert "100 / 100" in ok(cli(tmp_path, "status"))
    assert json.loads(ok(cli(tmp_path, "exercises", "--json")))[0]["best_score"] == 100

    board = json.loads(ok(cli(tmp_path, "scoreboard", "--json", token=TEACHER)))
    assert [(r["student_id"], r["total"]) for r in board] == [("s1", 100.0)]


def test_an_unreachable_server_is_a_one_line_error(tmp_path: Path) -> None:
    (tmp_path / "work").mkdir()
    # login tries once (a mistyped URL should say so at once); other commands retry with backoff
    result = cli(tmp_path, "login", "--server", f"http://127.0.0.1:{_free_port()}", "--token", "t")
    assert result.returncode == 1
    assert result.stderr.startswith("error: cannot reach the server") and result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr
