"""Contract: POST /api/v1/regrade (teacher): exactly one selector; only graded/failed submissions move."""

from __future__ import annotations

from collections.abc import Callable

from helpers import assert_error
from starlette.testclient import TestClient

from grader.result import Result
from server.db import create_db_engine
from server.grading.claims import write_result

URL = "/api/v1/regrade"


def test_regrade_selectors_and_counts(
    database_url: str, api_client: TestClient, create_student: Callable[..., dict[str, str]],
    teacher_headers: dict[str, str],
) -> None:
    headers = {"Authorization": create_student(api_client)["authorization"]}
    ids = [api_client.post("/api/v1/submissions", json={"exercise": "rnn", "source": "x"}, headers=headers).json()["id"]
           for _ in range(3)]
    engine = create_db_engine(database_url)
    try:
        result = Result(exercise="rnn", score=50, max_score=100, parts=[], grader_version="t", grading_ms=1)
        assert write_result(engine, ids[0], "graded", result)
        assert write_result(engine, ids[1], "failed", None, "boom")
    finally:
        engine.dispose()
    # the third is still queued: not counted
    first = api_client.post(URL, json={"exercise": "rnn"}, headers=teacher_headers).json()
    assert first["queued"] == 2 and isinstance(first["batch_id"], int)
    rows = {r["id"]: r for r in api_client.get("/api/v1/submissions", headers=teacher_headers).json()}
    assert {r["status"] for r in rows.values()} == {"queued"}
    # the graded one keeps its score (it still counts) while its regrade is pending; the failed one has none
    assert rows[ids[0]]["score"] == 50 and rows[ids[0]]["regrade_pending"] is True
    assert rows[ids[1]]["score"] is None and rows[ids[1]]["regrade_pending"] is False
    batch_ids = {first["batch_id"]}
    for body in ({"all": True}, {"exercise": "other"}, {"submission_id": ids[2]}):
        again = api_client.post(URL, json=body, headers=teacher_headers).json()
        assert again["queued"] == 0 and again["batch_id"] not in batch_ids
        batch_ids.add(again["batch_id"])


def test_regrade_errors(
    api_client: TestClient, create_student: Callable[..., dict[str, str]], teacher_headers: dict[str, str]
) -> None:
    student = {"Authorization": create_student(api_client)["authorization"]}
    assert_error(api_client.post(URL, json={"all": True}), 401, "Unauthorized")
    assert_error(api_client.post(URL, json={"all": True}, headers=student), 403, "TeacherOnly")
    assert_error(api_client.post(URL, json={}, headers=teacher_headers), 422, "InvalidInput")
    response = api_client.post(URL, json={"all": True, "exercise": "rnn"}, headers=teacher_headers)
    assert_error(response, 422, "InvalidInput")
    assert_error(api_client.post(URL, json={"submission_id": 0}, headers=teacher_headers), 422, "ValidationError")
    response = api_client.post(URL, json={"submission_id": 12345}, headers=teacher_headers)
    assert_error(response, 404, "SubmissionNotFound")
