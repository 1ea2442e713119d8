"""Queue and worker mechanics (claims, leases, re-queueing, exactly-once results, retries), with a fake
grader: these tests are about the queue, not about grading (the real grader has test_api_grading.py)."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from helpers import WithoutCharts, wait_for
from sqlmodel import Session
from starlette.testclient import TestClient

from grader.result import Outcome, PartResult, Result, TestResult, Text
from server.db import create_db_engine, utcnow
from server.grading.claims import claim_next, requeue_stale, write_result
from server.models import Submission
from server.tables import submissions_t

URL = "/api/v1/submissions"
SOURCE = "def rnn_forward(*a):\n    pass\n"


def make_result(score: float = 100.0, outcome: Outcome = Outcome.passed, output: str = "") -> Result:
    test = TestResult(name="forward/one", description=Text(en="one", zh="一"), score=score, max_score=100.0,
                      outcome=outcome, feedback=[Text(en="fine", zh="好")])
    return Result(exercise="rnn", score=score, max_score=100.0,
                  parts=[PartResult(name="forward", score=score, max_score=100.0, tests=[test])],
                  grader_version="fake-1", grading_ms=1.0, output=output)


class FakeGrader(WithoutCharts):
    """Counts calls per seed; optional delay; `script` gives per-call behaviour ("ok", "raise", "internal")."""

    def __init__(self, delay_s: float = 0.0, script: list[str] | None = None) -> None:
        self.calls: Counter[int] = Counter()
        self.delay_s = delay_s
        self.script = list(script or [])
        self.lock = threading.Lock()

    def grade(self, exercise_id: str, source: str, seed: int) -> Result:
        with self.lock:
            self.calls[seed] += 1
            step = self.script.pop(0) if self.script else "ok"
        time.sleep(self.delay_s)
        if step == "raise":
            raise RuntimeError("grader bug")
        if step == "internal":
            return make_result(0.0, Outcome.internal_error)
        return make_result()

    def close(self) -> None:
        pass


def _submit(client: TestClient, headers: dict[str, str], wait: float = 0) -> dict[str, Any]:
    response = client.post(f"{URL}?wait={wait}", json={"exercise": "rnn", "source": SOURCE}, headers=headers)
    assert response.status_code in (200, 202), response.text
    body: dict[str, Any] = response.json()
    return body


def _row(client: TestClient, submission_id: int) -> Submission:
    with Session(client.app.state.ctx.engine) as session:  # type: ignore[attr-defined]
        row = session.get(Submission, submission_id)
        assert row is not None
        return row


def test_two_workers_grade_every_submission_exactly_once(
    make_client: Callable[..., TestClient], create_student: Callable[..., dict[str, str]]
) -> None:
    fake = FakeGrader(delay_s=0.02)
    client = make_client(workers=2, grader_factory=lambda: fake)
    headers = {"Authorization": create_student(client)["authorization"]}
    ids = [_submit(client, headers)["id"] for _ in range(12)]
    for sid in ids:
        assert client.get(f"{URL}/{sid}?wait=20", headers=headers).json()["status"] == "graded"
    seeds = {_row(client, sid).seed for sid in ids}
    assert len(seeds) == 12  # every submission has its own seed
    assert set(fake.calls) == seeds and all(n == 1 for n in fake.calls.values())


def test_result_is_written_once(database_url: str, make_client: Callable[..., TestClient],
                                create_student: Callable[..., dict[str, str]]) -> None:
    client = make_client()
    headers = {"Authorization": create_student(client)["authorization"]}
    sid = _submit(client, headers)["id"]
    engine = create_db_engine(database_url)
    try:
        assert write_result(engine, sid, "graded", make_result(70.0)) is True
        assert write_result(engine, sid, "graded", make_result(100.0)) is False
        assert write_result(engine, sid, "failed", None, "late duplicate") is False
    finally:
        engine.dispose()
    row = _row(client, sid)
    assert row.status == "graded" and row.score == 70.0 and row.last_error is None


def test_expired_lease_is_requeued_and_the_stale_worker_result_discarded(
    database_url: str, make_client: Callable[..., TestClient], create_student: Callable[..., dict[str, str]]
) -> None:
    client = make_client()
    headers = {"Authorization": create_student(client)["authorization"]}
    sid = _submit(client, headers)["id"]
    engine = create_db_engine(database_url)
    try:
        claim, _ = claim_next(engine, "worker-that-dies", lease_seconds=30, max_attempts=3)
        assert claim is not None and claim.id == sid and claim.attempts == 1
        assert _row(client, sid).status == "running"
        assert requeue_stale(engine) == 0  # the lease is still good
        assert claim_next(engine, "other", 30, 3)[0] is None  # nothing else to claim
        assert requeue_stale(engine, now=utcnow() + dt.timedelta(seconds=31)) == 1
        row = _row(client, sid)
        assert row.status == "queued" and row.lease_until is None and row.attempts == 1
        second, _ = claim_next(engine, "second-worker", 30, 3)
        assert second is not None and second.id == sid and second.attempts == 2
        assert write_result(engine, sid, "graded", make_result(100.0)) is True
        assert write_result(engine, sid, "graded", make_result(0.0)) is False  # the first worker, too late
    finally:
        engine.dispose()
    assert _row(client, sid).score == 100.0


def test_heartbeat_keeps_a_slow_grading_from_being_taken_over(
    make_client: Callable[..., TestClient], create_student: Callable[..., dict[str, str]]
) -> None:
    fake = FakeGrader(delay_s=1.2)
    client = make_client(workers=2, grader_factory=lambda: fake, lease_seconds=0.3, sweep_seconds=0.1)
    headers = {"Authorization": create_student(client)["authorization"]}
    body = _submit(client, headers, wait=20)
    assert body["status"] == "graded" and body["attempts"] == 1
    assert sum(fake.calls.values()) == 1


def test_internal_errors_are_retried_then_failed_without_blaming_the_student(
    make_client: Callable[..., TestClient], create_student: Callable[..., dict[str, str]],
    teacher_headers: dict[str, str],
) -> None:
    fake = FakeGrader(script=["raise", "internal", "internal"])
    client = make_client(workers=1, grader_factory=lambda: fake, max_attempts=3)
    headers = {"Authorization": create_student(client)["authorization"]}
    body = _submit(client, headers, wait=20)
    assert body["status"] == "failed" and body["score"] is None and body["attempts"] == 3
    assert "not your fault" in body["feedback"]
    assert "grader" in client.get(f"{URL}/{body['id']}", headers=teacher_headers).json()["last_error"]
    assert sum(fake.calls.values()) == 3
    board = client.get("/api/v1/scoreboard", headers=teacher_headers).json()
    assert board[0]["scores"] == {"rnn": None, "rnn_gradients": None}


def test_a_grader_crash_then_success_is_graded(
    make_client: Callable[..., TestClient], create_student: Callable[..., dict[str, str]]
) -> None:
    fake = FakeGrader(script=["raise"])
    client = make_client(workers=1, grader_factory=lambda: fake)
    headers = {"Authorization": create_student(client)["authorization"]}
    body = _submit(client, headers, wait=20)
    assert body["status"] == "graded" and body["score"] == 100 and body["attempts"] == 2


def test_submission_out_of_attempts_is_failed_when_claimed(
    database_url: str, make_client: Callable[..., TestClient], create_student: Callable[..., dict[str, str]]
) -> None:
    client = make_client()
    headers = {"Authorization": create_student(client)["authorization"]}
    sid = _submit(client, headers)["id"]
    engine = create_db_engine(database_url)
    try:
        with Session(engine) as session:
            row = session.get(Submission, sid)
            assert row is not None
            row.attempts = 3
            session.add(row)
            session.commit()
        claim, failed = claim_next(engine, "w", 30, max_attempts=3)
        assert claim is None and failed == 1
    finally:
        engine.dispose()
    row = _row(client, sid)
    assert row.status == "failed" and "3 attempt" in (row.last_error or "")


def _lease_ran_out(engine: sa.Engine, submission_id: int) -> bool:
    """The clock has passed the row's lease, by the comparison requeue_stale makes."""
    with engine.connect() as conn:
        lease_until = conn.execute(
            sa.select(submissions_t.c.lease_until).where(submissions_t.c.id == submission_id)
        ).scalar_one()
    return lease_until is not None and lease_until < utcnow()


def test_work_left_by_a_previous_run_is_graded_on_start(
    database_url: str, make_client: Callable[..., TestClient], create_student: Callable[..., dict[str, str]]
) -> None:
    """Submissions stored while no worker ran (or whose worker died) are graded when workers start."""
    storing = make_client()
    headers = {"Authorization": create_student(storing)["authorization"]}
    queued = _submit(storing, headers)["id"]
    stale = _submit(storing, headers)["id"]
    engine = create_db_engine(database_url)
    try:
        claim, _ = claim_next(engine, "died", lease_seconds=0.05, max_attempts=3)
        assert claim is not None and claim.id == queued  # oldest first
        wait_for(lambda: _lease_ran_out(engine, claim.id), 5, "the dead claim's lease to run out")
    finally:
        engine.dispose()
    fake = FakeGrader()
    grading = make_client(workers=1, grader_factory=lambda: fake)
    for sid in (queued, stale):
        assert grading.get(f"{URL}/{sid}?wait=20", headers=headers).json()["status"] == "graded"


def test_readyz_is_503_when_the_graders_cannot_start(make_client: Callable[..., TestClient]) -> None:
    def broken() -> Any:
        raise RuntimeError("no sandbox here")

    client = make_client(workers=1, grader_factory=broken)
    response = client.get("/api/v1/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": True, "graders": False, "workers": 1}


@pytest.mark.parametrize("workers", [0, 1])
def test_readyz_ok(make_client: Callable[..., TestClient], workers: int) -> None:
    client = make_client(workers=workers, grader_factory=FakeGrader)
    response = client.get("/api/v1/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": True, "graders": True, "workers": workers}


def test_claim_one_given_submission(
    database_url: str, make_client: Callable[..., TestClient], create_student: Callable[..., dict[str, str]]
) -> None:
    """A queue engine that delivers ids (procrastinate) claims exactly the submission it was given."""
    client = make_client()
    headers = {"Authorization": create_student(client)["authorization"]}
    first, second = (_submit(client, headers)["id"] for _ in range(2))
    engine = create_db_engine(database_url)
    try:
        claim, _ = claim_next(engine, "w", 30, 3, submission_id=second)
        assert claim is not None and claim.id == second
        assert claim_next(engine, "w", 30, 3, submission_id=second)[0] is None  # already running
    finally:
        engine.dispose()
    assert _row(client, first).status == "queued"
