"""The installed `rnn-grader` console script against a real server process: `rnn-grader serve` on a free
port with a temporary data directory, then a student's whole session (login, fetch, check, submit) and the
teacher's view, each command a separate process as a person would run it.
"""

from __future__ import annotations

import json
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import clean_env as _clean_env
from helpers import free_port as _free_port
from helpers import running_server

pytestmark = pytest.mark.slow

SCRIPT = Path(sys.executable).with_name("rnn-grader")
TEACHER = "teacher-token-for-cli-process-tests-0123456789"


@pytest.fixture
def server_url(tmp_path: Path) -> Iterator[str]:
    with running_server(tmp_path, TEACHER) as url:
        yield url


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
