"""Every table the CLI prints never breaks a word at 80 columns (COLUMNS=80), in English and Chinese: each
word the table shows on a wide terminal is still whole on an 80-column one (wrapped at spaces or between
Chinese characters, never cut, never truncated), and no line is longer than 80. A table too wide for its
longest words becomes one block of `Header: value` lines per row (cli.tables.FitTable)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from feedback_samples import dropped_dh_next_source, grade_dropped_dh_next
from rich.text import Text
from starlette.testclient import TestClient
from test_cli import (  # noqa: F401  (cli_env and database_url are fixtures this module uses too)
    SERVER,
    cli_env,
    database_url,
    login_as,
    run,
    teacher_token,
    use_app,
)

from cli import policies, regrade_requests, regrades, render, similarity
from cli.tables import FitTable, _units, render_text
from grader.result import Result
from server.db import create_db_engine
from server.grading.claims import write_result

NARROW, WIDE = 80, 1000
_RULES = str.maketrans({ch: " " for ch in "─━│┃┆┊╭╮╰╯┏┓┗┛═╸╺"})


def words(text: str) -> list[str]:
    """The unbreakable pieces of what a terminal shows: runs of narrow characters between spaces (a Chinese
    character is a piece of its own)."""
    found = []
    for line in text.translate(_RULES).splitlines():
        found += [line[a:b] for a, b, space in _units(line) if not space]
    return found


def assert_whole_words(wide: str, narrow: str, what: str) -> None:
    vocabulary = set(words(wide))
    vocabulary |= {w + ":" for w in vocabulary}  # a row shown as `Header: value` lines
    broken = sorted({w for w in words(narrow) if w not in vocabulary})
    assert broken == [], f"{what}: pieces of words at {NARROW} columns: {broken[:12]}\n{narrow}"
    assert max((len(line) for line in narrow.splitlines()), default=0) <= NARROW, what
    assert len(words(narrow)) >= len(words(wide)) > 3, what  # everything is still shown


def check_view(renderable: object, what: str) -> None:
    assert_whole_words(render_text(renderable, WIDE), render_text(renderable, NARROW), what)


def check_command(monkeypatch: pytest.MonkeyPatch, *args: str) -> str:
    outputs = []
    for columns in (WIDE, NARROW):
        monkeypatch.setenv("COLUMNS", str(columns))
        result = run(*args)
        assert result.exit_code == 0, result.output
        outputs.append(result.stdout)
    assert_whole_words(outputs[0], outputs[1], " ".join(args))
    return outputs[1]


@pytest.fixture(scope="module")
def dropped() -> Result:
    return grade_dropped_dh_next()


@pytest.fixture
def course(monkeypatch: pytest.MonkeyPatch, make_client: Callable[..., TestClient], create_student: Any,
           teacher_headers: dict[str, str], database_url: str,  # noqa: F811  (test_cli's SQLite fixture)
           dropped: Result) -> Iterator[dict[str, Any]]:
    """A course with students of long names, a graded submission with much feedback, a regrade request, an
    extension, a regrade batch; the CLI logged in as the first student."""
    client = make_client(timezone="Asia/Shanghai", deadlines={"rnn": "2026-12-20T15:59:00Z"})
    use_app(monkeypatch, client)
    students = [create_student(client, sid, name) for sid, name in (
        ("2024310123", "Maximiliane Alexandra Wolfeschlegelsteinhausen"), ("s2", "李华"), ("s3", "Ada Lovelace"))]
    tokens = [s["token"] for s in students]
    sid = client.post("/api/v1/submissions", json={"exercise": "rnn", "source": dropped_dh_next_source()},
                      headers={"Authorization": f"Bearer {tokens[0]}"}).json()["id"]
    engine = create_db_engine(database_url)
    try:
        assert write_result(engine, sid, "graded", dropped)
    finally:
        engine.dispose()
    asked = client.post(f"/api/v1/submissions/{sid}/regrade-requests", headers={"Authorization": f"Bearer {tokens[0]}"},
                        json={"message": "My backward pass matches PyTorch's autograd on every case I tried; "
                                         "please look at backward/long_vanishing again."})
    assert asked.status_code in (200, 201), asked.text
    client.put("/api/v1/extensions/2024310123/rnn", headers=teacher_headers,
               json={"deadline": "2026-12-27T23:59:00+08:00"})
    client.post("/api/v1/regrade", headers=teacher_headers,
                json={"exercise": "rnn", "reason": "the hidden cases of backward/long_exploding were too lenient"})
    login_as(tokens[0])
    yield {"client": client, "sid": sid, "tokens": tokens, "teacher": teacher_headers}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_students_commands_at_80_columns(monkeypatch: pytest.MonkeyPatch, course: dict[str, Any],
                                            real_exercises: Any, lang: str) -> None:
    sid = str(course["sid"])
    shown = check_command(monkeypatch, "status", sid, "--lang", lang)
    assert "backward/long_vanishing" in shown
    check_command(monkeypatch, "history", "--lang", lang)
    check_command(monkeypatch, "exercises", "--lang", lang)
    check_command(monkeypatch, "gradings", sid)
    check_command(monkeypatch, "requests", "list")
    check_command(monkeypatch, "profiles", "--lang", lang)
    shutil.copyfile(real_exercises["rnn"].spec.public_examples_path, "public_examples.npz")
    Path("rnn.py").write_text(dropped_dh_next_source(), encoding="utf-8")
    check_command(monkeypatch, "check", "rnn.py", "--lang", lang)


def test_the_teachers_tables_at_80_columns(monkeypatch: pytest.MonkeyPatch, course: dict[str, Any]) -> None:
    client, teacher = course["client"], course["teacher"]
    login_as(teacher_token(teacher))
    check_command(monkeypatch, "history")  # with the student column
    check_command(monkeypatch, "scoreboard")
    check_view(render.students_view(client.get("/api/v1/students", headers=teacher).json(), "en"), "students")
    check_command(monkeypatch, "requests", "list")
    check_command(monkeypatch, "audit")
    check_command(monkeypatch, "regrades", "list")
    batches = client.get("/api/v1/regrades", headers=teacher).json()
    check_view(regrades.report_view(client.get(f"/api/v1/regrades/{batches[0]['id']}", headers=teacher).json()),
               "regrades show")
    check_view(policies.extensions_view(client.get("/api/v1/extensions", headers=teacher).json()), "extensions")
    pairs = [{"student_a": "2024310123", "student_b": "s2", "similarity": 0.93, "share_a": 0.88, "share_b": 0.97,
              "submission_a": 1, "submission_b": 2}] * 3
    check_view(similarity._view(pairs), "similarity")
    check_view(regrade_requests.requests_view(client.get("/api/v1/regrade-requests", headers=teacher).json()),
               "requests")
    check_view(render.scoreboard_view(json.loads(run("scoreboard", "--json").stdout), "zh"), "scoreboard zh")


def test_a_table_too_wide_for_its_words_becomes_one_block_per_row() -> None:
    table = FitTable()
    for header in ("Identifier", "Description", "Reference"):
        table.add_column(header)
    long = "a_very_long_identifier_that_is_thirty_five"
    table.add_row(long, "some words that wrap", long + "_too")
    table.add_row("x", Text("短的中文说明，可以在任意两个汉字之间换行。"), "y")
    narrow = render_text(table, NARROW)
    assert narrow.splitlines()[:3] == [f"Identifier: {long}", "Description: some words that wrap",
                                       f"Reference: {long}_too"]
    assert_whole_words(render_text(table, WIDE), narrow, "records")
    check_view(table, "records")


def test_zero_width_characters_belong_to_their_word_and_never_stall_the_wrapping() -> None:
    """A control or combining character is zero cells wide; it once left the word splitter in place forever."""
    from rich.text import Text

    from cli.tables import _units, min_width, wrap

    line = "Eve\x1b]52\x07 e\u0301cole \x9b2J"
    units = _units(line)
    assert "".join(line[a:b] for a, b, _ in units) == line
    assert [line[a:b] for a, b, space in units if not space] == ["Eve\x1b]52\x07", "e\u0301cole", "\x9b2J"]
    assert min_width(Text(line)) == 6 and wrap(Text(line), 6).plain.split("\n")[0].startswith("Eve\x1b]52")


def test_a_tab_in_a_cell_is_spaces_and_hides_nothing() -> None:
    table = FitTable()
    table.add_column("id")
    table.add_column("message")
    table.add_row("1", "a\tb\tc\td " + "word " * 12 + "END")
    table.add_row("2", Text("x\ty"))
    shown = render_text(table, 80)
    assert "END" in shown and "x   y" in shown and "\t" not in shown
    assert all(len(line) <= 80 for line in shown.splitlines())
