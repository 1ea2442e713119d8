"""The maintained scoreboard table (student_exercise_scores) always agrees with the exact definition
(the window function over every graded row), through results, regrades and failures, on SQLite and
PostgreSQL; the 0003 migration fills it from results stored before it existed."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from sqlmodel import Session

from grader.result import Outcome, PartResult, Result, TestResult, Text
from server.db import alembic_config, create_db_engine
from server.grading.claims import write_result
from server.models import Student, Submission
from server.scoreboard.cache import rebuild_pairs, result_summary
from server.scoreboard.export import scoreboard_csv
from server.scoreboard.query import counted_by_pair, counted_submissions, scoreboard_rows

T0 = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)


def result(score: float, misconception: str | None = None) -> Result:
    """forward scores `score` of 60, clip 40 - score/... : enough structure for summaries."""
    failed = TestResult(name="forward/saturated", description=Text(en="saturated", zh="饱和"), score=0.0,
                        max_score=10.0, outcome=Outcome.wrong_answer, feedback=[Text(en="off", zh="错")],
                        misconceptions=[misconception] if misconception else [])
    passed = TestResult(name="forward/random_1", description=Text(en="random", zh="随机"), score=10.0,
                        max_score=10.0, outcome=Outcome.passed)
    return Result(exercise="rnn", score=score, max_score=100.0, grader_version="test", grading_ms=3.0,
                  parts=[PartResult(name="forward", score=score, max_score=100.0, tests=[passed, failed])])


@pytest.fixture
def engine(database_url: str) -> Any:
    engine = create_db_engine(database_url)
    yield engine
    engine.dispose()


def add_submission(engine: sa.Engine, student: str, at: dt.datetime, exercise: str = "rnn") -> int:
    with Session(engine) as session:
        if session.get(Student, student) is None:
            session.add(Student(student_id=student, name=student.upper(), token_hash=f"hash-{student}"))
        sub = Submission(student_id=student, exercise=exercise, source="x = 1\n", max_score=100.0, created_at=at,
                         late=at > T0 + dt.timedelta(days=5))
        session.add(sub)
        session.commit()
        assert sub.id is not None
        return sub.id


def exact(engine: sa.Engine, policy: Any) -> dict[tuple[str, str], tuple[int, float, bool]]:
    with Session(engine) as session:
        return {(s, e): (i, score, late) for s, e, score, late, i in counted_submissions(session, policy)}


def maintained(engine: sa.Engine, policy: Any) -> dict[tuple[str, str], tuple[int, float, bool]]:
    with engine.connect() as conn:
        return {k: (v.counted.submission_id, v.counted.score, v.counted.late)
                for k, v in counted_by_pair(conn, policy).items() if v.counted is not None}


def regrade(engine: sa.Engine, submission_id: int) -> None:
    """What POST /regrade does to a row (server/routes/regrade.py): back to queued, table untouched."""
    with engine.begin() as conn:
        conn.execute(sa.update(Submission).where(Submission.id == submission_id)  # type: ignore[arg-type]
                     .values(status="queued", attempts=0, priority=-1))


def test_the_maintained_table_matches_the_window_function_through_regrades(engine: sa.Engine) -> None:
    rng = random.Random(7)
    ids: list[int] = []
    final: set[int] = set()
    for step in range(120):
        action = rng.random()
        if action < 0.45 or not ids:
            ids.append(add_submission(engine, rng.choice(["a", "b", "c", "d"]), T0 + dt.timedelta(minutes=step),
                                      rng.choice(["rnn", "rnn", "tiny"])))
        elif action < 0.8:
            pending = [i for i in ids if i not in final]
            if pending:
                sid = rng.choice(pending)
                status = "graded" if rng.random() < 0.85 else "failed"
                score = rng.choice([0.0, 25.0, 50.0, 50.0, 100.0])
                assert write_result(engine, sid, status, result(score) if status == "graded" else None, "boom")
                final.add(sid)
        else:
            done = sorted(final)
            if done:
                sid = rng.choice(done)
                regrade(engine, sid)
                final.discard(sid)
        if step % 10 == 9:
            for policy in ("best", "latest"):
                assert maintained(engine, policy) == exact(engine, policy), (step, policy)
    with engine.begin() as conn:
        rebuild_pairs(conn)
    for policy in ("best", "latest"):
        assert maintained(engine, policy) == exact(engine, policy)


def test_a_regraded_counted_submission_stops_counting_until_graded_again(engine: sa.Engine) -> None:
    first = add_submission(engine, "a", T0)
    second = add_submission(engine, "a", T0 + dt.timedelta(hours=1))
    write_result(engine, first, "graded", result(40.0, "forward.missing_b_h"))
    write_result(engine, second, "graded", result(90.0))
    assert maintained(engine, "best")[("a", "rnn")][:2] == (second, 90.0)
    regrade(engine, second)
    assert maintained(engine, "best")[("a", "rnn")][:2] == (first, 40.0)
    with engine.connect() as conn:
        pair = counted_by_pair(conn, "best")[("a", "rnn")]
    assert pair.misconceptions_ever == [("forward", "forward.missing_b_h")]
    regrade(engine, first)
    assert ("a", "rnn") not in maintained(engine, "best")  # nothing graded: nothing counts
    write_result(engine, second, "graded", result(95.0))
    assert maintained(engine, "best")[("a", "rnn")][:2] == (second, 95.0)


def test_per_part_scores_failed_tests_and_misconceptions_come_from_the_summary(engine: sa.Engine) -> None:
    sid = add_submission(engine, "a", T0)
    write_result(engine, sid, "graded", result(60.0, "forward.no_recurrence"))
    with engine.connect() as conn:
        stored = conn.execute(sa.select(Submission.summary).where(Submission.id == sid)).scalar_one()  # type: ignore[call-overload]
        counted = counted_by_pair(conn, "best")[("a", "rnn")].counted
    assert stored == {"parts": {"forward": 60.0}, "failed": ["forward/saturated"],
                      "misconceptions": [["forward", "forward.no_recurrence"]]}
    assert counted is not None
    assert dict(counted.parts) == {"forward": 60.0} and list(counted.failed) == ["forward/saturated"]
    assert list(counted.misconceptions) == [("forward", "forward.no_recurrence")]


def test_result_summary_reads_a_stored_result() -> None:
    stored = result(30.0, "m1").model_dump(mode="json")
    assert result_summary(stored) == {"parts": {"forward": 30.0}, "failed": ["forward/saturated"],
                                      "misconceptions": [["forward", "m1"]]}
    assert result_summary({}) == {"parts": {}, "failed": [], "misconceptions": []}


def test_migration_0003_fills_the_table_from_results_stored_before_it(database_url: str, tmp_path: Any) -> None:
    """A database at 0002 with graded results (no summaries, no table) upgrades to the same scoreboard."""
    engine = create_db_engine(database_url)
    try:
        cfg = alembic_config()
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0002")
        stored = [(1, "a", 70.0), (2, "a", 90.0), (3, "b", 10.0)]
        with engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO students (student_id, name, token_hash, created_at) VALUES "
                                 "('a', 'A', 'ha', :t), ('b', 'B', 'hb', :t)"), {"t": T0.replace(tzinfo=None)})
            for sid, student, score in stored:
                conn.execute(
                    sa.table("submissions", *(sa.column(c) for c in (
                        "id", "student_id", "exercise", "source", "status", "priority", "score", "max_score", "late",
                        "result", "attempts", "created_at"))).insert(),
                    {"id": sid, "student_id": student, "exercise": "rnn", "source": "x", "status": "graded",
                     "priority": 0, "score": score, "max_score": 100.0, "late": False,
                     "result": result(score, "m").model_dump_json(), "attempts": 1,
                     "created_at": (T0 + dt.timedelta(minutes=sid)).replace(tzinfo=None)},
                )
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
        assert maintained(engine, "best") == {("a", "rnn"): (2, 90.0, False), ("b", "rnn"): (3, 10.0, False)}
        assert maintained(engine, "latest") == exact(engine, "latest")
        with engine.connect() as conn:
            pairs = counted_by_pair(conn, "best")
        assert pairs[("a", "rnn")].misconceptions_ever == [("forward", "m")]
        assert pairs[("a", "rnn")].counted is not None and pairs[("a", "rnn")].counted.parts == {"forward": 90.0}
    finally:
        engine.dispose()


def test_json_rows_and_csv_numbers(engine: sa.Engine) -> None:
    sid = add_submission(engine, "a", T0)
    write_result(engine, sid, "graded", result(33.3333))
    add_submission(engine, "z", T0)
    with Session(engine) as session:
        rows = scoreboard_rows(session, ["rnn", "tiny"], "best")
    assert [(r.student_id, r.scores, r.total) for r in rows] == [
        ("a", {"rnn": 33.3333, "tiny": None}, 33.3333), ("z", {"rnn": None, "tiny": None}, 0.0)]
    data = scoreboard_csv(rows, ["rnn", "tiny"])
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8-sig").splitlines() == ["student_id,name,rnn,tiny,total,late", "a,A,33.3333,,33.3333,no",
                                                     "z,Z,,,0,no"]
    big = rows[0].model_copy(update={"scores": {"rnn": 1333.3333, "tiny": None}, "total": 1333.3333})
    assert b",1333.3333,,1333.3333," in scoreboard_csv([big], ["rnn", "tiny"])  # `:g` would say 1333.33


def test_results_of_one_pair_written_at_once_are_all_counted(engine: sa.Engine) -> None:
    """Several graders finish submissions of the same student at the same moment: the pair's row ends
    up as if they had been written one by one (PostgreSQL locks the row; SQLite has one writer)."""
    import threading

    ids = [add_submission(engine, "a", T0 + dt.timedelta(minutes=k)) for k in range(6)]
    barrier = threading.Barrier(len(ids))
    errors: list[BaseException] = []

    def write(k: int, sid: int) -> None:
        try:
            barrier.wait(timeout=10)
            assert write_result(engine, sid, "graded", result(10.0 * (k + 1)))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(k, sid)) for k, sid in enumerate(ids)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    assert maintained(engine, "best") == exact(engine, "best") == {("a", "rnn"): (ids[-1], 60.0, False)}
    assert maintained(engine, "latest") == exact(engine, "latest")


def test_submissions_per_hour_counts_past_hours_once_and_recent_ones_again(engine: sa.Engine) -> None:
    from server.web.board import HOUR_SETTLE_S, submissions_per_hour

    def hourly(now: dt.datetime) -> list[tuple[dt.datetime, int]]:
        with Session(engine) as session:
            return submissions_per_hour(session, now=now).get("rnn", [])

    for minutes in (0, 5, 70, 200, 201):
        add_submission(engine, "a", T0 + dt.timedelta(minutes=minutes))
    now = T0 + dt.timedelta(minutes=210)
    first = hourly(now)
    assert first == [(T0, 2), (T0 + dt.timedelta(hours=1), 1), (T0 + dt.timedelta(hours=3), 2)]
    assert hourly(now) == first  # from the cache for the past hours, counted again for the last ones
    add_submission(engine, "b", now)  # the current hour changes ...
    later = now + dt.timedelta(seconds=HOUR_SETTLE_S + 3600)
    assert hourly(later) == [(T0, 2), (T0 + dt.timedelta(hours=1), 1), (T0 + dt.timedelta(hours=3), 3)]
    assert hourly(now - dt.timedelta(days=1)) == hourly(later)  # a clock that went back: a full recount
