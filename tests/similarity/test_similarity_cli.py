"""`rnn-grader similarity` end to end: typer's CliRunner, the real app through cli.transport."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from similarity_corpus import as_submission, entries
from starlette.testclient import TestClient
from typer.testing import CliRunner, Result

import cli.transport
from cli import config as cfg
from cli.main import app

SERVER = "http://testserver"
TEACHER = "teacher-token-for-tests-0123456789"  # tests/conftest.py


def _code(name: str) -> str:
    return as_submission(next(e.code for e in entries() if e.name == name))


@pytest.fixture
def server(make_client: Callable[..., TestClient], create_student: Callable[..., dict[str, str]],
           submit_graded: Callable[..., int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Three students (bob copied alice) and the CLI pointed at the app, with a private config dir."""
    client = make_client()
    tokens = {}
    for sid, code in (("alice", "s06_columns"), ("bob", "s06_columns__for_loops"), ("carol", "s07_functional")):
        student = create_student(client, sid, sid.title())
        tokens[sid] = student["token"]
        submit_graded(client, {"Authorization": student["authorization"]}, _code(code))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    for var in ("RNN_GRADER_SERVER", "RNN_GRADER_TOKEN", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setattr(cli.transport, "client_factory",
                        lambda base, timeout=30.0: TestClient(client.app, base_url=base))
    monkeypatch.chdir(tmp_path)
    return {"client": client, "tokens": tokens}


def run(token: str, *args: str) -> Result:
    cfg.save(cfg.Config(server=SERVER, token=token))
    return CliRunner().invoke(app, ["similarity", *args])


def test_lists_the_copied_pair(server: dict[str, Any]) -> None:
    result = run(TEACHER, "--exercise", "rnn")
    assert result.exit_code == 0, result.output
    assert "alice" in result.stdout and "bob" in result.stdout and "carol" not in result.stdout
    assert "A hint, not proof" in result.stderr


def test_json_and_min(server: dict[str, Any]) -> None:
    result = run(TEACHER, "--exercise", "rnn", "--min", "0", "--json")
    assert result.exit_code == 0, result.output
    pairs = json.loads(result.stdout)
    assert len(pairs) == 3 and pairs[0]["student_a"] == "alice" and pairs[0]["student_b"] == "bob"
    assert [p["similarity"] for p in pairs] == sorted((p["similarity"] for p in pairs), reverse=True)


def test_out_writes_a_private_html_report(server: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = run(TEACHER, "--exercise", "rnn", "--out", str(out))
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>") and "<mark" in html and "bob" in html
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    again = run(TEACHER, "--exercise", "rnn", "--out", str(out))
    assert again.exit_code == 1 and "already exists" in again.stderr and "Traceback" not in again.output
    assert run(TEACHER, "--exercise", "rnn", "--out", str(out), "--force").exit_code == 0


@pytest.mark.parametrize(("args", "needle"), [
    (("--exercise", "nope"), "no exercise"),
    (("--exercise", "rnn", "--min", "2"), "--min"),
])
def test_bad_input_is_a_clear_error(server: dict[str, Any], args: tuple[str, ...], needle: str) -> None:
    result = run(TEACHER, *args)
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert needle in result.output


def test_a_student_token_is_refused(server: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "stolen.html"
    result = run(server["tokens"]["bob"], "--exercise", "rnn", "--out", str(out))
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ") and "403" in result.stderr and "teacher" in result.stderr
    assert not out.exists()


def test_waits_while_the_server_is_still_computing(server: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    client = server["client"]
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        if len(calls) == 1:
            return httpx.Response(503, json={"error": "SimilarityComputing", "detail": "still computing"},
                                  headers={"Retry-After": "5"})
        got = client.send(request)
        return httpx.Response(got.status_code, headers=got.headers, content=got.content)

    slept: list[float] = []
    monkeypatch.setattr(cli.transport, "sleep", slept.append)
    monkeypatch.setattr(cli.transport, "client_factory",
                        lambda base, timeout=30.0: httpx.Client(transport=httpx.MockTransport(handler), base_url=base))
    result = run(TEACHER, "--exercise", "rnn", "--json")
    assert result.exit_code == 0, result.output
    assert len(calls) == 2 and slept == [5] and json.loads(result.stdout)[0]["student_b"] == "bob"
