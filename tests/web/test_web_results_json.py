"""GET /api/v1/submissions/{id}/results.json: Gradescope's shape, for the owner and the teacher only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient

from grader.result import Outcome, PartResult, Result, TestResult, Text
from server.db import create_db_engine
from server.grading.claims import write_result

GRADESCOPE_TOP = {"score", "execution_time", "output", "visibility", "stdout_visibility", "tests", "extra_data"}
GRADESCOPE_TEST = {"name", "number", "score", "max_score", "status", "output", "visibility", "tags", "extra_data"}


def _result() -> Result:
    passed = TestResult(name="forward/single_step", description=Text(en="one step", zh="单步"), score=15.0,
                        max_score=15.0, outcome=Outcome.passed)
    failed = TestResult(name="forward/saturated", description=Text(en="saturated", zh="饱和"), score=0.0,
                        max_score=15.0, outcome=Outcome.runtime_error,
                        feedback=[Text(en="It raised ValueError.", zh="抛出了 ValueError。")],
                        misconceptions=["forward.missing_b_h"])
    return Result(exercise="rnn", score=15.0, max_score=100.0, grader_version="t", grading_ms=1234.0,
                  parts=[PartResult(name="forward", score=15.0, max_score=30.0, tests=[passed, failed])],
                  feedback=[Text(en="Keep going.", zh="继续加油。")], output="SECRET-STDOUT")


@pytest.fixture
def setup(api_client: TestClient, create_student: Callable[..., dict[str, str]], database_url: str) -> Any:
    owner = {"Authorization": create_student(api_client, "s1", "Ada")["authorization"]}
    other = {"Authorization": create_student(api_client, "s2", "Bo")["authorization"]}
    graded = api_client.post("/api/v1/submissions", json={"exercise": "rnn", "source": "x = 1\n"}, headers=owner)
    queued = api_client.post("/api/v1/submissions", json={"exercise": "rnn", "source": "x = 2\n"}, headers=owner)
    engine = create_db_engine(database_url)
    try:
        assert write_result(engine, graded.json()["id"], "graded", _result())
    finally:
        engine.dispose()
    return api_client, owner, other, graded.json()["id"], queued.json()["id"]


def test_results_json_has_gradescopes_shape(setup: Any, teacher_headers: dict[str, str]) -> None:
    client, owner, _other, graded, _queued = setup
    for headers in (owner, teacher_headers):
        response = client.get(f"/api/v1/submissions/{graded}/results.json", headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        assert set(body) == GRADESCOPE_TOP
        assert body["score"] == 15.0 and body["execution_time"] == 1.234 and body["output"] == "Keep going."
        assert body["visibility"] == "visible" and "SECRET-STDOUT" not in response.text  # captured output: never
        assert [set(t) for t in body["tests"]] == [GRADESCOPE_TEST, GRADESCOPE_TEST]
        first, second = body["tests"]
        assert first == {"name": "forward/single_step", "number": "1.1", "score": 15.0, "max_score": 15.0,
                         "status": "passed", "output": "", "visibility": "visible", "tags": ["forward"],
                         "extra_data": {"description": "one step", "part": "Forward pass", "outcome": "passed",
                                        "misconceptions": []}}
        assert second["status"] == "failed" and second["output"] == "It raised ValueError."
        assert second["extra_data"]["outcome"] == "runtime_error"
        assert body["extra_data"] == {"submission_id": graded, "exercise": "rnn", "max_score": 100.0, "late": False,
                                      "graded_at": body["extra_data"]["graded_at"]}
    zh = client.get(f"/api/v1/submissions/{graded}/results.json?lang=zh", headers=owner).json()
    assert zh["output"] == "继续加油。" and zh["tests"][1]["output"] == "抛出了 ValueError。"


def test_results_json_is_for_the_owner_and_the_teacher(setup: Any) -> None:
    client, _owner, other, graded, queued = setup
    assert client.get(f"/api/v1/submissions/{graded}/results.json").status_code == 401
    hidden = client.get(f"/api/v1/submissions/{graded}/results.json", headers=other)
    assert hidden.status_code == 404 and hidden.json()["error"] == "SubmissionNotFound"
    missing = client.get("/api/v1/submissions/999999/results.json", headers=other)
    assert missing.status_code == 404 and missing.json() == {"error": "SubmissionNotFound",
                                                             "detail": "no submission 999999"}


def test_results_json_of_an_ungraded_submission_is_a_conflict(setup: Any) -> None:
    client, owner, _other, _graded, queued = setup
    response = client.get(f"/api/v1/submissions/{queued}/results.json", headers=owner)
    assert response.status_code == 409
    assert response.json() == {"error": "NotGradedYet", "detail": f"submission {queued} is queued"}


def test_results_json_is_in_the_openapi_schema(api_client: TestClient) -> None:
    paths = api_client.get("/openapi.json").json()["paths"]
    operation = paths["/api/v1/submissions/{submission_id}/results.json"]["get"]
    assert {"200", "401", "404", "409", "422"} <= set(operation["responses"])
    assert not any(p.startswith("/scoreboard") or p.startswith("/leaderboard") for p in paths)
