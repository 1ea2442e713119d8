"""Hints that grow, in the pages (SQLite and PostgreSQL): the student's result page shows the hints of the level
stored with each named mistake, each higher level under its label, in both languages, and nothing above it;
the teacher's drill-down shows the level reached; a part hidden by the visibility policy shows no hint."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from helpers import page_sign_in
from hint_samples import named_result, submit_graded
from markupsafe import escape
from starlette.testclient import TestClient

from grader.messages import CATALOG
from reference.rnn_mutants import BY_NAME

TEACHER = "teacher-token-for-tests-0123456789"  # tests/conftest.py
A = "backward.no_dh_next"
LEVELS = BY_NAME[A].hints


def _shown(text: str) -> str:
    return str(escape(text))  # as Jinja's autoescape writes it


def _graded_twice(make_client: Callable[..., TestClient], create_student: Callable[..., dict[str, str]],
                  database_url: str, **settings: Any) -> tuple[TestClient, str, list[int]]:
    client = make_client(**settings)
    student = create_student(client, "s1", "Ada")
    headers = {"Authorization": student["authorization"]}
    ids = [submit_graded(client, headers, database_url, named_result(backward=[A])) for _ in range(2)]
    return client, student["token"], ids


def test_the_result_pages_show_the_hints_of_the_level_reached(
    make_client: Callable[..., TestClient], create_student: Callable[..., dict[str, str]], database_url: str,
) -> None:
    client, token, (first, second) = _graded_twice(make_client, create_student, database_url)
    page_sign_in(client, token, "/student")
    one = client.get(f"/student/submissions/{first}?lang=en").text
    assert f'data-mistake="{A}" data-hint-level="1"' in one
    assert _shown(LEVELS[0].en) in one and _shown(LEVELS[1].en) not in one and "hint-reached" not in one
    two = client.get(f"/student/submissions/{second}?lang=en").text
    assert f'data-mistake="{A}" data-hint-level="2"' in two
    assert _shown(LEVELS[0].en) in two and _shown(LEVELS[1].en) in two and _shown(LEVELS[2].en) not in two
    assert CATALOG["hint_level_2"]["en"] in two and CATALOG["hint_level_3"]["en"] not in two
    assert "Hint level 2; named in 2 graded submission(s) in a row." in two
    zh = client.get(f"/student/submissions/{second}?lang=zh").text
    assert _shown(LEVELS[1].zh) in zh and CATALOG["hint_level_2"]["zh"] in zh
    assert "提示等级 2；连续 2 次评分的提交中出现。" in zh

    # The teacher's drill-down of the same submission shows the level reached, and the first one's too.
    page_sign_in(client, TEACHER)
    teacher = client.get(f"/scoreboard/students/s1?submission={second}&lang=en").text
    assert f'data-mistake="{A}" data-hint-level="2"' in teacher and _shown(LEVELS[1].en) in teacher
    assert "Hint level 2; named in 2 graded submission(s) in a row." in teacher
    earlier = client.get(f"/scoreboard/students/s1?submission={first}&lang=en").text
    assert f'data-mistake="{A}" data-hint-level="1"' in earlier


def test_a_hidden_part_shows_no_hint_on_the_page(
    make_client: Callable[..., TestClient], create_student: Callable[..., dict[str, str]], database_url: str,
) -> None:
    hidden = {"rnn": {"parts": {"backward": {"before_deadline": "score_only"}}}}
    client, token, (_first, second) = _graded_twice(make_client, create_student, database_url, visibility=hidden)
    page_sign_in(client, token, "/student")
    page = client.get(f"/student/submissions/{second}?lang=en").text
    assert f'data-mistake="{A}"' not in page
    assert not any(_shown(level.en) in page for level in LEVELS) and "Hint level" not in page
    page_sign_in(client, TEACHER)
    teacher = client.get(f"/scoreboard/students/s1?submission={second}&lang=en").text
    assert f'data-mistake="{A}" data-hint-level="2"' in teacher
