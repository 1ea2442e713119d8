"""CLI logins per server and role: a teacher who also tests as a student keeps both logins; `--profile NAME`
(anywhere on the command line) or RNN_GRADER_PROFILE picks one, else the last login; a role names its one
login; the config file written before profiles still reads, and keeps the login in use where it was."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient
from test_cli import (  # noqa: F401  (cli_env and database_url are fixtures this module uses too)
    SERVER,
    assert_one_line_error,
    cli_env,
    database_url,
    run,
    teacher_token,
    use_app,
)

from cli import config as cfg


def _saved(tmp_path: Path) -> dict[str, Any]:
    path = tmp_path / "config" / "rnn-grader" / "config.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def _profiles() -> dict[str, dict[str, Any]]:
    listed = run("profiles", "--json")
    assert listed.exit_code == 0, listed.output
    return {p["profile"]: p for p in json.loads(listed.stdout)}


def test_a_teacher_testing_as_a_student_keeps_both_logins(
        monkeypatch: pytest.MonkeyPatch, api_client: TestClient, create_student: Callable[..., dict[str, str]],
        teacher_headers: dict[str, str], tmp_path: Path) -> None:
    use_app(monkeypatch, api_client)
    teacher = teacher_token(teacher_headers)
    student = create_student(api_client, "s1", "Ada")["token"]
    assert run("login", "--server", SERVER, "--token", teacher).exit_code == 0
    logged = run("login", "--token", student)  # the server of the login in use
    assert logged.exit_code == 0 and "as student s1 (Ada)" in logged.stderr and "student@testserver" in logged.stderr
    saved = _saved(tmp_path)
    assert saved["current"] == "student@testserver" and saved["token"] == student
    assert saved["profiles"]["teacher@testserver"] == {"server": SERVER, "token": teacher, "role": "instructor"}
    assert saved["profiles"]["student@testserver"]["token"] == student
    assert {n: p["current"] for n, p in _profiles().items()} == {"student@testserver": True,
                                                                 "teacher@testserver": False}

    def who(*args: str) -> str:
        result = run(*args)
        assert result.exit_code == 0, result.output
        return "student" if result.stdout.strip().startswith("[]") or '"sandbox_layers"' not in result.stdout \
            else "teacher"

    api_client.post("/api/v1/submissions", json={"exercise": "rnn", "source": "x = 1\n"},
                    headers={"Authorization": f"Bearer {student}"})
    assert who("history", "--json") == "student"  # the last login
    # --profile anywhere, full name or role; RNN_GRADER_PROFILE; the teacher's commands with the teacher's login
    assert who("history", "--json", "--profile", "teacher") == "teacher"
    assert who("--profile", "teacher@testserver", "history", "--json") == "teacher"
    assert who("history", "--profile=teacher", "--json") == "teacher"
    assert run("--profile", "teacher", "scoreboard", "--json").exit_code == 0
    refused = run("scoreboard", "--json")  # as the student: the server says no
    assert refused.exit_code == 1 and "403" in refused.stderr
    monkeypatch.setenv(cfg.PROFILE_ENV, "teacher")
    assert who("history", "--json") == "teacher"
    assert who("history", "--json", "--profile", "student") == "student"  # the option wins over the variable
    monkeypatch.delenv(cfg.PROFILE_ENV)
    # switching the login in use, without a token
    assert run("profiles", "--use", "teacher").exit_code == 0
    assert who("history", "--json") == "teacher" and _saved(tmp_path)["token"] == teacher


def test_an_unknown_login_is_a_clear_error_in_both_languages(monkeypatch: pytest.MonkeyPatch,
                                                              api_client: TestClient,
                                                              create_student: Callable[..., dict[str, str]]) -> None:
    use_app(monkeypatch, api_client)
    assert run("login", "--server", SERVER, "--token", create_student(api_client, "s1")["token"]).exit_code == 0
    assert_one_line_error(run("history", "--profile", "course2"),
                          "error: no login named course2 (logins: student@testserver)")
    assert_one_line_error(run("history", "--profile", "course2", "--lang", "zh"),
                          "error: 没有名为 course2 的登录（已有登录：student@testserver）")
    # a new name is a new login under that name
    other = create_student(api_client, "s2")["token"]
    logged = run("login", "--profile", "course2", "--token", other, "--server", SERVER)
    assert logged.exit_code == 0, logged.output
    assert set(_profiles()) == {"student@testserver", "course2"}
    assert run("history", "--profile", "course2").exit_code == 0


def test_the_config_file_from_before_profiles_still_reads_and_is_kept(
        monkeypatch: pytest.MonkeyPatch, api_client: TestClient, create_student: Callable[..., dict[str, str]],
        teacher_headers: dict[str, str], tmp_path: Path) -> None:
    use_app(monkeypatch, api_client)
    old = create_student(api_client, "s1")["token"]
    path = tmp_path / "config" / "rnn-grader" / "config.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"server": SERVER, "token": old}))
    os.chmod(path, 0o600)
    assert run("history").exit_code == 0
    assert {n: (p["server"], p["current"]) for n, p in _profiles().items()} == {"default": (SERVER, True)}
    assert cfg.load() == cfg.Config(server=SERVER, token=old, profile="default")
    # a new login keeps the old one, under `default`
    assert run("login", "--server", SERVER, "--token", teacher_token(teacher_headers)).exit_code == 0
    saved = _saved(tmp_path)
    assert saved["profiles"]["default"] == {"server": SERVER, "token": old}
    assert run("history", "--profile", "default").exit_code == 0
    # the environment still overrides the file
    monkeypatch.setenv(cfg.TOKEN_ENV, old)
    assert cfg.load().token == old


def test_a_role_named_at_login_is_that_role_on_the_server_logged_into(
        monkeypatch: pytest.MonkeyPatch, api_client: TestClient, create_student: Callable[..., dict[str, str]],
        teacher_headers: dict[str, str], tmp_path: Path) -> None:
    # `--profile teacher login --server B` once overwrote the teacher's login to server A.
    import cli.transport

    monkeypatch.setattr(cli.transport, "client_factory",  # two servers, one app
                        lambda server, timeout=30.0: TestClient(api_client.app, base_url=server))
    teacher = teacher_token(teacher_headers)
    assert run("login", "--server", SERVER, "--token", teacher).exit_code == 0
    other = "http://other.example.edu"
    assert run("--profile", "teacher", "login", "--server", other, "--token", teacher).exit_code == 0
    student = create_student(api_client, "s1", "Ada")["token"]
    assert run("--profile", "teacher", "login", "--server", other, "--token", student).exit_code == 0
    saved = _saved(tmp_path)["profiles"]
    assert saved["teacher@testserver"]["server"] == SERVER and saved["teacher@testserver"]["token"] == teacher
    assert saved["teacher@other.example.edu"] == {"server": other, "token": teacher, "role": "instructor"}
    assert saved["student@other.example.edu"]["token"] == student  # the token is a student's: its own login
