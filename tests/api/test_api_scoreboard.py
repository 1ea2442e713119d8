"""Contract: /api/v1/scoreboard (JSON rows) and /api/v1/scoreboard.csv (UTF-8 with BOM), best/latest."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

import pytest
from helpers import assert_error
from starlette.testclient import TestClient

from grader.result import PartResult, Result
from server.db import create_db_engine
from server.grading.claims import write_result

URL = "/api/v1/scoreboard"


def _result(score: float) -> Result:
    return Result(exercise="rnn", score=score, max_score=100.0,
                  parts=[PartResult(name="forward", score=score, max_score=100.0, tests=[])],
                  grader_version="test", grading_ms=1.0)


@pytest.fixture
def graded(database_url: str, create_student: Callable[..., dict[str, str]]) -> Callable[..., None]:
    """graded(client, headers, [scores]): submit once per score, then store that score as its result."""

    def grade(client: TestClient, headers: dict[str, str], scores: list[float]) -> None:
        engine = create_db_engine(database_url)
        try:
            for score in scores:
                response = client.post("/api/v1/submissions", json={"exercise": "rnn", "source": "x = 1\n"},
                                       headers=headers)
                assert response.status_code == 202
                assert write_result(engine, response.json()["id"], "graded", _result(score))
        finally:
            engine.dispose()

    return grade


@pytest.mark.parametrize(("policy", "expected"), [("best", 90.0), ("latest", 40.0)])
def test_scoreboard_counts_best_or_latest(
    make_client: Callable[..., TestClient], create_student: Callable[..., dict[str, str]],
    teacher_headers: dict[str, str], graded: Callable[..., None], policy: str, expected: float,
) -> None:
    client = make_client(score_policy=policy)
    alice = {"Authorization": create_student(client, "alice", "Alice")["authorization"]}
    create_student(client, "bob", "Bob")
    graded(client, alice, [50.0, 90.0, 40.0])
    # a queued (ungraded) later submission does not count under either policy
    assert client.post("/api/v1/submissions", json={"exercise": "rnn", "source": "y"}, headers=alice).status_code == 202
    response = client.get(URL, headers=teacher_headers)
    assert response.status_code == 200
    assert response.json() == [
        {"student_id": "alice", "name": "Alice", "scores": {"rnn": expected, "rnn_gradients": None},
         "total": expected, "late": False,
         "late_exercises": []},
        {"student_id": "bob", "name": "Bob", "scores": {"rnn": None, "rnn_gradients": None},
         "total": 0.0, "late": False,
         "late_exercises": []},
    ]


def test_scoreboard_marks_late_counted_submissions(
    make_client: Callable[..., TestClient], create_student: Callable[..., dict[str, str]],
    teacher_headers: dict[str, str], graded: Callable[..., None],
) -> None:
    client = make_client(deadlines={"rnn": "2000-01-01T00:00:00Z"})
    alice = {"Authorization": create_student(client, "alice", "Alice")["authorization"]}
    graded(client, alice, [80.0])
    row = client.get(URL, headers=teacher_headers).json()[0]
    assert row["late"] is True and row["late_exercises"] == ["rnn"] and row["total"] == 80.0


def test_scoreboard_csv(
    api_client: TestClient, create_student: Callable[..., dict[str, str]], teacher_headers: dict[str, str],
    graded: Callable[..., None],
) -> None:
    alice = {"Authorization": create_student(api_client, "alice", "王小明")["authorization"]}
    create_student(api_client, "bob", "=HYPERLINK(\"x\")")
    graded(api_client, alice, [87.5])
    response = api_client.get(f"{URL}.csv", headers=teacher_headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "scoreboard.csv" in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows == [
        ["student_id", "name", "rnn", "rnn_gradients", "total", "late"],
        ["alice", "王小明", "87.5", "", "87.5", "no"],
        ["bob", "'=HYPERLINK(\"x\")", "", "", "0", "no"],  # a formula stays text in a spreadsheet
    ]


def test_scoreboard_is_for_the_teacher(api_client: TestClient, create_student: Callable[..., dict[str, str]]) -> None:
    student = {"Authorization": create_student(api_client)["authorization"]}
    for path in (URL, f"{URL}.csv"):
        assert_error(api_client.get(path), 401, "Unauthorized")
        assert_error(api_client.get(path, headers={"Authorization": "Bearer nope"}), 401, "Unauthorized")
        assert_error(api_client.get(path, headers=student), 403, "TeacherOnly")
