"""`rnn-grader staff add|list|disable|enable|rotate` and `rnn-grader audit` with roles and filters, against the
real app: an instructor manages staff; a TA gets the server's refusal as one `error:` line (the CLI decides
nothing itself); tokens are printed once and never appear in the audit log."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from starlette.testclient import TestClient
from test_cli import (  # noqa: F401  (cli_env and database_url are fixtures)
    assert_one_line_error,
    cli_env,
    database_url,
    login_as,
    run,
    teacher_token,
    use_app,
)


def test_an_instructor_manages_staff_and_a_ta_is_refused(
    monkeypatch: pytest.MonkeyPatch, api_client: TestClient, teacher_headers: dict[str, str],
    create_student: Callable[..., dict[str, str]],
) -> None:
    use_app(monkeypatch, api_client)
    login_as(teacher_token(teacher_headers))
    added = run("staff", "add", "ta-li", "Li Ming", "--role", "ta")
    assert added.exit_code == 0, added.output
    assert "Added ta-li (Li Ming, ta)" in added.stdout and "shown only this once" in added.stdout
    ta = json.loads(run("staff", "add", "ta-wu", "Wu Fang", "--role", "ta", "--email", "wu@example.edu",
                        "--json").stdout)
    assert set(ta) == {"staff_id", "name", "role", "email", "token"}
    assert_one_line_error(run("staff", "add", "ta-li", "Again", "--role", "instructor"), "exists already", "409")
    assert_one_line_error(run("staff", "add", "admin", "Me", "--role", "instructor"), "reserved", "409")
    assert run("staff", "add", "x", "X", "--role", "admin").exit_code == 2  # not a role: a usage error
    listed = run("staff", "list")
    assert listed.exit_code == 0 and "bootstrap token" in listed.stdout and "Wu Fang" in listed.stdout
    assert [s["staff_id"] for s in json.loads(run("staff", "list", "--json").stdout)] == ["admin", "ta-li", "ta-wu"]
    assert_one_line_error(run("staff", "disable", "admin"), "add a named instructor first", "409")

    login_as(ta["token"])  # a TA: the server refuses, the CLI says so in one line
    assert_one_line_error(run("staff", "list"), "needs an instructor", "403")
    assert_one_line_error(run("staff", "rotate", "ta-li"), "needs an instructor", "403")
    student = create_student(api_client, "s1")
    assert_one_line_error(run("students", "add", "s9", "Nine"), "needs an instructor", "403")
    assert run("audit", "--json").exit_code == 0  # a TA reads the audit log

    login_as(teacher_token(teacher_headers))
    rotated = json.loads(run("staff", "rotate", "ta-wu", "--json").stdout)
    assert rotated["token"] != ta["token"]
    login_as(ta["token"])
    assert_one_line_error(run("audit"), "rejected the token")
    login_as(teacher_token(teacher_headers))
    disabled = run("staff", "disable", "ta-wu")
    assert disabled.exit_code == 0 and "ta-wu is disabled." in disabled.stdout
    assert_one_line_error(run("staff", "rotate", "ta-wu"), "staff enable", "409")
    enabled = run("staff", "enable", "ta-wu")
    assert enabled.exit_code == 0 and "Enabled ta-wu" in enabled.stdout
    assert_one_line_error(run("staff", "disable", "nobody"), "no staff member 'nobody'", "404")

    audit = run("audit", "--role", "instructor", "--json")
    entries = json.loads(audit.stdout)
    assert [(e["action"], e["target"]) for e in entries] == [
        ("staff.enable", "staff:ta-wu"), ("staff.disable", "staff:ta-wu"), ("staff.token", "staff:ta-wu"),
        ("student.add", "student:s1"), ("staff.add", "staff:ta-wu"), ("staff.add", "staff:ta-li")]
    assert {e["role"] for e in entries} == {"instructor"} and {e["actor"] for e in entries} == {"admin"}
    for token in (ta["token"], rotated["token"], student["token"]):
        assert token not in audit.stdout
    table = run("audit", "--actor", "admin", "--limit", "2", "--offset", "1")
    assert table.exit_code == 0 and "Role" in table.stdout and "instructor" in table.stdout
    assert "staff.disable" in table.stdout and "staff.enable" not in table.stdout
    since = json.loads(run("audit", "--since", entries[1]["at"], "--json").stdout)
    assert [e["action"] for e in since] == ["staff.enable", "staff.disable"]
    assert json.loads(run("audit", "--until", entries[-1]["at"], "--json").stdout) == []
    assert json.loads(run("audit", "--role", "ta", "--json").stdout) == []
    assert_one_line_error(run("audit", "--since", "yesterday"), "not an ISO 8601 date and time")
    assert_one_line_error(run("audit", "--since", "2026-12-01T10:00"), "no UTC offset")
