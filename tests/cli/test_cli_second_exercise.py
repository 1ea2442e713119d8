"""The student's CLI with two exercises, against the real app graded by the real sandboxed grader: fetch both
into one folder (two public examples files side by side), check and gradcheck each offline, submit a file and a
notebook whose exercise is inferred (from the file name, from the functions it defines), and see both scores."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from helpers import notebook_bytes
from starlette.testclient import TestClient
from typer.testing import CliRunner, Result

import cli.transport
from cli import config as cfg
from cli.main import app

SERVER = "http://testserver"
SOLUTIONS = Path(__file__).resolve().parents[1] / "solutions"


@pytest.fixture
def student(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, grading_client: TestClient,
            create_student: Callable[..., dict[str, str]]) -> TestClient:
    """A logged-in student in an empty work folder; the CLI's HTTP goes to the app, its waits sleep not."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    for var in ("RNN_GRADER_SERVER", "RNN_GRADER_TOKEN", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.setenv("COLUMNS", "250")
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    monkeypatch.setattr(cli.transport, "sleep", lambda s: None)

    def factory(server: str, timeout: float = 30.0) -> httpx.Client:
        assert server == SERVER
        return TestClient(grading_client.app, base_url=server)

    monkeypatch.setattr(cli.transport, "client_factory", factory)
    cfg.save(cfg.Config(server=SERVER, token=create_student(grading_client, "s1")["token"]))
    return grading_client


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def ok(*args: str) -> str:
    result = run(*args)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_two_exercises_in_one_folder_from_fetch_to_grade(student: TestClient) -> None:
    ok("fetch", "rnn")
    ok("fetch", "rnn_gradients")
    assert sorted(os.listdir()) == ["exercise_01_rnn.py", "exercise_02_gradients.py", "public_examples.npz",
                                    "rnn_gradients_public_examples.npz"]
    # the templates fail their checks gracefully: every test not implemented, nothing crashes
    template = json.loads(ok("check", "exercise_02_gradients.py", "--json"))
    assert template["exercise"] == "rnn_gradients" and template["score"] == 0
    assert {t["outcome"] for p in template["parts"] for t in p["tests"]} == {"runtime_error"}

    Path("exercise_01_rnn.py").write_text((SOLUTIONS / "correct_rnn.py").read_text(encoding="utf-8"))
    Path("exercise_02_gradients.py").write_text((SOLUTIONS / "correct_rnn_gradients.py").read_text(encoding="utf-8"))
    for file, exercise in (("exercise_01_rnn.py", "rnn"), ("exercise_02_gradients.py", "rnn_gradients")):
        checked = json.loads(ok("check", file, "--json"))  # each file finds its own examples
        assert checked["exercise"] == exercise and checked["score"] == checked["max_score"] == 100
        assert json.loads(ok("gradcheck", file, "--json"))["ok"] is True
        submitted = json.loads(ok("submit", file, "--json"))
        assert (submitted["exercise"], submitted["status"], submitted["score"]) == (exercise, "graded", 100)

    listed = json.loads(ok("exercises", "--json"))
    assert [(e["id"], e["best_score"]) for e in listed] == [("rnn", 100.0), ("rnn_gradients", 100.0)]
    assert "rnn_gradients" in ok("history")


def test_a_notebook_goes_to_the_exercise_whose_functions_it_defines(student: TestClient) -> None:
    solution = (SOLUTIONS / "correct_rnn_gradients.py").read_text(encoding="utf-8")
    Path("work.ipynb").write_bytes(notebook_bytes("import numpy as np", solution))
    submitted = json.loads(ok("submit", "work.ipynb", "--json"))
    assert submitted["exercise"] == "rnn_gradients" and submitted["score"] == 100
    # a file with functions of neither exercise goes to the default, as before
    Path("other.py").write_text("def helper():\n    return 1\n")
    assert json.loads(ok("submit", "other.py", "--json", "--no-wait"))["exercise"] == "rnn"
