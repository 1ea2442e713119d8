"""The CLI's regrade commands against the real app: `regrade` prints its batch and shows a report,
`regrades list|show`, `gradings`, `override`, `requests ask|list|resolve` and `audit`."""

from __future__ import annotations

import csv
import io
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

from grader.result import Result
from server.grading.claims import write_result


def _grade(client: TestClient, submission_id: int, score: float) -> None:
    result = Result(exercise="rnn", score=score, max_score=100.0, parts=[], grader_version="g", grading_ms=1.0)
    assert write_result(client.app.state.ctx.engine, submission_id, "graded", result)  # type: ignore[attr-defined]


def test_regrade_report_requests_and_audit_from_the_command_line(
    monkeypatch: pytest.MonkeyPatch, api_client: TestClient, create_student: Callable[..., dict[str, str]],
    teacher_headers: dict[str, str],
) -> None:
    use_app(monkeypatch, api_client)
    student = create_student(api_client, "s1", "Student One")
    sid = api_client.post("/api/v1/submissions", json={"exercise": "rnn", "source": "x = 1\n"},
                          headers={"Authorization": student["authorization"]}).json()["id"]
    _grade(api_client, sid, 70.0)

    login_as(student["token"])
    asked = run("requests", "ask", str(sid), "test 2 expects the other shape", "--json")
    assert asked.exit_code == 0, asked.output
    request_id = json.loads(asked.stdout)["id"]
    assert_one_line_error(run("requests", "ask", "999", "hm"), "no submission 999", "404")
    assert_one_line_error(run("requests", "ask", str(sid), "  "), "empty")

    login_as(teacher_token(teacher_headers))
    listed = run("requests", "list", "--status", "open")
    assert listed.exit_code == 0 and "test 2 expects the other shape" in listed.stdout
    assert_one_line_error(run("requests", "resolve", str(request_id), "--action", "override"), "--score")
    assert_one_line_error(run("requests", "resolve", str(request_id), "--action", "override", "--score", "101",
                              "--comment", "x"), "between 0 and 100", "422")
    resolved = run("requests", "resolve", str(request_id), "--action", "override", "--score", "85",
                   "--comment", "shape accepted")
    assert resolved.exit_code == 0 and "resolved: override" in resolved.stdout, resolved.output
    assert_one_line_error(run("requests", "resolve", str(request_id), "--action", "reject"), "409")

    started = run("regrade", "--all", "--reason", "grader 1.1")
    assert started.exit_code == 0, started.output
    assert started.stdout.startswith("Queued 1 submission(s) for regrading.")
    batch = int(started.stdout.split("Batch ")[1].split(":")[0])
    pending = run("status", str(sid))
    assert "regrade pending" in pending.stdout and "85 / 100" in pending.stdout, pending.output
    _grade(api_client, sid, 60.0)
    report = run("regrade", "--report", str(batch))
    assert report.exit_code == 0 and "0 up, 1 down, 0 same" in report.stdout, report.output
    shown = json.loads(run("regrades", "show", str(batch), "--json").stdout)
    assert [(r["before"], r["after"], r["change"]) for r in shown["students"]] == [(85.0, 60.0, "down")]
    as_csv = run("regrades", "show", str(batch), "--csv", "-")
    rows = list(csv.reader(io.StringIO(as_csv.stdout.lstrip("\ufeff"))))
    assert rows[1][:6] == ["s1", "Student One", "rnn", "85", "60", "down"]
    assert str(batch) in run("regrades", "list").stdout
    assert_one_line_error(run("regrade", "--report", "4242"), "no regrade batch 4242", "404")
    assert_one_line_error(run("regrade", "--all", "--report", "1"), "--report")

    history = json.loads(run("gradings", str(sid), "--json").stdout)
    assert [(g["why"], g["score"]) for g in history] == [("submit", 70.0), ("override", 85.0), ("regrade", 60.0)]
    overridden = run("override", str(sid), "--score", "90", "--reason", "oral exam")
    assert overridden.exit_code == 0 and "90" in overridden.stdout, overridden.output
    audit = json.loads(run("audit", "--json").stdout)
    assert [a["action"] for a in audit] == ["override", "regrade", "regrade_request.resolve", "override",
                                            "student.add"]
    assert "oral exam" in run("audit").stdout

    login_as(student["token"])  # the student sees the answer, and cannot read the audit log
    mine = json.loads(run("requests", "list", "--json").stdout)
    assert [(r["status"], r["action"], r["comment"]) for r in mine] == [("resolved", "override", "shape accepted")]
    assert_one_line_error(run("audit"), "403")
