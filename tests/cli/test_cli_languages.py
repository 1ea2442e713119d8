"""The CLI and the Jupyter helpers refuse in the student's language: `--lang zh` (or a Chinese LANG) gives a
Chinese `error:` line for the CLI's own refusals and for the server's (its `message`); the catalogue is
complete and no student command fails with an English-only literal."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from language_checks import REPO, assert_bilingual, english_only_raises
from nothing_samples import expected
from starlette.testclient import TestClient
from test_cli import (  # noqa: F401  (cli_env and database_url are fixtures this module uses too)
    SERVER,
    assert_one_line_error,
    cli_env,
    database_url,
    login_as,
    run,
    use_app,
)

import cli.transport
import rnn_grader_client.notebook as jupyter
from cli.messages import MESSAGES, say
from rnn_grader_client.tables import Refusal

STUDENT_MODULES = ["cli/main.py", "cli/base.py", "cli/config.py", "cli/client.py", "cli/regrade_requests.py",
                   "rnn_grader_client/notebook.py", "rnn_grader_client/tables.py"]
RAISERS = {"fail", "CliError", "ApiError", "BadToken", "RateLimited", "Unreachable", "ConfigFileError", "NotInJupyter"}


def test_the_cli_catalogue_is_complete_and_no_student_command_fails_in_english_only() -> None:
    assert_bilingual(MESSAGES)
    assert english_only_raises([REPO / m for m in STUDENT_MODULES], RAISERS) == []
    assert english_only_raises([REPO / "cli/teacher.py"], RAISERS)  # control: the staff's commands are English


def test_the_clis_own_refusals_in_chinese() -> None:
    assert_one_line_error(run("check", "missing.py", "--lang", "zh"), "error: 找不到文件：missing.py")
    assert_one_line_error(run("history", "--lang", "zh"), f"error: {say('no_server').zh}")
    login_as("some-token")
    Path("notes.txt").write_text("x")
    assert_one_line_error(run("check", ".", "--lang", "zh"), "error: 找不到文件：.")
    assert_one_line_error(run("check", "missing.py"), "error: file not found: missing.py")  # LANG=C: English


def test_a_chinese_environment_without_lang_speaks_chinese(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert_one_line_error(run("check", "missing.py"), "error: 找不到文件：missing.py")
    assert_one_line_error(run("fetch", "rnn"), f"error: {say('no_server').zh}")


def test_the_servers_refusals_in_chinese(monkeypatch: pytest.MonkeyPatch, api_client: TestClient,
                                         create_student: Any) -> None:
    use_app(monkeypatch, api_client)
    login_as("not-a-token")
    assert_one_line_error(run("history", "--lang", "zh"), "error: 服务器拒绝了令牌（服务器不认识这个令牌）")
    login_as(create_student(api_client, "s1")["token"])
    Path("rnn.py").write_text("x = 1\n")
    assert_one_line_error(run("submit", "rnn.py", "--exercise", "nope", "--lang", "zh"),
                          "error: 没有练习 'nope'（HTTP 404 ExerciseNotFound）")
    assert_one_line_error(run("status", "999", "--lang", "zh"), "error: 没有编号为 999 的提交")
    assert_one_line_error(run("status", "999"), "error: no submission 999 (HTTP 404 SubmissionNotFound)")


def test_the_jupyter_helpers_refuse_in_the_students_language(monkeypatch: pytest.MonkeyPatch,
                                                             api_client: TestClient, create_student: Any) -> None:
    outside = jupyter.check("rnn", lang="zh")  # not in a kernel: said, not raised
    assert isinstance(outside, Refusal) and outside.message == say("not_in_jupyter").zh
    also_outside = jupyter.gradcheck("rnn", lang="zh")  # gradcheck() too
    assert isinstance(also_outside, Refusal) and also_outside.message == say("not_in_jupyter").zh
    assert repr(outside) == f"error: {outside.message}" and "错误" in outside._repr_html_()
    # In a kernel whose cells define nothing, both helpers say so with the server's words.
    monkeypatch.setattr(jupyter, "kernel_cells", lambda: [("code", "print('hello')")])
    checked = jupyter.check("rnn", examples=api_client.app.state.ctx.catalog.exercises["rnn"].spec
                            .public_examples_path, lang="zh")
    nothing = expected("notebook.ipynb", jupyter.notebook_bytes([("code", "print('hello')")]))
    assert isinstance(checked, Refusal) and checked.message == nothing.zh
    monkeypatch.setattr(cli.transport, "client_factory",
                        lambda server, timeout=30.0: TestClient(api_client.app, base_url=server))
    monkeypatch.setenv("RNN_GRADER_SERVER", SERVER)
    monkeypatch.setenv("RNN_GRADER_TOKEN", create_student(api_client, "s1")["token"])
    submitted = jupyter.submit("rnn", lang="zh")
    assert isinstance(submitted, Refusal) and submitted.message == f"{nothing.zh}（HTTP 422 NothingToGrade）"
    assert jupyter.submit("rnn", lang="en").message == f"{nothing.en} (HTTP 422 NothingToGrade)"
