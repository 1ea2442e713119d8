"""A regrade through the real grading machinery (claims, leases, the in-process queue), with a fake grader
held mid-grading by events: the counted score stays on the scoreboard until the new grading is written,
and under duplicate delivery each grading is written (and kept in the history) exactly once."""

from __future__ import annotations

import datetime as dt
import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from helpers import WithoutCharts
from starlette.testclient import TestClient

from grader.result import Outcome, PartResult, Result, TestResult, Text
from server.auth.principal import bootstrap_instructor
from server.db import create_db_engine, utcnow
from server.grading.claims import claim_next, requeue_stale, write_result
from server.regrades.models import Grading, RegradeItem
from server.regrades.overrides import apply_override

URL = "/api/v1/submissions"
HOLD_TIMEOUT_S = 60  # only a safety net: the test never waits this long unless something is broken

INSTRUCTOR = bootstrap_instructor("teacher-token-for-tests")  # who makes the changes this module makes directly


def make_result(score: float) -> Result:
    test = TestResult(name="forward/one", description=Text(en="one", zh="一"), score=score, max_score=100.0,
                      outcome=Outcome.passed if score == 100 else Outcome.wrong_answer)
    return Result(exercise="rnn", score=score, max_score=100.0, grader_version="held-1", grading_ms=1.0,
                  parts=[PartResult(name="forward", score=score, max_score=100.0, tests=[test])])


class HeldGrader(WithoutCharts):
    """Each grade() announces itself on `started`, then waits until the test hands it a score."""

    def __init__(self) -> None:
        self.started: queue.Queue[int] = queue.Queue()
        self.scores: queue.Queue[float] = queue.Queue()

    def grade(self, exercise_id: str, source: str, seed: int) -> Result:
        self.started.put(seed)
        return make_result(self.scores.get(timeout=HOLD_TIMEOUT_S))

    def close(self) -> None:
        pass


def scoreboard(client: TestClient, teacher: dict[str, str]) -> dict[str, Any]:
    return {r["student_id"]: r["scores"]["rnn"] for r in client.get("/api/v1/scoreboard", headers=teacher).json()}


def test_the_counted_score_stays_on_the_scoreboard_while_the_regrade_runs(
    make_client: Callable[..., TestClient], create_student: Callable[..., dict[str, str]],
    teacher_headers: dict[str, str],
) -> None:
    grader = HeldGrader()
    client = make_client(workers=1, grader_factory=lambda: grader)
    alice = {"Authorization": create_student(client, "alice")["authorization"]}
    grader.scores.put(80.0)
    first = client.post(f"{URL}?wait=30", json={"exercise": "rnn", "source": "x = 1\n"}, headers=alice).json()
    assert first["status"] == "graded" and first["score"] == 80.0
    grader.started.get(timeout=HOLD_TIMEOUT_S)

    batch = client.post("/api/v1/regrade", json={"all": True}, headers=teacher_headers).json()["batch_id"]
    grader.started.get(timeout=HOLD_TIMEOUT_S)  # the grader now holds the regrade mid-grading
    during = client.get(f"{URL}/{first['id']}", headers=alice).json()
    assert during["status"] == "running" and during["score"] == 80.0 and during["regrade_pending"] is True
    assert scoreboard(client, teacher_headers) == {"alice": 80.0}
    csv_text = client.get("/api/v1/scoreboard.csv", headers=teacher_headers).content.decode("utf-8-sig")
    assert csv_text.splitlines()[1].split(",")[2] == "80"
    report = client.get(f"/api/v1/regrades/{batch}", headers=teacher_headers).json()
    assert report["done"] == 0 and report["totals"]["pending"] == 1

    grader.scores.put(60.0)
    after = client.get(f"{URL}/{first['id']}?wait=30", headers=alice).json()
    assert after["status"] == "graded" and after["score"] == 60.0 and after["regrade_pending"] is False
    assert scoreboard(client, teacher_headers) == {"alice": 60.0}
    report = client.get(f"/api/v1/regrades/{batch}", headers=teacher_headers).json()
    assert report["finished"] is True and report["totals"]["down"] == 1
    assert [(r["before"], r["after"]) for r in report["students"]] == [(80.0, 60.0)]


@pytest.fixture
def engine(database_url: str) -> Iterator[sa.Engine]:
    engine = create_db_engine(database_url)
    yield engine
    engine.dispose()


def _gradings(engine: sa.Engine, submission_id: int) -> list[tuple[int, str, float | None]]:
    g = Grading.__table__.c  # type: ignore[attr-defined]
    with engine.connect() as conn:
        rows = conn.execute(sa.select(g.number, g.why, g.score).where(g.submission_id == submission_id)
                            .order_by(g.number)).all()
    return [(int(n), str(w), s) for n, w, s in rows]


def test_duplicate_delivery_writes_each_grading_once(
    api_client: TestClient, create_student: Callable[..., dict[str, str]], teacher_headers: dict[str, str],
    engine: sa.Engine,
) -> None:
    alice = {"Authorization": create_student(api_client, "alice")["authorization"]}
    sid = api_client.post(URL, json={"exercise": "rnn", "source": "x = 1\n"}, headers=alice).json()["id"]

    def deliver_twice(score_a: float, score_b: float) -> list[bool]:
        """Worker A claims, its lease runs out, worker B claims the same row; both finish."""
        a, _ = claim_next(engine, "worker-a", lease_seconds=30, max_attempts=5, submission_id=sid)
        assert a is not None
        assert requeue_stale(engine, now=utcnow() + dt.timedelta(seconds=31)) == 1
        b, _ = claim_next(engine, "worker-b", lease_seconds=30, max_attempts=5, submission_id=sid)
        assert b is not None
        results: list[bool] = []
        barrier = threading.Barrier(2)

        def finish(score: float) -> None:
            barrier.wait(timeout=HOLD_TIMEOUT_S)
            results.append(write_result(engine, sid, "graded", make_result(score)))

        threads = [threading.Thread(target=finish, args=(s,)) for s in (score_a, score_b)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=HOLD_TIMEOUT_S)
        return sorted(results)

    assert deliver_twice(70.0, 71.0) == [False, True]
    first = _gradings(engine, sid)
    assert len(first) == 1 and first[0][:2] == (1, "submit") and first[0][2] in (70.0, 71.0)

    batch = api_client.post("/api/v1/regrade", json={"submission_id": sid}, headers=teacher_headers).json()
    assert deliver_twice(50.0, 51.0) == [False, True]
    history = _gradings(engine, sid)
    assert [h[:2] for h in history] == [(1, "submit"), (2, "regrade")]
    item = RegradeItem.__table__.c  # type: ignore[attr-defined]
    with engine.connect() as conn:
        pending = conn.execute(sa.select(item.pending).where(item.batch_id == batch["batch_id"])).scalar_one()
    assert pending == 0
    report = api_client.get(f"/api/v1/regrades/{batch['batch_id']}", headers=teacher_headers).json()
    assert report["done"] == 1 and report["totals"]["down"] == 1
    # a late duplicate after everything: still nothing written
    assert write_result(engine, sid, "graded", make_result(99.0)) is False
    assert len(_gradings(engine, sid)) == 2
    with engine.begin() as conn:  # an override while final is one more grading, numbered after the others
        apply_override(conn, sid, 88.0, "manual check", INSTRUCTOR)
    assert [h[:2] for h in _gradings(engine, sid)] == [(1, "submit"), (2, "regrade"), (3, "override")]


def test_a_regrade_that_fails_keeps_the_last_result(
    api_client: TestClient, create_student: Callable[..., dict[str, str]], teacher_headers: dict[str, str],
    engine: sa.Engine,
) -> None:
    alice = {"Authorization": create_student(api_client, "alice")["authorization"]}
    sid = api_client.post(URL, json={"exercise": "rnn", "source": "x = 1\n"}, headers=alice).json()["id"]
    assert write_result(engine, sid, "graded", make_result(90.0))
    batch = api_client.post("/api/v1/regrade", json={"all": True}, headers=teacher_headers).json()["batch_id"]
    assert write_result(engine, sid, "failed", None, "sandbox down")
    kept = api_client.get(f"{URL}/{sid}", headers=alice).json()
    assert kept["status"] == "graded" and kept["score"] == 90.0 and kept["regrade_pending"] is False
    assert scoreboard(api_client, teacher_headers) == {"alice": 90.0}
    assert [(w, s) for _n, w, s in _gradings(engine, sid)] == [("submit", 90.0), ("regrade", None)]
    report = api_client.get(f"/api/v1/regrades/{batch}", headers=teacher_headers).json()
    assert report["finished"] is True and report["totals"]["same"] == 1
    # out of attempts while queued for a regrade: the same
    api_client.post("/api/v1/regrade", json={"all": True}, headers=teacher_headers)
    claim, failed = claim_next(engine, "w", lease_seconds=30, max_attempts=0)
    assert claim is None and failed == 1
    assert api_client.get(f"{URL}/{sid}", headers=alice).json()["score"] == 90.0
    assert scoreboard(api_client, teacher_headers) == {"alice": 90.0}


def test_a_class_regrade_commits_chunk_by_chunk_and_leaves_out_rows_taken_meanwhile(
    api_client: TestClient, create_student: Callable[..., dict[str, str]], teacher_headers: dict[str, str],
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from server.models import Submission
    from server.regrades import batches

    monkeypatch.setattr(batches, "CHUNK", 2)
    alice = {"Authorization": create_student(api_client, "alice")["authorization"]}
    ids = [api_client.post(URL, json={"exercise": "rnn", "source": "x = 1\n"}, headers=alice).json()["id"]
           for _ in range(5)]
    for k, sid in enumerate(ids):
        assert write_result(engine, sid, "graded", make_result(10.0 * (k + 1)))
    commits: list[int] = []
    handed: list[list[int]] = []
    with engine.connect() as conn:
        def commit() -> None:
            conn.commit()
            commits.append(len(commits))
            if len(commits) == 1:  # the batch is committed: someone else re-queues the last submission now
                with engine.begin() as other:
                    other.execute(sa.update(Submission).where(Submission.id == ids[-1])  # type: ignore[arg-type]
                                  .values(status="queued"))

        batch_id, queued = batches.start_batch(
            conn, by=INSTRUCTOR, reason=None, selector={"all": True}, where=sa.true(), policy="best",
            commit=commit, on_queued=handed.append)
    assert queued == ids[:-1] and handed == [ids[0:2], ids[2:4], []] and len(commits) == 4
    report = api_client.get(f"/api/v1/regrades/{batch_id}", headers=teacher_headers).json()
    assert report["total"] == 4 and report["done"] == 0
    assert [(r["submissions"], r["pending"], r["before"]) for r in report["students"]] == [(4, 4, 50.0)]
    for sid in ids[:-1]:
        assert write_result(engine, sid, "graded", make_result(20.0))
    report = api_client.get(f"/api/v1/regrades/{batch_id}", headers=teacher_headers).json()
    assert report["finished"] is True and report["totals"]["down"] == 1
