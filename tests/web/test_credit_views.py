"""Credit per output, as the teacher and the student see it, on SQLite and PostgreSQL: submissions graded all
or nothing are regraded with backward's credit per output; the regrade report counts the counted scores that
moved and shows the part that moved; results.json lists each test's outputs; the scoreboard and the exercise
page say how each part gives credit. The grader is the real one (LocalRunner), before and after the change."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from feedback_samples import CORRECT_PATH
from helpers import page_sign_in
from starlette.testclient import TestClient

from grader.exercise import Credit, Exercise
from grader.grade import Grader
from grader.runner import LocalRunner
from server.db import create_db_engine
from server.grading.claims import write_result

SEED = 5
CORRECT = CORRECT_PATH.read_text(encoding="utf-8")
ONE_WRONG = CORRECT.replace('grads["b_y"] += dy[t].sum(axis=0)', 'grads["b_y"] += dy[t].sum(axis=0) + 1.0')
TEACHER_TOKEN = "teacher-token-for-tests-0123456789"


def all_or_nothing(exercise: Exercise) -> Exercise:
    """The exercise as it was before credit per output: every part all or nothing per test."""
    parts = tuple(dataclasses.replace(p, credit=Credit()) for p in exercise.spec.parts)
    return dataclasses.replace(exercise, spec=dataclasses.replace(exercise.spec, parts=parts))


@pytest.fixture(scope="module")
def graders(real_exercises: dict[str, Exercise]) -> Iterator[tuple[Grader, Grader]]:
    with Grader({"rnn": all_or_nothing(real_exercises["rnn"])}, LocalRunner()) as before, \
            Grader({"rnn": real_exercises["rnn"]}, LocalRunner()) as after:
        yield before, after


@pytest.fixture
def regraded(api_client: TestClient, create_student: Callable[..., dict[str, str]], database_url: str,
             teacher_headers: dict[str, str], graders: tuple[Grader, Grader]) -> dict[str, Any]:
    """Ada: six of seven gradients right; Bo: everything right. Graded all or nothing, then regraded."""
    before, after = graders
    engine = create_db_engine(database_url)
    ids = {}
    try:
        for student, source in (("ada", ONE_WRONG), ("bo", CORRECT)):
            headers = {"Authorization": create_student(api_client, student, student.title())["authorization"]}
            response = api_client.post("/api/v1/submissions", json={"exercise": "rnn", "source": source},
                                       headers=headers)
            assert response.status_code == 202, response.text
            ids[student] = (response.json()["id"], headers)
            assert write_result(engine, ids[student][0], "graded", before.grade("rnn", source, SEED))
        started = api_client.post("/api/v1/regrade", json={"exercise": "rnn", "reason": "credit per output"},
                                  headers=teacher_headers)
        assert started.status_code == 200 and started.json()["queued"] == 2
        for student, source in (("ada", ONE_WRONG), ("bo", CORRECT)):
            assert write_result(engine, ids[student][0], "graded", after.grade("rnn", source, SEED))
    finally:
        engine.dispose()
    return {"client": api_client, "batch": started.json()["batch_id"], "ids": ids}


def test_the_regrade_report_counts_the_moved_scores_and_shows_the_part_that_moved(
    regraded: dict[str, Any], teacher_headers: dict[str, str],
) -> None:
    client = regraded["client"]
    report = client.get(f"/api/v1/regrades/{regraded['batch']}", headers=teacher_headers).json()
    assert report["finished"] and report["totals"] == {"up": 1, "down": 0, "same": 1, "pending": 0}
    assert report["moved"] == 1
    ada = next(s for s in report["students"] if s["student_id"] == "ada")
    assert ada["change"] == "up" and ada["before"] == pytest.approx(50.0)  # forward and clip only
    assert ada["parts_before"] == {"forward": 30.0, "backward": 0.0, "clip": 20.0}
    assert ada["parts_after"]["backward"] == pytest.approx(50 * 6 / 7)
    assert ada["after"] == pytest.approx(50 + 50 * 6 / 7)
    parts = {(p["exercise"], p["part"]): p for p in report["parts"]}
    assert parts[("rnn", "backward")] == {"exercise": "rnn", "part": "backward", "credit": "output",
                                          "up": 1, "down": 0, "same": 1}
    assert parts[("rnn", "forward")]["credit"] == "test" and parts[("rnn", "forward")]["same"] == 2

    assert page_sign_in(client, TEACHER_TOKEN).status_code == 303
    page = client.get(f"/scoreboard/regrades/{regraded['batch']}")
    assert page.status_code == 200
    assert "1 counted scores moved." in page.text and 'data-part="rnn:backward" data-credit="output"' in page.text
    assert "backward 0 → 42.86" in page.text
    zh = client.get(f"/scoreboard/regrades/{regraded['batch']}?lang=zh").text
    assert "共有 1 个计分发生变化。" in zh and "按输出计分" in zh


def test_results_json_and_the_submission_list_each_outputs_credit(
    regraded: dict[str, Any], teacher_headers: dict[str, str],
) -> None:
    client = regraded["client"]
    sid, owner = regraded["ids"]["ada"]
    body = client.get(f"/api/v1/submissions/{sid}/results.json", headers=owner).json()
    assert body["score"] == pytest.approx(50 + 50 * 6 / 7)
    assert body["extra_data"]["credit_per_output"] == ["backward"]
    backward = [t for t in body["tests"] if t["tags"] == ["backward"]]
    assert backward and all(t["status"] == "failed" and t["score"] == pytest.approx(t["max_score"] * 6 / 7)
                            for t in backward)
    assert [c["name"] for c in backward[0]["extra_data"]["credit"] if not c["correct"]] == ["b_y"]
    assert backward[0]["output"].startswith("Credit per output: 6 of 7 outputs right")
    forward = next(t for t in body["tests"] if t["tags"] == ["forward"])
    assert "credit" not in forward["extra_data"]  # all or nothing: nothing to list

    submission = client.get(f"/api/v1/submissions/{sid}", headers=owner).json()
    part = next(p for p in submission["parts"] if p["name"] == "backward")
    assert part["credit"] == "output" and part["tests"][0]["credit"][4] == {"name": "b_y", "weight": 1.0,
                                                                            "correct": False}
    exercise = client.get("/api/v1/exercises/rnn", headers=owner).json()
    assert {p["name"]: p["credit"] for p in exercise["parts"]} == {"forward": "test", "backward": "output",
                                                                   "clip": "test"}


def test_the_scoreboard_says_which_part_gives_credit_per_output(regraded: dict[str, Any]) -> None:
    client = regraded["client"]
    assert page_sign_in(client, TEACHER_TOKEN).status_code == 303
    page = client.get("/scoreboard").text
    assert page.count('class="muted credit-note">credit per output</small>') == 1
    assert "Each test of this part earns the share of its points that its right outputs weigh." in page
    assert '<small class="muted credit-note">按输出计分</small>' in client.get("/scoreboard?lang=zh").text


def test_a_summary_view_keeps_a_tests_points_but_not_which_outputs_were_right(
    make_client: Callable[..., TestClient], create_student: Callable[..., dict[str, str]], database_url: str,
    graders: tuple[Grader, Grader],
) -> None:
    client = make_client(visibility={"rnn": {"before_deadline": "summary"}})
    owner = {"Authorization": create_student(client, "ada", "Ada")["authorization"]}
    sid = client.post("/api/v1/submissions", json={"exercise": "rnn", "source": ONE_WRONG}, headers=owner).json()["id"]
    engine = create_db_engine(database_url)
    try:
        assert write_result(engine, sid, "graded", graders[1].grade("rnn", ONE_WRONG, SEED))
    finally:
        engine.dispose()
    part = next(p for p in client.get(f"/api/v1/submissions/{sid}", headers=owner).json()["parts"]
                if p["name"] == "backward")
    assert part["credit"] == "output" and part["tests"]
    assert all(t["credit"] == [] and t["score"] == pytest.approx(t["max_score"] * 6 / 7) for t in part["tests"])
