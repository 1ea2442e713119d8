"""The CLI end to end, in process: typer's CliRunner drives the real Typer app, whose HTTP goes through
`cli.transport.client_factory` to the real FastAPI app (Starlette's TestClient is an httpx.Client) on a fresh
SQLite database, or through an httpx.MockTransport that fails on purpose.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import stat
import sys
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient
from typer.testing import CliRunner, Result

import cli.main
import cli.transport
from cli import config as cfg
from cli.client import RETRIES
from cli.main import app, detect_lang

SERVER = "http://testserver"


# ---------------------------------------------------------------- fixtures
@pytest.fixture
def database_url(sqlite_template: Path, tmp_path: Path) -> Iterator[str]:
    """SQLite only: the CLI talks HTTP, so the PostgreSQL variants of conftest's fixture add nothing here."""
    path = tmp_path / "cli.db"
    shutil.copyfile(sqlite_template, path)
    yield f"sqlite:///{path}"


@pytest.fixture(autouse=True)
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """A private config dir, English, wide output, no real sleeping (returns what would have been slept)."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    for var in ("RNN_GRADER_SERVER", "RNN_GRADER_TOKEN", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.setenv("COLUMNS", "250")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    slept: list[float] = []
    monkeypatch.setattr(cli.transport, "sleep", slept.append)
    monkeypatch.setattr(cli.transport, "client_factory", _no_network)
    return slept


def _no_network(server: str, timeout: float = 30.0) -> httpx.Client:
    raise AssertionError("this command must not touch the network")


def use_app(monkeypatch: pytest.MonkeyPatch, client: TestClient) -> None:
    """Point the CLI at the test app: a new TestClient (same app, already started) per command."""

    def factory(server: str, timeout: float = 30.0) -> httpx.Client:
        assert server == SERVER
        return TestClient(client.app, base_url=server)

    monkeypatch.setattr(cli.transport, "client_factory", factory)


def use_handler(monkeypatch: pytest.MonkeyPatch, handler: Callable[[httpx.Request], httpx.Response]) -> None:
    monkeypatch.setattr(
        cli.transport, "client_factory",
        lambda server, timeout=30.0: httpx.Client(transport=httpx.MockTransport(handler), base_url=server),
    )


def forward(client: TestClient, request: httpx.Request) -> httpx.Response:
    """Send a request the MockTransport received to the real app."""
    got = client.send(request)
    return httpx.Response(got.status_code, headers=got.headers, content=got.content)


def login_as(token: str) -> None:
    cfg.save(cfg.Config(server=SERVER, token=token))


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def assert_one_line_error(result: Result, *needles: str) -> None:
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, result.stderr
    for needle in needles:
        assert needle in result.stderr


def teacher_token(teacher_headers: dict[str, str]) -> str:
    return teacher_headers["Authorization"].removeprefix("Bearer ")


@pytest.fixture
def wrong_source(correct_source: str) -> str:
    wrong = correct_source.replace("np.tanh", "np.sin")
    assert wrong != correct_source
    return wrong


@pytest.fixture
def examples_file(real_exercises: dict[str, Any]) -> Path:
    path: Path = real_exercises["rnn"].spec.public_examples_path
    return path


def _tests(sub: dict[str, Any]) -> list[dict[str, Any]]:
    return [t for p in sub["parts"] for t in p["tests"]]


# ---------------------------------------------------------------- login and configuration
def test_login_checks_the_token_and_saves_config_with_mode_0600(
    monkeypatch: pytest.MonkeyPatch, api_client: TestClient, create_student: Callable[..., dict[str, str]],
    tmp_path: Path,
) -> None:
    use_app(monkeypatch, api_client)
    token = create_student(api_client, "s1")["token"]
    result = run("login", "--server", "testserver/", "--token", token)
    assert result.exit_code == 0, result.output
    path = tmp_path / "config" / "rnn-grader" / "config.json"
    assert path == cfg.config_path()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    saved = json.loads(path.read_text())
    # the login in use at the top (what a client from before profiles reads), kept as the student's login
    assert (saved["server"], saved["token"], saved["current"]) == (SERVER, token, "student@testserver")
    assert saved["profiles"] == {"student@testserver": {"server": SERVER, "token": token, "role": "student"}}
    assert token not in result.output
    # the saved login is used by later commands
    assert run("history", "--json").exit_code == 0


def test_login_with_a_bad_token_fails_and_saves_nothing(
    monkeypatch: pytest.MonkeyPatch, api_client: TestClient
) -> None:
    use_app(monkeypatch, api_client)
    result = run("login", "--server", SERVER, "--token", "not-a-real-token")
    assert_one_line_error(result, "rejected the token")
    assert not cfg.config_path().exists()


def test_bad_saved_token_is_a_one_line_error(monkeypatch: pytest.MonkeyPatch, api_client: TestClient) -> None:
    use_app(monkeypatch, api_client)
    login_as("stale-token")
    assert_one_line_error(run("status"), "rejected the token", "rnn-grader login")


def test_environment_overrides_the_config_file(
    monkeypatch: pytest.MonkeyPatch, api_client: TestClient, create_student: Callable[..., dict[str, str]]
) -> None:
    use_app(monkeypatch, api_client)
    login_as("stale-token")
    monkeypatch.setenv("RNN_GRADER_TOKEN", create_student(api_client, "s1")["token"])
    result = run("history", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == []


def test_not_logged_in_is_a_one_line_error() -> None:
    assert_one_line_error(run("history"), "rnn-grader login")


def test_unreachable_server_is_retried_then_a_one_line_error(
    monkeypatch: pytest.MonkeyPatch, cli_env: list[float]
) -> None:
    calls: list[httpx.Request] = []

    def refuse(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    use_handler(monkeypatch, refuse)
    login_as("some-token")
    assert_one_line_error(run("history"), "cannot reach the server at http://testserver", "refused")
    assert len(calls) == 1 + RETRIES
    assert cli_env == sorted(cli_env) and len(cli_env) == len(calls) - 1  # growing backoff between tries
    # login tries once, and does not save a server it could not reach
    calls.clear()
    assert_one_line_error(run("login", "--server", SERVER, "--token", "t"), "cannot reach")
    assert len(calls) == 1
    assert json.loads(cfg.config_path().read_text())["token"] == "some-token"


def test_answers_that_are_not_the_api_are_one_line_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    def not_the_api(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/submissions"):
            return httpx.Response(200, html="<html>a login page</html>")
        return httpx.Response(500, json={"error": "InternalError", "detail": "internal server error"})

    use_handler(monkeypatch, not_the_api)
    login_as("some-token")
    assert_one_line_error(run("history"), "not JSON", "is this an rnn-grader server?")
    assert_one_line_error(run("status", "3"), "internal server error (HTTP 500 InternalError)")


def test_detect_lang_from_locale() -> None:
    assert detect_lang({"LANG": "zh_CN.UTF-8"}) == "zh"
    assert detect_lang({"LC_ALL": "zh_TW.UTF-8", "LANG": "en_US.UTF-8"}) == "zh"
    assert detect_lang({"LC_ALL": "C", "LANG": "zh_CN.UTF-8"}) == "en"
    assert detect_lang({}) == "en"


# ---------------------------------------------------------------- fetch and check (offline)
def test_fetch_writes_template_and_examples_and_never_overwrites_without_force(
    monkeypatch: pytest.MonkeyPatch, api_client: TestClient, create_student: Callable[..., dict[str, str]],
    real_exercises: dict[str, Any],
) -> None:
    use_app(monkeypatch, api_client)
    login_as(create_student(api_client, "s1")["token"])
    spec = real_exercises["rnn"].spec
    result = run("fetch", "rnn")
    assert result.exit_code == 0, result.output
    template, examples = Path(spec.student_file), Path(spec.public_examples_path.name)
    assert template.read_bytes() == spec.template_path.read_bytes()
    assert examples.read_bytes() == spec.public_examples_path.read_bytes()

    template.write_text("# my work\n")
    assert_one_line_error(run("fetch", "rnn"), "already exists", "--force")
    assert template.read_text() == "# my work\n"
    assert run("fetch", "rnn", "--force").exit_code == 0
    assert template.read_bytes() == spec.template_path.read_bytes()

    fetched = run("fetch", "rnn", "--dir", "elsewhere", "--json")
    assert fetched.exit_code == 0, fetched.output
    assert json.loads(fetched.stdout) == {"exercise": "rnn", "files": [
        str(Path("elsewhere") / spec.student_file), str(Path("elsewhere") / spec.public_examples_path.name)]}
    assert (Path("elsewhere") / spec.student_file).is_file()
    assert_one_line_error(run("fetch", "nope"), "no exercise 'nope'", "404")


def test_check_runs_the_public_examples_offline(correct_source: str, examples_file: Path) -> None:
    Path("exercise_01_rnn.py").write_text(correct_source)
    shutil.copyfile(examples_file, examples_file.name)
    result = run("check", "exercise_01_rnn.py", "--json")  # client_factory fails the test if it is used
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["score"] == body["max_score"] > 0
    assert {p["name"] for p in body["parts"]} == {"forward", "backward", "clip"}
    assert _tests(body) and all(t["outcome"] == "passed" for t in _tests(body))

    human = run("check", "exercise_01_rnn.py")
    assert human.exit_code == 0 and "passed" in human.stdout and "Correct." in human.stdout
    assert "Forward pass" in human.stdout and "rnn" in human.stdout


def test_check_a_wrong_solution_in_chinese(wrong_source: str, examples_file: Path, tmp_path: Path) -> None:
    Path("mine.py").write_text(wrong_source)
    result = run("check", "mine.py", "--examples", str(examples_file), "--lang", "zh")
    assert result.exit_code == 0, result.output  # a low score is still a successful check
    assert "答案错误" in result.stdout and "不正确" in result.stdout
    body = json.loads(run("check", "mine.py", "--examples", str(examples_file), "--json", "--lang", "zh").stdout)
    assert body["score"] < body["max_score"]
    assert any("不正确" in t["feedback"] for t in _tests(body))


def test_check_missing_or_bad_files_are_one_line_errors(examples_file: Path) -> None:
    assert_one_line_error(run("check", "missing.py"), "file not found: missing.py")
    Path("mine.py").write_text("x = 1\n")
    assert_one_line_error(run("check", "mine.py"), "no public examples")
    assert_one_line_error(run("check", "mine.py", "--examples", "nope.npz"), "examples file not found")
    Path("bad.npz").write_bytes(b"not an npz")
    assert_one_line_error(run("check", "mine.py", "--examples", "bad.npz"), "not a public examples file")


# ---------------------------------------------------------------- submit, status, history, exercises
def test_submit_the_correct_solution_gets_full_marks(
    monkeypatch: pytest.MonkeyPatch, grading_client: TestClient, create_student: Callable[..., dict[str, str]],
    correct_source: str, teacher_headers: dict[str, str],
) -> None:
    use_app(monkeypatch, grading_client)
    login_as(create_student(grading_client, "s1")["token"])
    Path("exercise_01_rnn.py").write_text(correct_source)

    result = run("submit", "exercise_01_rnn.py", "--json")
    assert result.exit_code == 0, result.output
    sub = json.loads(result.stdout)
    assert sub["exercise"] == "rnn" and sub["status"] == "graded"
    assert sub["score"] == sub["max_score"] == 100
    assert all(t["outcome"] == "passed" for t in _tests(sub))

    status = json.loads(run("status", "--json").stdout)
    assert status["id"] == sub["id"] and status["score"] == 100
    assert json.loads(run("status", str(sub["id"]), "--json").stdout)["parts"] == sub["parts"]
    assert [s["id"] for s in json.loads(run("history", "--json").stdout)] == [sub["id"]]
    exercises = json.loads(run("exercises", "--json").stdout)
    assert [(e["id"], e["max_score"], e["best_score"]) for e in exercises] == [("rnn", 100, 100),
                                                                                    ("rnn_gradients", 100, None)]

    human = run("status")
    assert human.exit_code == 0 and "100 / 100" in human.stdout and "Forward pass" in human.stdout
    assert "rnn" in run("history").stdout and "100" in run("exercises").stdout

    # the teacher's views of the same result
    login_as(teacher_token(teacher_headers))
    board = json.loads(run("scoreboard", "--json").stdout)
    assert board == [{"student_id": "s1", "name": "Student One", "scores": {"rnn": 100.0, "rnn_gradients": None},
                      "total": 100.0,
                      "late": False, "late_exercises": []}]
    assert "Student One" in run("scoreboard").stdout
    assert "s1" in run("history").stdout  # the teacher's history has a student column
    assert json.loads(run("exercises", "--json").stdout)[0]["best_score"] is None
    exported = run("export", "--format", "csv", "--out", "grades.csv")
    assert exported.exit_code == 0, exported.output
    assert stat.S_IMODE(os.stat("grades.csv").st_mode) == 0o600
    rows = list(csv.DictReader(Path("grades.csv").read_text(encoding="utf-8-sig").splitlines()))
    assert rows[0]["student_id"] == "s1"
    assert_one_line_error(run("export", "--out", "grades.csv"), "already exists")
    as_json = run("export", "--format", "json")
    assert as_json.exit_code == 0 and json.loads(as_json.stdout) == board
    assert run("export").stdout.startswith("student_id")  # stdout: no byte-order mark

    regraded = run("regrade", "--submission", str(sub["id"]), "--json")
    assert regraded.exit_code == 0, regraded.output
    assert json.loads(regraded.stdout)["queued"] == 1
    assert_one_line_error(run("regrade", "--submission", "999"), "no submission 999", "404")
    assert run("regrade", "--exercise", "rnn").stdout.startswith("Queued ")


def test_submit_a_wrong_solution_shows_chinese_feedback(
    monkeypatch: pytest.MonkeyPatch, grading_client: TestClient, create_student: Callable[..., dict[str, str]],
    wrong_source: str,
) -> None:
    use_app(monkeypatch, grading_client)
    login_as(create_student(grading_client, "s1")["token"])
    Path("exercise_01_rnn.py").write_text(wrong_source)
    result = run("submit", "exercise_01_rnn.py", "--lang", "zh")
    assert result.exit_code == 0, result.output
    assert "答案错误" in result.stdout and "不正确" in result.stdout and "前向传播" in result.stdout
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")  # the default language follows the locale
    assert "不正确" in json.loads(run("status", "--json").stdout)["parts"][0]["tests"][0]["feedback"]


def test_submit_no_wait_prints_the_id(
    monkeypatch: pytest.MonkeyPatch, api_client: TestClient, create_student: Callable[..., dict[str, str]],
) -> None:
    use_app(monkeypatch, api_client)  # no grading threads: the submission stays queued
    login_as(create_student(api_client, "s1")["token"])
    assert_one_line_error(run("status"), "no submissions yet")
    Path("solution.py").write_text("x = 1\n")
    result = run("submit", "solution.py", "--no-wait")
    assert result.exit_code == 0, result.output
    sub_id = int(result.stdout.strip())
    status = json.loads(run("status", str(sub_id), "--json").stdout)
    assert status["status"] == "queued" and status["score"] is None
    assert "queued" in run("status").stdout


def test_submit_gives_up_waiting_after_timeout(
    monkeypatch: pytest.MonkeyPatch, api_client: TestClient, create_student: Callable[..., dict[str, str]],
) -> None:
    use_app(monkeypatch, api_client)
    login_as(create_student(api_client, "s1")["token"])
    Path("solution.py").write_text("x = 1\n")
    result = run("submit", "solution.py", "--timeout", "0.3")
    assert_one_line_error(result, "still queued", "rnn-grader status 1")


def test_submit_rejected_by_the_server_prints_its_detail(
    monkeypatch: pytest.MonkeyPatch, api_client: TestClient, create_student: Callable[..., dict[str, str]],
    teacher_headers: dict[str, str],
) -> None:
    use_app(monkeypatch, api_client)
    login_as(create_student(api_client, "s1")["token"])
    Path("solution.py").write_text("x = 1\n")
    assert_one_line_error(run("submit", "solution.py", "--exercise", "nope"), "no exercise 'nope'", "404")
    Path("huge.py").write_text("#" * (65 * 1024))
    assert_one_line_error(run("submit", "huge.py"), "at most 64 KiB", "413")
    login_as(teacher_token(teacher_headers))
    assert_one_line_error(run("submit", "solution.py"), "teacher token cannot submit", "403")


def test_submit_a_missing_file_is_a_one_line_error() -> None:
    login_as("some-token")  # the file is read before any request
    assert_one_line_error(run("submit", "missing.py"), "file not found: missing.py")


def test_network_errors_are_retried_with_one_idempotency_key(
    monkeypatch: pytest.MonkeyPatch, api_client: TestClient, create_student: Callable[..., dict[str, str]],
    teacher_headers: dict[str, str], cli_env: list[float],
) -> None:
    use_app(monkeypatch, api_client)
    login_as(create_student(api_client, "s1")["token"])
    posts: list[httpx.Request] = []

    def flaky(request: httpx.Request) -> httpx.Response:
        if request.method != "POST":
            return forward(api_client, request)
        posts.append(request)
        if len(posts) == 1:  # reached the server, but the answer was lost on the way back
            forward(api_client, request)
            raise httpx.ReadError("connection reset by peer", request=request)
        if len(posts) == 2:  # did not reach the server at all
            raise httpx.ConnectError("[Errno 111] Connection refused", request=request)
        return forward(api_client, request)

    use_handler(monkeypatch, flaky)
    Path("solution.py").write_text("x = 1\n")
    result = run("submit", "solution.py", "--exercise", "rnn", "--no-wait", "--json")
    assert result.exit_code == 0, result.output
    keys = {r.headers["Idempotency-Key"] for r in posts}
    assert len(posts) == 3 and len(keys) == 1
    assert len(cli_env) == 2  # two backoff waits
    everything = api_client.get("/api/v1/submissions", headers=teacher_headers).json()
    assert [s["id"] for s in everything] == [json.loads(result.stdout)["id"]]

    # another invocation is another submission: a fresh key
    assert run("submit", "solution.py", "--exercise", "rnn", "--no-wait").exit_code == 0
    assert len({r.headers["Idempotency-Key"] for r in posts}) == 2


def test_rate_limit_waits_for_retry_after_or_exits(
    monkeypatch: pytest.MonkeyPatch, make_client: Callable[..., TestClient],
    create_student: Callable[..., dict[str, str]], cli_env: list[float],
) -> None:
    client = make_client(rate_limit_per_minute=1)
    use_app(monkeypatch, client)
    login_as(create_student(client, "s1")["token"])
    Path("solution.py").write_text("x = 1\n")
    assert run("submit", "solution.py", "--no-wait").exit_code == 0
    assert_one_line_error(run("submit", "solution.py", "--no-wait", "--exit-if-limited"), "rate limited", "try again")

    limited_once: list[bool] = []

    def limit_first(request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and not limited_once:
            limited_once.append(True)
            return httpx.Response(429, headers={"Retry-After": "7"},
                                  json={"error": "RateLimited", "detail": "retry in 7 s"})
        return httpx.Response(202, json={"id": 42, "status": "queued"})

    use_handler(monkeypatch, limit_first)
    result = run("submit", "solution.py", "--exercise", "rnn", "--no-wait")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "42"
    assert cli_env == [7.0] and "waiting 7 s" in result.stderr


# ---------------------------------------------------------------- teacher commands
def test_students_add_and_import_issue_working_tokens(
    monkeypatch: pytest.MonkeyPatch, api_client: TestClient, teacher_headers: dict[str, str],
) -> None:
    use_app(monkeypatch, api_client)
    login_as(teacher_token(teacher_headers))
    added = run("students", "add", "s9", "Wang Fang", "--json")
    assert added.exit_code == 0, added.output
    s9 = json.loads(added.stdout)
    assert s9["student_id"] == "s9" and s9["name"] == "Wang Fang" and s9["token"]

    Path("roster.csv").write_text("student_id,name\ns1,Li Hua\ns2,张伟\n", encoding="utf-8")
    imported = run("students", "import", "roster.csv", "--out", "tokens.csv")
    assert imported.exit_code == 0, imported.output
    assert stat.S_IMODE(os.stat("tokens.csv").st_mode) == 0o600
    rows = list(csv.DictReader(Path("tokens.csv").read_text(encoding="utf-8").splitlines()))
    assert [(r["student_id"], r["name"]) for r in rows] == [("s1", "Li Hua"), ("s2", "张伟")]
    for token in [s9["token"], *(r["token"] for r in rows)]:
        login_as(token)
        assert run("history", "--json").exit_code == 0

    login_as(teacher_token(teacher_headers))
    before = Path("tokens.csv").read_bytes()
    assert_one_line_error(run("students", "import", "roster.csv", "--out", "tokens.csv"), "already exists")
    assert Path("tokens.csv").read_bytes() == before
    # the server refuses the same students again: its detail, and no empty tokens file left behind
    assert_one_line_error(run("students", "import", "roster.csv", "--out", "again.csv"), "already exist", "409")
    assert not Path("again.csv").exists()
    assert_one_line_error(run("students", "import", "missing.csv"), "file not found")
    Path("more.csv").write_text("student_id,name\ns3,Zhao Lei\n")
    shown = run("students", "import", "more.csv")
    assert shown.exit_code == 0 and "s3" in shown.stdout


def test_teacher_commands_need_the_teacher_token(
    monkeypatch: pytest.MonkeyPatch, api_client: TestClient, create_student: Callable[..., dict[str, str]],
) -> None:
    use_app(monkeypatch, api_client)
    login_as(create_student(api_client, "s1")["token"])
    assert_one_line_error(run("scoreboard"), "teacher token", "403")
    assert_one_line_error(run("students", "add", "s2", "Two"), "teacher token", "403")


def test_regrade_sends_exactly_one_selector(monkeypatch: pytest.MonkeyPatch) -> None:
    bodies: list[Any] = []

    def regrade(request: httpx.Request) -> httpx.Response:
        assert request.method == "POST" and request.url.path == "/api/v1/regrade"
        bodies.append(json.loads(request.content))
        return httpx.Response(202, json={"queued": 3})

    use_handler(monkeypatch, regrade)
    login_as("teacher")
    assert run("regrade", "--submission", "5").stdout.strip() == "Queued 3 submission(s) for regrading."
    assert json.loads(run("regrade", "--exercise", "rnn", "--json").stdout) == {"queued": 3}
    assert run("regrade", "--all").exit_code == 0
    assert bodies == [
        {"submission_id": 5, "exercise": None, "all": False},
        {"submission_id": None, "exercise": "rnn", "all": False},
        {"submission_id": None, "exercise": None, "all": True},
    ]
    assert_one_line_error(run("regrade"), "exactly one")
    assert_one_line_error(run("regrade", "--all", "--exercise", "rnn"), "exactly one")


def test_worker_calls_run_worker_or_explains(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    fake = types.ModuleType("server.grading.command")
    fake.run_worker = calls.append  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "server.grading.command", fake)
    assert run("worker", "--concurrency", "3").exit_code == 0
    assert calls == [3]
    monkeypatch.setitem(sys.modules, "server.grading.command", types.ModuleType("server.grading.command"))
    assert_one_line_error(run("worker"), "run_worker")


def test_serve_passes_host_and_port_to_the_server(monkeypatch: pytest.MonkeyPatch) -> None:
    import server.main

    seen: list[tuple[str | None, str | None]] = []
    for var in ("RNN_GRADER_HOST", "RNN_GRADER_PORT"):
        monkeypatch.delenv(var, raising=False)  # restored after the test
    monkeypatch.setattr(server.main, "serve",
                        lambda: seen.append((os.environ.get("RNN_GRADER_HOST"), os.environ.get("RNN_GRADER_PORT"))))
    assert run("serve", "--host", "0.0.0.0", "--port", "9123").exit_code == 0
    assert seen == [("0.0.0.0", "9123")]

