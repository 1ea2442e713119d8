"""Shared by the similarity tests: students with graded submissions of given sources."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from starlette.testclient import TestClient

from grader.result import PartResult, Result
from server.db import create_db_engine
from server.grading.claims import write_result


def _result(score: float) -> Result:
    return Result(exercise="rnn", score=score, max_score=100.0,
                  parts=[PartResult(name="forward", score=score, max_score=100.0, tests=[])],
                  grader_version="test", grading_ms=1.0)


@pytest.fixture
def submit_graded(database_url: str) -> Iterator[Callable[..., int]]:
    """submit_graded(client, student_headers, source, score) -> submission id, stored as graded."""
    engine = create_db_engine(database_url)

    def submit(client: TestClient, headers: dict[str, str], source: str, score: float = 100.0) -> int:
        response = client.post("/api/v1/submissions", json={"exercise": "rnn", "source": source}, headers=headers)
        assert response.status_code == 202, response.text
        submission_id = int(response.json()["id"])
        assert write_result(engine, submission_id, "graded", _result(score))
        return submission_id

    yield submit
    engine.dispose()
