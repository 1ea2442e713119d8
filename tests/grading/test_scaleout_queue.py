"""The procrastinate queue's pieces on the real PostgreSQL, in this process: the schema migration, one
waiting job per submission, the reconciler (orphans, dead workers), priorities, the API end to end with
RNN_GRADER_QUEUE=procrastinate; plus the 503 for a database that is down and the queue settings.

The multi-process guarantees (many workers, kill -9, API crash, PostgreSQL restart) are in
test_scaleout.py."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pydantic
import pytest
import sqlalchemy as sa
from helpers import WithoutCharts, wait_for
from sqlmodel import Session
from starlette.testclient import TestClient

from grader.result import Outcome, PartResult, Result, TestResult, Text
from server.config import Settings
from server.db import create_db_engine, utcnow
from server.models import Student, Submission

TEACHER = "scaleout-teacher-token-0123456789"
SECRET = "scaleout-seed-secret-0123456789ab"
FAR_FUTURE = "2999-12-31T23:59:59+00:00"
pg = pytest.mark.postgres


# ---------------------------------------------------------------- fixtures
def _admin(url: str, *statements: str) -> None:
    import psycopg
    from sqlalchemy.engine.url import make_url

    with psycopg.connect(make_url(url).set(drivername="postgresql").render_as_string(hide_password=False),
                         autocommit=True, connect_timeout=10) as conn:
        for statement in statements:
            conn.execute(statement.encode())


@pytest.fixture
def pg_url(postgres_template: str) -> Iterator[str]:
    """A fresh, migrated PostgreSQL database (a copy of the session's template) for this test."""
    import os

    from sqlalchemy.engine.url import make_url

    admin = os.environ["RNN_GRADER_TEST_DATABASE_URL"]
    name = f"rnn_grader_q_{uuid.uuid4().hex[:12]}"
    _admin(admin, f'CREATE DATABASE "{name}" TEMPLATE "{postgres_template}"')
    try:
        yield make_url(admin).set(database=name).render_as_string(hide_password=False)
    finally:
        _admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _settings(url: str, tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = dict(
        data_dir=tmp_path / "data", database_url=url, admin_token=TEACHER, secret=SECRET, workers=0,
        queue="procrastinate", rate_limit_per_minute=0, lease_seconds=5, sweep_seconds=0.3,
        deadlines={"rnn": FAR_FUTURE},
    )
    values.update(overrides)
    return Settings(**values)


def _result(score: float = 100.0) -> Result:
    test = TestResult(name="forward/one", description=Text(en="one", zh="一"), score=score, max_score=100.0,
                      outcome=Outcome.passed, feedback=[])
    return Result(exercise="rnn", score=score, max_score=100.0,
                  parts=[PartResult(name="forward", score=score, max_score=100.0, tests=[test])],
                  grader_version="fake-1", grading_ms=1.0)


class RecordingGrader(WithoutCharts):
    """Records the seeds it grades, in order (all graders of a test share one list)."""

    def __init__(self, order: list[int]) -> None:
        self.order = order

    def grade(self, exercise_id: str, source: str, seed: int) -> Result:
        self.order.append(seed)
        return _result()

    def close(self) -> None:
        pass


def _insert(engine: sa.Engine, n: int, priority: int = 0, student: str = "s1", age_s: float = 0) -> list[int]:
    """Queued submissions written straight to the table (no job): seed = a recognisable number."""
    with Session(engine) as session:
        if session.get(Student, student) is None:
            session.add(Student(student_id=student, name="S", token_hash=uuid.uuid4().hex * 2))
        created = utcnow() - dt.timedelta(seconds=age_s)
        rows = [Submission(student_id=student, exercise="rnn", source="x", max_score=100, priority=priority,
                           created_at=created) for _ in range(n)]
        session.add_all(rows)
        session.flush()
        for row in rows:
            assert row.id is not None
            row.seed = 1000 + row.id
        session.commit()
        return [int(row.id) for row in rows if row.id is not None]


def _jobs(engine: sa.Engine) -> list[tuple[str, int, str]]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT queueing_lock, priority, status::text FROM procrastinate.procrastinate_jobs ORDER BY id"
        )).all()
    return [(str(r[0]), int(r[1]), str(r[2])) for r in rows]


# ---------------------------------------------------------------- schema
@pg
def test_migrations_put_the_queue_in_its_own_schema_and_downgrade_cleanly(pg_url: str) -> None:
    from alembic import command

    from server.db import alembic_config, run_migrations

    engine = create_db_engine(pg_url)
    try:
        tables = set(sa.inspect(engine).get_table_names(schema="procrastinate"))
        assert {"procrastinate_jobs", "procrastinate_workers", "procrastinate_events"} <= tables
        assert not any(t.startswith("procrastinate") for t in sa.inspect(engine).get_table_names())
        cfg = alembic_config()
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0001")
        assert "procrastinate" not in sa.inspect(engine).get_schema_names()
        run_migrations(engine)
        assert "procrastinate_jobs" in sa.inspect(engine).get_table_names(schema="procrastinate")
    finally:
        engine.dispose()


@pg
def test_an_existing_database_at_0001_upgrades_with_its_rows(postgres_template: str) -> None:
    import os

    from alembic import command
    from sqlalchemy.engine.url import make_url

    from server.db import alembic_config, run_migrations

    admin = os.environ["RNN_GRADER_TEST_DATABASE_URL"]
    name = f"rnn_grader_up_{uuid.uuid4().hex[:12]}"
    _admin(admin, f'CREATE DATABASE "{name}"')
    engine = create_db_engine(make_url(admin).set(database=name).render_as_string(hide_password=False))
    try:
        cfg = alembic_config()
        with engine.begin() as conn:  # a database deployed before the queue existed
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0001")
        with engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO students VALUES ('s1', 'S', :h, now())"), {"h": "0" * 64})
            conn.execute(sa.text(
                "INSERT INTO submissions (student_id, exercise, source, status, priority, max_score, late, "
                "attempts, created_at) VALUES ('s1', 'rnn', 'x', 'queued', 0, 100, false, 0, now())"))
        run_migrations(engine)
        assert "procrastinate_jobs" in sa.inspect(engine).get_table_names(schema="procrastinate")
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM submissions WHERE status = 'queued'")).scalar() == 1
    finally:
        engine.dispose()
        _admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# ---------------------------------------------------------------- enqueue and reconcile
@pg
def test_one_waiting_job_per_submission_with_its_priority(pg_url: str) -> None:
    from server.grading.procrastinate_queue import JobClient

    engine = create_db_engine(pg_url)
    jobs = JobClient(pg_url)
    jobs.open()
    try:
        assert jobs.defer(7, priority=0) is True
        assert jobs.defer(7, priority=0) is False  # already waiting: the queueing lock refuses a second
        assert jobs.defer(8, priority=-1) is True
        assert _jobs(engine) == [("submission:7", 0, "todo"), ("submission:8", -1, "todo")]
    finally:
        jobs.close()
        engine.dispose()


@pg
def test_reconciler_enqueues_queued_submissions_that_have_no_job(pg_url: str, tmp_path: Path) -> None:
    from server.grading.procrastinate_queue import JobClient, Reconciler

    engine = create_db_engine(pg_url)
    jobs = JobClient(pg_url)
    jobs.open()
    try:
        ids = _insert(engine, 3, age_s=60)  # committed, then "the API died" before enqueueing
        jobs.defer(ids[0], 0)  # this one did get its job
        just_now = _insert(engine, 1)  # its API is enqueueing it right now: not an orphan yet
        reconciler = Reconciler(engine, jobs, _settings(pg_url, tmp_path), "test")
        assert reconciler.run_once() == 2
        assert sorted(lock for lock, _, _ in _jobs(engine)) == [f"submission:{i}" for i in ids]
        assert reconciler.run_once() == 0  # nothing left to do
        assert f"submission:{just_now[0]}" not in {lock for lock, _, _ in _jobs(engine)}
        # A graded submission whose charts were asked for, whose job was lost: it gets one too.
        (graded,) = _insert(engine, 1, age_s=60)
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE submissions SET status = 'graded', diagnostics_status = 'wanted', "
                                 "diagnostics_at = now() - interval '1 minute' WHERE id = :id"), {"id": graded})
        assert reconciler.run_once() == 1
        assert f"submission:{graded}" in {lock for lock, _, _ in _jobs(engine)}
    finally:
        jobs.close()
        engine.dispose()


@pg
def test_reconciler_recovers_the_jobs_of_a_worker_that_stopped_heart_beating(pg_url: str, tmp_path: Path) -> None:
    from server.grading.procrastinate_queue import JobClient, Reconciler

    engine = create_db_engine(pg_url)
    jobs = JobClient(pg_url)
    jobs.open()
    try:
        (sid,) = _insert(engine, 1)
        jobs.defer(sid, 0)
        with engine.begin() as conn:  # a worker took the job and the submission, then died (kill -9)
            conn.execute(sa.text("SET LOCAL search_path TO procrastinate, public"))  # its triggers need it
            dead = conn.execute(sa.text(
                "INSERT INTO procrastinate.procrastinate_workers (last_heartbeat) "
                "VALUES (now() - interval '1 hour') RETURNING id")).scalar_one()
            conn.execute(sa.text("UPDATE procrastinate.procrastinate_jobs SET status = 'doing', worker_id = :w"),
                         {"w": dead})
            conn.execute(sa.text("UPDATE submissions SET status = 'running', lease_owner = 'dead', attempts = 1, "
                                 "lease_until = :past WHERE id = :id"),
                         {"past": utcnow().replace(year=2000), "id": sid})
        assert Reconciler(engine, jobs, _settings(pg_url, tmp_path), "test").run_once() == 1
        assert _jobs(engine) == [(f"submission:{sid}", 0, "todo")]  # the same job, runnable again
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT status FROM submissions WHERE id = :id"), {"id": sid}).scalar() \
                == "queued"
    finally:
        jobs.close()
        engine.dispose()


@pg
def test_interactive_submissions_are_graded_before_regrades(pg_url: str, tmp_path: Path) -> None:
    from server.catalog import build_catalog
    from server.grading.procrastinate_queue import JobClient
    from server.grading.procrastinate_slots import ProcrastinateSlots
    from server.grading.protocol import Notifier
    from server.metrics import Metrics

    settings = _settings(pg_url, tmp_path)
    engine = create_db_engine(pg_url)
    jobs = JobClient(pg_url)
    jobs.open()
    order: list[int] = []
    try:
        regrades = _insert(engine, 4, priority=-1)  # older, but bulk
        fresh = _insert(engine, 3, priority=0)
        for sid in regrades:
            jobs.defer(sid, -1)
        for sid in fresh:
            jobs.defer(sid, 0)
        from grader.exercise import load_exercises

        workers = ProcrastinateSlots(engine, settings, build_catalog(load_exercises(), settings), Metrics(engine),
                                       Notifier(), lambda: RecordingGrader(order), concurrency=1, name="prio")
        stop = threading.Event()
        thread = threading.Thread(target=workers.run, args=(stop,))
        thread.start()
        try:
            wait_for(lambda: len(order) == 7, 20, "seven gradings")
        finally:
            stop.set()
            thread.join(timeout=30)
        assert order == [1000 + i for i in fresh + regrades]
    finally:
        jobs.close()
        engine.dispose()


@pg
def test_api_on_the_procrastinate_queue_grades_and_regrades(
    pg_url: str, tmp_path: Path, real_exercises: dict[str, Any], solutions_dir: Path
) -> None:
    """One process, RNN_GRADER_QUEUE=procrastinate with RNN_GRADER_WORKERS=1: real grader, real jobs."""
    from server.app import create_app

    app = create_app(_settings(pg_url, tmp_path, workers=1), exercises_by_id=real_exercises)
    with TestClient(app) as client:
        teacher = {"Authorization": f"Bearer {TEACHER}"}
        created = client.post("/api/v1/students", json={"student_id": "s1", "name": "S"}, headers=teacher)
        student = {"Authorization": f"Bearer {created.json()['token']}"}
        source = (solutions_dir / "correct_rnn.py").read_text()
        graded = client.post("/api/v1/submissions?wait=30", json={"exercise": "rnn", "source": source},
                             headers=student)
        assert graded.status_code == 200, graded.text
        assert graded.json()["status"] == "graded" and graded.json()["score"] == 100
        sid = graded.json()["id"]
        # Its charts are drawn by a job too, when asked (the result came without them: every test passed).
        assert graded.json()["diagnostics_status"] == "available"
        assert client.post(f"/api/v1/submissions/{sid}/diagnostics", headers=student).status_code == 202
        wait_for(lambda: client.get(f"/api/v1/submissions/{sid}", headers=student).json()["diagnostics_status"]
                 == "done", 30, "the charts drawn by a procrastinate job")
        assert client.get(f"/api/v1/submissions/{sid}", headers=student).json()["diagnostics"]["charts"]
        assert client.post("/api/v1/regrade", json={"submission_id": sid}, headers=teacher).json()["queued"] == 1
        again = client.get(f"/api/v1/submissions/{sid}?wait=30", headers=student).json()
        assert again["status"] == "graded" and again["score"] == 100
        ready = client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["graders"] is True


# ---------------------------------------------------------------- no database, settings
def test_a_database_that_is_down_gives_503_with_retry_after(tmp_path: Path, real_exercises: dict[str, Any]) -> None:
    from server.app import create_app

    settings = Settings(data_dir=tmp_path, database_url="postgresql+psycopg://nobody@127.0.0.1:1/none",
                        admin_token=TEACHER, secret=SECRET, workers=0)
    client = TestClient(create_app(settings, exercises_by_id=real_exercises, migrate=False))  # no lifespan
    response = client.get("/api/v1/submissions", headers={"Authorization": f"Bearer {TEACHER}"})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.json() == {"error": "DatabaseUnavailable",
                               "detail": "the database is unavailable; retry in a few seconds"}
    assert client.get("/readyz").status_code == 503


def test_the_procrastinate_queue_needs_postgresql(tmp_path: Path) -> None:
    with pytest.raises(pydantic.ValidationError, match="needs a PostgreSQL"):
        Settings(data_dir=tmp_path, queue="procrastinate")


def test_required_sandbox_layers_come_from_the_settings(tmp_path: Path, real_exercises: dict[str, Any]) -> None:
    from grader.sandbox import SandboxError
    from server.catalog import build_catalog
    from server.grading.grader_factory import default_grader_factory

    settings = Settings(data_dir=tmp_path, sandbox_required=" rlimits, seccomp ,")
    assert settings.sandbox_required_layers == ("rlimits", "seccomp")
    assert Settings(data_dir=tmp_path).sandbox_required_layers is None
    catalog = build_catalog(real_exercises, settings)
    grader = default_grader_factory(catalog, settings)()
    grader.close()
    impossible = Settings(data_dir=tmp_path, sandbox_required="rlimits,no_such_layer")
    with pytest.raises(SandboxError, match="no_such_layer"):
        default_grader_factory(build_catalog(real_exercises, impossible), impossible)()
