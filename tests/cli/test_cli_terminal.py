"""The CLI never lets server text drive the reader's terminal. A hostile server (an httpx.MockTransport behind
`cli.transport.client_factory`) answers every command with strings full of terminal controls (OSC 52 that
sets the clipboard, CSI that clears the screen, 8-bit C1 CSI/OSC, BEL, backspaces, a lone carriage return,
DEL) in every field: names, messages, feedback, comments, ids, errors, the upgrade notice, CSV downloads.
Every command's human output shows them escaped; its `--json` output carries them only as JSON escapes
and parses back to the server's exact strings; `students import --out` neutralises spreadsheet formulas.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from rich.text import Text
from typer.testing import CliRunner, Result

import cli.transport
from cli.main import app
from cli.terminal import SafeConsole, json_safe, terminal_safe

SERVER = "http://hostile.test"
# OSC 52 (clipboard), CSI clear screen + home, C1 CSI and C1 OSC .. ST, BEL, backspaces, a lone CR, DEL.
OSC52 = "\x1b]52;c;cm0gLXJmIH4=\x07"
CLEAR = "\x1b[2J\x1b[H"
HOSTILE = f"Eve{OSC52}{CLEAR}\x9b2J\x9d0;pwned\x9c\x08\x08X\rY\x7f end"
# Anything a terminal acts on: C0 but newline and tab, DEL, C1.
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
FORMULA = "=HYPERLINK(\"http://evil.test\",\"x\")"


def _sub(sub_id: Any = 7, status: str = "graded") -> dict[str, Any]:
    return {
        "id": sub_id, "exercise": HOSTILE, "status": status, "score": 10.0, "max_score": 100.0,
        "counted_score": 5.0, "late_penalty": 0.5, "late": True, "regrade_pending": True, "feedback": HOSTILE,
        "created_at": HOSTILE, "student_id": HOSTILE,
        "parts": [{"name": HOSTILE, "title": HOSTILE, "score": HOSTILE, "max_score": 30.0, "feedback": HOSTILE,
                   "tests": [{"name": HOSTILE, "description": HOSTILE, "score": 0.0, "max_score": 5.0,
                              "outcome": HOSTILE, "feedback": HOSTILE}],
                   "mistakes": [{"name": HOSTILE, "message": HOSTILE, "hint": HOSTILE, "tests": [HOSTILE]}]}],
    }


STUDENT = {"student_id": HOSTILE, "name": HOSTILE, "token": HOSTILE}
REQUEST = {"id": HOSTILE, "submission_id": HOSTILE, "student_id": HOSTILE, "exercise": HOSTILE, "status": HOSTILE,
           "message": HOSTILE, "action": "override", "score": HOSTILE, "comment": HOSTILE, "batch_id": HOSTILE}
REPORT = {"id": HOSTILE, "finished": True, "done": HOSTILE, "total": HOSTILE,
          "totals": {"up": HOSTILE, "down": 0, "same": 0, "pending": 0},
          "students": [{"student_id": HOSTILE, "name": HOSTILE, "exercise": HOSTILE, "before": HOSTILE,
                        "after": 1.0, "change": HOSTILE}]}
BATCH = {"id": HOSTILE, "created_at": HOSTILE, "actor": HOSTILE, "selector": {HOSTILE: HOSTILE}, "done": 1,
         "total": 2, "finished": False, "reason": HOSTILE}
AUDIT = {"id": HOSTILE, "at": HOSTILE, "actor": HOSTILE, "action": HOSTILE, "target": HOSTILE, "reason": HOSTILE,
         "detail": {HOSTILE: HOSTILE}}
GRADING = {"number": HOSTILE, "created_at": HOSTILE, "why": HOSTILE, "status": HOSTILE, "score": HOSTILE,
           "max_score": 1, "grader_version": HOSTILE, "batch_id": HOSTILE, "actor": HOSTILE, "reason": HOSTILE}
EXTENSION = {"student_id": HOSTILE, "exercise": HOSTILE, "deadline": HOSTILE, "exercise_deadline": HOSTILE}
PAIR = {"student_a": HOSTILE, "student_b": HOSTILE, "similarity": HOSTILE, "share_a": 0.5, "share_b": HOSTILE,
        "submission_a": HOSTILE, "submission_b": HOSTILE}
STAFF = {"staff_id": HOSTILE, "name": HOSTILE, "role": HOSTILE, "token": HOSTILE, "created_at": HOSTILE}
CSV_BODY = f"\ufeffstudent_id,name\r\n{HOSTILE},\"{HOSTILE}\"\r\n".encode()

# (method, path pattern) -> the JSON (or bytes) the hostile server answers.
ROUTES: list[tuple[str, str, Any]] = [
    ("GET", r"/api/v1/client", {"install": f"pip install {HOSTILE}"}),
    ("GET", r"/api/v1/exercises", [{"id": HOSTILE, "title": HOSTILE, "max_score": HOSTILE, "deadline": HOSTILE}]),
    ("GET", r"/api/v1/exercises/rnn", {"id": "rnn", "template_filename": f"t{HOSTILE}.py",
                                       "examples_filename": "ex.npz"}),
    ("GET", r"/api/v1/exercises/rnn/(template|examples)", b"data"),
    ("GET", r"/api/v1/submissions/404", (404, {"error": HOSTILE, "detail": HOSTILE})),
    ("GET", r"/api/v1/submissions/7/gradings", [GRADING]),
    ("GET", r"/api/v1/submissions/\d+", _sub()),
    ("GET", r"/api/v1/submissions", [_sub(), _sub(HOSTILE)]),
    ("POST", r"/api/v1/submissions/7/regrade-requests", REQUEST),
    ("POST", r"/api/v1/submissions/7/override", GRADING),
    ("POST", r"/api/v1/submissions", _sub(status="queued")),
    ("GET", r"/api/v1/regrade-requests", [REQUEST]),
    ("POST", r"/api/v1/regrade-requests/7/resolve", REQUEST),
    ("POST", r"/api/v1/students", STUDENT),
    ("POST", r"/api/v1/students/import", [STUDENT, {"student_id": FORMULA, "name": "+1", "token": "@x"}]),
    ("GET", r"/api/v1/scoreboard", [{"student_id": HOSTILE, "name": HOSTILE, "scores": {HOSTILE: HOSTILE},
                                     "total": HOSTILE, "late": True, "late_exercises": [HOSTILE]}]),
    ("GET", r"/api/v1/scoreboard.csv", CSV_BODY),
    ("POST", r"/api/v1/regrade", {"queued": HOSTILE, "batch_id": HOSTILE}),
    ("GET", r"/api/v1/regrades", [BATCH]),
    ("GET", r"/api/v1/regrades/3.csv", CSV_BODY),
    ("GET", r"/api/v1/regrades/3", REPORT),
    ("GET", r"/api/v1/audit", [AUDIT]),
    ("PUT", r"/api/v1/extensions/s1/rnn", EXTENSION),
    ("GET", r"/api/v1/extensions", [EXTENSION]),
    ("POST", r"/api/v1/extensions/import", {"imported": HOSTILE}),
    ("GET", r"/api/v1/similarity/rnn", [PAIR]),
    ("GET", r"/api/v1/similarity/rnn/report.html", b"<html></html>"),
    ("POST", r"/api/v1/staff", STAFF),
    ("GET", r"/api/v1/staff", [{**STAFF, "disabled_at": HOSTILE, "email": HOSTILE}]),
    ("POST", r"/api/v1/staff/ta1/(disable|enable|token)", STAFF),
]


def hostile_server(request: httpx.Request) -> httpx.Response:
    # A server "newer" than the client: the upgrade notice quotes its /client install command.
    headers = {"X-RNN-Grader-Version": "99.0.0"}
    for method, pattern, answer in ROUTES:
        if request.method == method and re.fullmatch(pattern, request.url.path):
            status, body = answer if isinstance(answer, tuple) else (200, answer)
            if isinstance(body, bytes):
                return httpx.Response(status, content=body, headers=headers)
            return httpx.Response(status, json=body, headers=headers)
    raise AssertionError(f"the hostile server has no answer for {request.method} {request.url.path}")


@pytest.fixture(autouse=True)
def hostile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("RNN_GRADER_SERVER", SERVER)
    monkeypatch.setenv("RNN_GRADER_TOKEN", "a-token")
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.setenv("COLUMNS", "400")
    monkeypatch.setattr(cli.transport, "sleep", lambda _s: None)
    monkeypatch.setattr(cli.transport, "client_factory", lambda server, timeout=30.0: httpx.Client(
        transport=httpx.MockTransport(hostile_server), base_url=server))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    (work / "solution.py").write_text("def f():\n    return 1\n", encoding="utf-8")
    (work / "roster.csv").write_text("student_id,name\ns1,A\n", encoding="utf-8")
    (work / "extensions.csv").write_text("student_id,exercise,deadline\n", encoding="utf-8")
    yield work


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def assert_terminal_safe(result: Result, *, exit_code: int = 0) -> None:
    """Nothing a terminal would act on, on stdout or stderr; and the hostile text was shown, escaped."""
    assert result.exit_code == exit_code, (result.output, result.exception)
    assert "Traceback" not in result.output
    for stream in (result.stdout, result.stderr):
        assert not CONTROL.findall(stream), repr(stream)
    assert "\\x1b]52" in result.output + result.stderr, result.output  # shown, not silently lost


def _json_strings(data: Any) -> Iterator[str]:
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield key
            yield from _json_strings(value)
    elif isinstance(data, list):
        for value in data:
            yield from _json_strings(value)


def assert_json_exact(result: Result) -> None:
    """--json: control characters only as JSON escapes; parsed, the server's strings come back exactly."""
    assert result.exit_code == 0, (result.output, result.exception)
    assert not CONTROL.findall(result.stdout), repr(result.stdout)
    assert "\\u001b]52" in result.stdout and "\\u009b" in result.stdout
    strings = list(_json_strings(json.loads(result.stdout)))
    assert any(HOSTILE in s for s in strings), strings


HUMAN: list[tuple[str, ...]] = [
    ("exercises",),
    ("fetch", "rnn"),
    ("submit", "solution.py", "--exercise", "rnn"),
    ("submit", "solution.py", "--exercise", "rnn", "--no-wait"),
    ("status", "7"),
    ("status",),
    ("history",),
    ("gradings", "7"),
    ("requests", "list"),
    ("requests", "ask", "7", "please look again"),
    ("students", "add", "s1", "Ada"),
    ("students", "import", "roster.csv"),
    ("scoreboard",),
    ("export", "--format", "csv"),
    ("regrade", "--exercise", "rnn"),
    ("regrade", "--report", "3"),
    ("regrades", "list"),
    ("regrades", "show", "3"),
    ("regrades", "show", "3", "--csv", "-"),
    ("override", "7", "--score", "1", "--reason", "r"),
    ("requests", "resolve", "7", "--action", "reject"),
    ("audit",),
    ("extensions", "set", "s1", "rnn", "2026-12-27T23:59:00+08:00"),
    ("extensions", "list"),
    ("extensions", "import", "extensions.csv"),
    ("similarity", "--exercise", "rnn"),
    ("staff", "add", "ta1", "Li", "--role", "ta"),
    ("staff", "list"),
    ("staff", "disable", "ta1"),
    ("staff", "enable", "ta1"),
    ("staff", "rotate", "ta1"),
]


@pytest.mark.parametrize("args", HUMAN, ids=" ".join)
def test_every_command_shows_server_text_escaped(args: tuple[str, ...]) -> None:
    assert_terminal_safe(run(*args))


JSON: list[tuple[str, ...]] = [
    ("exercises",), ("submit", "solution.py", "--exercise", "rnn"), ("status", "7"), ("history",),
    ("gradings", "7"), ("requests", "list"), ("requests", "ask", "7", "look"), ("students", "add", "s1", "A"),
    ("students", "import", "roster.csv"), ("scoreboard",), ("regrade", "--exercise", "rnn"),
    ("regrade", "--report", "3"), ("regrades", "list"), ("regrades", "show", "3"),
    ("override", "7", "--score", "1", "--reason", "r"), ("requests", "resolve", "7", "--action", "reject"),
    ("audit",), ("extensions", "set", "s1", "rnn", "2026-12-27T23:59:00+08:00"), ("extensions", "list"),
    ("extensions", "import", "extensions.csv"), ("similarity", "--exercise", "rnn"),
    ("staff", "add", "ta1", "Li", "--role", "ta"), ("staff", "list"), ("staff", "disable", "ta1"),
    ("staff", "enable", "ta1"), ("staff", "rotate", "ta1"),
]


@pytest.mark.parametrize("args", JSON, ids=" ".join)
def test_json_output_keeps_the_exact_strings_as_json_escapes(args: tuple[str, ...]) -> None:
    assert_json_exact(run(*args, "--json"))


def test_json_export_to_stdout_is_escaped_json() -> None:
    result = run("export", "--format", "json")
    assert_json_exact(result)


def test_a_server_error_prints_one_escaped_line() -> None:
    result = run("status", "404")
    assert_terminal_safe(result, exit_code=1)
    notice, error = result.stderr.splitlines()  # the upgrade notice, then the one error line
    assert notice.startswith("note: ") and error.startswith("error: Eve\\x1b]52;"), result.stderr


def test_a_submission_without_a_numeric_id_is_an_error_not_a_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys.modules[__name__], "ROUTES", [("GET", r"/api/v1/submissions", [_sub(HOSTILE)]), *ROUTES])
    result = run("status")
    assert result.exit_code == 1 and "a submission without a numeric id" in result.stderr, result.output


def test_the_upgrade_notice_quoting_the_server_is_escaped() -> None:
    result = run("history")
    assert "note: the server runs rnn-grader 99.0.0" in result.stderr
    assert "pip install --upgrade Eve\\x1b]52" in result.stderr
    assert not CONTROL.findall(result.stderr)


def test_tokens_csv_neutralises_formulas_and_keeps_the_strings(hostile: Path) -> None:
    result = run("students", "import", "roster.csv", "--out", "tokens.csv")
    assert result.exit_code == 0, result.output
    assert not CONTROL.findall(result.output)
    with (hostile / "tokens.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["student_id", "name", "token"]
    assert rows[1] == [HOSTILE, HOSTILE, HOSTILE]  # a file keeps the server's text (only formulas change)
    assert rows[2] == ["'" + FORMULA, "'+1", "'@x"]


def test_terminal_safe_escapes_only_controls() -> None:
    assert terminal_safe("a\tb\nc\r\nd") == "a\tb\nc\nd"
    assert terminal_safe("x\ry") == "x\\x0dy"
    assert terminal_safe(OSC52) == "\\x1b]52;c;cm0gLXJmIH4=\\x07"
    assert terminal_safe("\x9b2J\x7f\x08") == "\\x9b2J\\x7f\\x08"
    assert terminal_safe("中文 é ✓") == "中文 é ✓"
    assert json.loads(json_safe(json.dumps(HOSTILE, ensure_ascii=False))) == HOSTILE


def test_the_console_cleans_whatever_renderable_carries_controls() -> None:
    """The last line of defence: a renderable built without terminal_safe still prints escaped."""
    console = SafeConsole(file=io.StringIO(), width=200, force_terminal=True)
    console.print(Text(HOSTILE, style="bold"), f"[red]{HOSTILE}[/red]")
    written = console.file.getvalue()  # type: ignore[attr-defined]
    # Rich's own styling (SGR) remains; nothing of the server's sequences does.
    without_sgr = re.sub("\x1b\\[[0-9;]*m", "", written)
    assert not CONTROL.findall(without_sgr), repr(written)
    assert "[red]" in without_sgr  # no markup from server text

