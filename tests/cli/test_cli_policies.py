"""The teacher's policy commands end to end: `extensions set|list|remove|import`, `students add --email
--sis-id`, `export --format canvas|moodle`, and the counted score in a submission's view."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from starlette.testclient import TestClient

# The CLI harness of test_cli (its autouse environment and SQLite-only database fixtures come along).
from test_cli import assert_one_line_error, cli_env, database_url, login_as, run, teacher_token, use_app

__all__ = ["cli_env", "database_url"]  # fixtures used by pytest through this module's namespace


@pytest.fixture(autouse=True)
def no_stale_log_handlers() -> None:
    """`rnn-grader migrate` in an earlier test module sets a root log handler on that CliRunner's stderr,
    closed by now: the app's access log would print a logging traceback into this module's output."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(getattr(handler, "stream", None), "closed", False):
            root.removeHandler(handler)


@pytest.fixture
def teacher(monkeypatch: pytest.MonkeyPatch, api_client: TestClient, teacher_headers: dict[str, str]) -> TestClient:
    use_app(monkeypatch, api_client)
    login_as(teacher_token(teacher_headers))
    assert run("students", "add", "s1", "Li Hua", "--email", "lihua@example.edu", "--sis-id", "A-1").exit_code == 0
    return api_client


def test_students_add_with_email_and_sis_id(teacher: TestClient, teacher_headers: dict[str, str]) -> None:
    added = run("students", "add", "s2", "Wang", "--email", "wang@example.edu", "--json")
    assert added.exit_code == 0, added.output
    assert json.loads(added.stdout)["email"] == "wang@example.edu"
    listed = teacher.get("/api/v1/students", headers=teacher_headers).json()
    assert listed[0] == {"student_id": "s1", "name": "Li Hua", "email": "lihua@example.edu", "sis_id": "A-1"}
    assert_one_line_error(run("students", "add", "s3", "X", "--email", "not-an-email"), "422")


def test_extensions_set_list_remove(teacher: TestClient) -> None:
    stored = run("extensions", "set", "s1", "rnn", "2026-12-27T23:59:00+08:00", "--json")
    assert stored.exit_code == 0, stored.output
    assert json.loads(stored.stdout)["deadline"].startswith("2026-12-27T15:59:00")
    listed = run("extensions", "list", "--student", "s1", "--json")
    assert [e["exercise"] for e in json.loads(listed.stdout)] == ["rnn"]
    table = run("extensions", "list")
    assert table.exit_code == 0 and "s1" in table.stdout and "rnn" in table.stdout
    assert run("extensions", "remove", "s1", "rnn").exit_code == 0
    assert json.loads(run("extensions", "list", "--json").stdout) == []
    assert_one_line_error(run("extensions", "remove", "s1", "rnn"), "no extension", "404")
    assert_one_line_error(run("extensions", "set", "s1", "rnn", "2026-12-27T23:59:00"), "no UTC offset")
    assert_one_line_error(run("extensions", "set", "s1", "rnn", "friday"), "not an ISO 8601")
    assert_one_line_error(run("extensions", "set", "nobody", "rnn", "2026-12-27T23:59:00Z"), "404")


def test_extensions_import_reports_bad_lines(teacher: TestClient) -> None:
    Path("ext.csv").write_text("student_id,exercise,deadline\ns1,rnn,2026-12-27T23:59:00+08:00\n", encoding="utf-8")
    imported = run("extensions", "import", "ext.csv")
    assert imported.exit_code == 0 and "Imported 1 extension" in imported.stdout
    Path("bad.csv").write_text("student_id,exercise,deadline\ns1,rnn,soon\nzz,rnn,2026-12-27T23:59:00Z\n",
                               encoding="utf-8")
    assert_one_line_error(run("extensions", "import", "bad.csv"), "line 2: deadline 'soon'", "line 3: unknown student")
    assert_one_line_error(run("extensions", "import", "missing.csv"), "file not found")


@pytest.mark.parametrize(("layout", "header"), [
    ("canvas", "Student,ID,SIS User ID,SIS Login ID,Section,rnn,rnn_gradients"),
    ("moodle", "Full name,ID number,Email address,rnn,rnn_gradients"),
])
def test_export_lms_layouts(teacher: TestClient, layout: str, header: str) -> None:
    result = run("export", "--format", layout)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == header
    assert "lihua@example.edu" in lines[-1] and "A-1" in lines[-1]


def test_submission_view_shows_the_counted_score_of_a_late_submission() -> None:
    from rich.console import Console

    from cli import render

    sub = {"id": 7, "exercise": "rnn", "status": "graded", "score": 80.0, "max_score": 100.0, "late": True,
           "late_penalty": 0.25, "counted_score": 60.0, "feedback": "", "parts": []}
    console = Console(width=200, record=True)
    console.print(render.submission_view(sub, "en"))
    text = console.export_text()
    assert "Counted: 60 / 100 (-25%)" in text and "(late)" in text
