"""End to end through the real grader (sandbox and all): submit over HTTP, get graded results back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from helpers import wait_for
from starlette.testclient import TestClient

URL = "/api/v1/submissions"


@pytest.fixture
def student(grading_client: TestClient, create_student: Callable[..., dict[str, str]]) -> dict[str, str]:
    return {"Authorization": create_student(grading_client, "s1")["authorization"]}


def _all_tests(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [t for p in body["parts"] for t in p["tests"]]


def test_correct_solution_gets_full_marks_within_wait(
    grading_client: TestClient, student: dict[str, str], teacher_headers: dict[str, str], correct_source: str
) -> None:
    response = grading_client.post(f"{URL}?wait=30", json={"exercise": "rnn", "source": correct_source},
                                   headers=student)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "graded"
    assert body["score"] == body["max_score"] == 100
    assert body["graded_at"] is not None and body["attempts"] == 1
    assert {p["name"] for p in body["parts"]} == {"forward", "backward", "clip"}
    for part in body["parts"]:
        assert part["score"] == part["max_score"] > 0
        assert part["title"]
    tests = _all_tests(body)
    assert tests and all(t["outcome"] == "passed" and t["score"] == t["max_score"] for t in tests)
    assert all(isinstance(t["description"], str) and t["description"] for t in tests)
    assert all(isinstance(t["feedback"], str) for t in tests)
    assert "output" not in body
    # the stored result reads back the same, and counts on the scoreboard
    again = grading_client.get(f"{URL}/{body['id']}", headers=student).json()
    assert again["score"] == 100 and again["parts"] == body["parts"]
    board = grading_client.get("/api/v1/scoreboard", headers=teacher_headers).json()
    assert board == [{"student_id": "s1", "name": "Student One", "scores": {"rnn": 100.0, "rnn_gradients": None},
                      "total": 100.0,
                      "late": False, "late_exercises": []}]


def test_template_with_correct_functions_from_the_api(
    grading_client: TestClient, student: dict[str, str], correct_source: str
) -> None:
    """The README's walk-through: fetch the template, fill in the functions, upload the file."""
    template = grading_client.get("/api/v1/exercises/rnn/template", headers=student)
    assert template.status_code == 200 and "def rnn_forward" in template.text
    filled = template.text + "\n\n# --- filled in ---\n" + correct_source  # later definitions win
    response = grading_client.post(
        f"{URL}?wait=30", data={"exercise": "rnn"}, files={"file": ("rnn.py", filled.encode(), "text/x-python")},
        headers=student,
    )
    assert response.status_code == 200, response.text
    assert response.json()["score"] == 100


def test_wrong_forward_loses_points_with_feedback(
    grading_client: TestClient, student: dict[str, str], correct_source: str
) -> None:
    wrong = correct_source.replace("np.tanh(", "np.maximum(0.0, ", 1)
    assert wrong != correct_source
    response = grading_client.post(f"{URL}?wait=30", json={"exercise": "rnn", "source": wrong}, headers=student)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "graded"
    assert 0 <= body["score"] < body["max_score"]
    forward = next(p for p in body["parts"] if p["name"] == "forward")
    assert forward["score"] < forward["max_score"]
    failing = [t for t in forward["tests"] if t["outcome"] != "passed"]
    assert failing and all(t["feedback"] for t in failing)
    # backward and clip are graded on their own: the broken forward does not sink them
    others = [p for p in body["parts"] if p["name"] != "forward"]
    assert all(p["score"] == p["max_score"] for p in others)


def test_template_as_is_scores_zero_and_feedback_follows_the_language(
    grading_client: TestClient, student: dict[str, str]
) -> None:
    template = grading_client.get("/api/v1/exercises/rnn/template", headers=student).text
    en = grading_client.post(f"{URL}?wait=30", json={"exercise": "rnn", "source": template}, headers=student)
    assert en.status_code == 200 and en.json()["score"] == 0
    sid = en.json()["id"]
    # Every test failed, so its charts are drawn right after the result: compare views once they are there.
    wait_for(lambda: grading_client.get(f"{URL}/{sid}", headers=student).json()["diagnostics_status"] == "done",
             30, "the charts of a failing submission")
    en = grading_client.get(f"{URL}/{sid}?lang=en", headers=student)
    feedback_en = " ".join(t["feedback"] for t in _all_tests(en.json()))
    zh = grading_client.get(f"{URL}/{sid}?lang=zh", headers=student).json()
    feedback_zh = " ".join(t["feedback"] for t in _all_tests(zh))
    assert feedback_en and feedback_zh and feedback_en != feedback_zh
    assert any("\u4e00" <= ch <= "\u9fff" for ch in feedback_zh)
    by_header = grading_client.get(f"{URL}/{sid}", headers={**student, "Accept-Language": "zh-CN,zh;q=0.9"}).json()
    assert by_header == zh
    # ?lang wins over the header
    assert grading_client.get(f"{URL}/{sid}?lang=en", headers={**student, "Accept-Language": "zh"}).json() == en.json()


def test_syntax_error_is_explained_at_submission_level(grading_client: TestClient, student: dict[str, str]) -> None:
    response = grading_client.post(f"{URL}?wait=30", json={"exercise": "rnn", "source": "def broken(:\n"},
                                   headers=student)
    assert response.status_code == 200
    body = response.json()
    assert body["score"] == 0 and "line 1" in body["feedback"]


def test_printed_output_is_for_the_teacher_only(
    grading_client: TestClient, student: dict[str, str], teacher_headers: dict[str, str], correct_source: str
) -> None:
    noisy = correct_source + "\nprint('hello from the student module')\n"
    body = grading_client.post(f"{URL}?wait=30", json={"exercise": "rnn", "source": noisy}, headers=student).json()
    assert body["score"] == 100 and "output" not in body
    assert "hello from the student module" not in str(body)
    teacher = grading_client.get(f"{URL}/{body['id']}", headers=teacher_headers).json()
    assert "hello from the student module" in teacher["output"]


def test_without_wait_the_submission_is_202_then_graded(
    grading_client: TestClient, student: dict[str, str], correct_source: str
) -> None:
    response = grading_client.post(URL, json={"exercise": "rnn", "source": correct_source}, headers=student)
    assert response.status_code == 202
    assert response.json()["status"] in ("queued", "running", "graded")
    later = grading_client.get(f"{URL}/{response.json()['id']}?wait=30", headers=student)
    assert later.status_code == 200 and later.json()["status"] == "graded" and later.json()["score"] == 100


def test_regrade_grades_again_with_the_same_cases(
    grading_client: TestClient, student: dict[str, str], teacher_headers: dict[str, str], correct_source: str
) -> None:
    first = grading_client.post(f"{URL}?wait=30", json={"exercise": "rnn", "source": correct_source},
                                headers=student).json()
    response = grading_client.post("/api/v1/regrade", json={"submission_id": first["id"]}, headers=teacher_headers)
    assert response.status_code == 200 and response.json()["queued"] == 1
    again = grading_client.get(f"{URL}/{first['id']}?wait=30", headers=student).json()
    assert again["status"] == "graded" and again["score"] == 100 and again["attempts"] == 1
    assert again["parts"] == first["parts"]  # same seed, same hidden cases, same descriptions
