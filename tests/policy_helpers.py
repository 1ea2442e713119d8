"""Shared by the policy tests: a fixed clock on a running app, and storing a result without a grader."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from starlette.testclient import TestClient

from grader.result import Outcome, PartResult, Result, TestResult, Text
from server.db import create_db_engine
from server.grading.claims import write_result

DEADLINE = dt.datetime(2026, 12, 20, 15, 59, tzinfo=dt.UTC)
SECOND = dt.timedelta(seconds=1)
MINUTE = dt.timedelta(minutes=1)
DAY = dt.timedelta(days=1)


def set_clock(client: TestClient, when: dt.datetime) -> None:
    """The app's policies see `when` as now (AppContext.clock), instead of a test sleeping."""
    ctx = client.app.state.ctx  # type: ignore[attr-defined]
    client.app.state.ctx = dataclasses.replace(ctx, clock=lambda: when)  # type: ignore[attr-defined]


def result(score: float, misconception: str | None = None) -> Result:
    """A result for `rnn`: forward gets `score` of 30 (one test with numeric feedback), the rest 0."""
    forward = TestResult(
        name="forward_small", description=Text(en="a small case", zh="小用例"), score=score, max_score=30.0,
        outcome=Outcome.passed if score == 30.0 else Outcome.wrong_answer,
        feedback=[Text(en="y[2] differs by 0.125 at step 3", zh="y[2] 在第 3 步相差 0.125")],
        misconceptions=[misconception] if misconception else [],
    )
    backward = TestResult(
        name="backward_small", description=Text(en="bptt case", zh="反传"), score=0.0, max_score=50.0,
        outcome=Outcome.wrong_answer, feedback=[Text(en="dW_hh max error 3.5", zh="dW_hh 最大误差 3.5")],
    )
    return Result(
        exercise="rnn", score=score, max_score=100.0, grader_version="test", grading_ms=1.0,
        parts=[
            PartResult(name="forward", score=score, max_score=30.0, tests=[forward],
                       feedback=[Text(en="part note 0.5", zh="部分 0.5")]),
            PartResult(name="backward", score=0.0, max_score=50.0, tests=[backward]),
            PartResult(name="clip", score=0.0, max_score=20.0, tests=[]),
        ],
        diagnostics={"chart": "<svg/>"},
    )


def submit(client: TestClient, headers: dict[str, str], **extra: Any) -> Any:
    return client.post("/api/v1/submissions", json={"exercise": "rnn", "source": "x = 1\n"}, headers=headers,
                       **extra)


def grade(database_url: str, submission_id: int, score: float, misconception: str | None = None) -> None:
    engine = create_db_engine(database_url)
    try:
        assert write_result(engine, submission_id, "graded", result(score, misconception))
    finally:
        engine.dispose()


def fail(database_url: str, submission_id: int) -> None:
    engine = create_db_engine(database_url)
    try:
        assert write_result(engine, submission_id, "failed", None, last_error="internal error")
    finally:
        engine.dispose()
