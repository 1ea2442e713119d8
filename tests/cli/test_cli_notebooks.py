"""The CLI with notebooks (`check`/`submit` of an .ipynb) and a server newer than the client."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from helpers import EXPERIMENT_IMPORTS, TRAINING_CELL, notebook_bytes
from starlette.testclient import TestClient
from test_cli import (  # noqa: F401  (cli_env and database_url are fixtures this module uses too)
    SERVER,
    assert_one_line_error,
    cli_env,
    database_url,
    forward,
    login_as,
    run,
    use_app,
    use_handler,
)

from cli.client import is_newer
from cli.version import VERSION


@pytest.fixture
def public_examples(real_exercises: dict[str, Any]) -> Path:
    path: Path = real_exercises["rnn"].spec.public_examples_path
    return path


@pytest.fixture
def student_notebook(correct_source: str) -> Path:
    path = Path("rnn.ipynb")
    path.write_bytes(notebook_bytes(("markdown", "# RNN"), EXPERIMENT_IMPORTS, correct_source, TRAINING_CELL))
    return path


def test_check_a_notebook_offline_reports_the_skipped_cells(student_notebook: Path, public_examples: Path) -> None:
    shutil.copyfile(public_examples, public_examples.name)
    result = run("check", str(student_notebook), "--json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["score"] == body["max_score"] > 0
    assert "Cell 2 was run in part" in body["feedback"] and "Cell 4 was run in part" in body["feedback"]
    zh = run("check", str(student_notebook), "--lang", "zh")
    assert zh.exit_code == 0 and "第 2 个单元格" in zh.stdout and "matplotlib" in zh.stdout


def test_check_a_broken_notebook_is_a_one_line_error(public_examples: Path) -> None:
    Path("broken.ipynb").write_text('{"cells": [')
    assert_one_line_error(run("check", "broken.ipynb", "--examples", str(public_examples)),
                          "broken.ipynb: the notebook is not JSON")


def test_submit_a_notebook_uploads_the_file(
    monkeypatch: pytest.MonkeyPatch, grading_client: TestClient, create_student: Callable[..., dict[str, str]],
    student_notebook: Path,
) -> None:
    use_app(monkeypatch, grading_client)
    login_as(create_student(grading_client, "s1")["token"])
    result = run("submit", str(student_notebook), "--exercise", "rnn", "--json")
    assert result.exit_code == 0, result.output
    sub = json.loads(result.stdout)
    assert sub["status"] == "graded" and sub["score"] == sub["max_score"] == 100
    assert [c["cell"] for c in sub["notebook"]["skipped"]] == [2, 4]
    human = run("status")
    assert "100 / 100" in human.stdout and "Cell 4 was run in part" in human.stdout


def test_submit_a_broken_notebook_prints_the_servers_reason(
    monkeypatch: pytest.MonkeyPatch, api_client: TestClient, create_student: Callable[..., dict[str, str]],
) -> None:
    use_app(monkeypatch, api_client)
    login_as(create_student(api_client, "s1")["token"])
    Path("broken.ipynb").write_bytes(b'{"nbformat": 4}')
    assert_one_line_error(run("submit", "broken.ipynb", "--exercise", "rnn"), "not a valid Jupyter notebook", "422")


def test_a_newer_server_says_how_to_upgrade(monkeypatch: pytest.MonkeyPatch, api_client: TestClient,
                                            create_student: Callable[..., dict[str, str]]) -> None:
    token = create_student(api_client, "s1")["token"]

    def newer(request: httpx.Request) -> httpx.Response:
        got = forward(api_client, request)
        got.headers["X-RNN-Grader-Version"] = "9.0.0"
        return got

    use_handler(monkeypatch, newer)
    login_as(token)
    result = run("history", "--json")
    assert result.exit_code == 0 and json.loads(result.stdout) == []
    assert f"the server runs rnn-grader 9.0.0, this client is {VERSION}" in result.stderr
    assert f'pip install --upgrade "{SERVER}/api/v1/client/rnn_grader_client-{VERSION}-py3-none-any.whl#sha256=' \
        in result.stderr
    assert result.stderr.count("upgrade with") == 1

    use_app(monkeypatch, api_client)  # the same version: silence
    assert run("history", "--json").stderr == ""


def test_version_order() -> None:
    assert is_newer("0.2.0", "0.1.9") and is_newer("0.10.0", "0.9.0") and is_newer("1.0", "0.99.99")
    assert not is_newer("0.1.0", "0.1.0") and not is_newer("0.1.0+abc", "0.1.0") and not is_newer("0.0.9", "0.1.0")
