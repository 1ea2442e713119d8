"""The deployment queue: procrastinate jobs on PostgreSQL carry submission ids to `rnn-grader worker`s.

The database stays the truth (docs/server.md): a job only says "look at submission N". The worker claims
the row with the same conditional UPDATE and lease as the in-process queue and writes the result once, so
a job delivered twice, or a job for a submission someone else already graded, is a harmless no-op.

- enqueue: one job per submission in the `grading` queue, `queueing_lock = "submission:<id>"` (at most one
  waiting job per submission), priority 0 for new submissions and -1 for regrades (procrastinate runs
  higher priorities first);
- the reconciler (every `sweep_seconds`, in the API and in every worker; one at a time cluster-wide)
  re-queues claims whose lease ran out, retries jobs whose worker stopped heart-beating (kill -9, lost
  host), and enqueues every `queued` submission that has no waiting or running job (the API died between
  its commit and its enqueue, a regrade was interrupted, the database restarted);
- procrastinate's tables live in the PostgreSQL schema `procrastinate` (migration 0002), so its
  connections use `search_path=procrastinate,public`.

`ProcrastinateQueue` is the API side of the `server.grading.protocol.Queue` interface; the grading side is
`server.grading.procrastinate_slots.ProcrastinateSlots`.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import procrastinate
import psycopg_pool
import sqlalchemy as sa
from procrastinate import exceptions as pq_exceptions
from procrastinate import sql as pq_sql
from sqlalchemy.engine import Engine
from sqlalchemy.engine.url import make_url

from server.catalog import Catalog
from server.config import Settings
from server.db import utcnow
from server.grading.claims import requeue_stale
from server.grading.protocol import GraderFactory, Notifier
from server.metrics import Metrics

log = logging.getLogger("rnn_grader.procrastinate")

QUEUE_SCHEMA = "procrastinate"
GRADING_QUEUE = "grading"
TASK_NAME = "rnn_grader.grade_submission"
# synchronous_commit=off for the queue's own writes only: a job state lost in a database crash is
# rebuilt by the reconciler from the submissions table, which keeps full durability.
CONNECTION_KWARGS: dict[str, Any] = {"options": f"-c search_path={QUEUE_SCHEMA},public -c synchronous_commit=off"}
POOL_TIMEOUT_S = 5.0
# Any fixed 64-bit number (not the migration lock's): one reconciler pass at a time across hosts.
RECONCILE_LOCK_ID = 0x726E6E5F72636E63
MAX_ORPHANS_PER_PASS = 5000
# A new submission is enqueued by the API right after its commit: leave it that long before calling it
# an orphan (re-queued and regraded rows have an old created_at and are taken at once).
ORPHAN_GRACE_S = 2.0


def conninfo(database_url: str) -> str:
    """The libpq URL of a SQLAlchemy `postgresql+psycopg://` URL."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


def queueing_lock(submission_id: int) -> str:
    return f"submission:{submission_id}"


def stall_seconds(settings: Settings) -> float:
    """A worker silent this long is dead: its jobs are retried. Same scale as a grading lease."""
    return max(2.0, settings.lease_seconds)


def heartbeat_seconds(settings: Settings) -> float:
    return max(0.5, min(10.0, stall_seconds(settings) / 4))


class JobClient:
    """A small synchronous procrastinate client (its own connection pool): defer and recover jobs."""

    def __init__(self, database_url: str, max_connections: int = 4) -> None:
        self._conninfo = conninfo(database_url)
        self._max_connections = max_connections
        self._pool: psycopg_pool.ConnectionPool | None = None
        self.app = procrastinate.App(connector=procrastinate.SyncPsycopgConnector())

    def open(self) -> None:
        if self._pool is not None:
            return
        pool = psycopg_pool.ConnectionPool(
            self._conninfo, kwargs=CONNECTION_KWARGS, min_size=1, max_size=self._max_connections,
            timeout=POOL_TIMEOUT_S, open=False, check=psycopg_pool.ConnectionPool.check_connection,
            name="rnn-grader-jobs",
        )
        pool.open(wait=False)  # a database that is down now must not stop the API from starting
        self.app.open(pool)
        self._pool = pool

    def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            self.app.close()
            pool.close()

    def defer(self, submission_id: int, priority: int) -> bool:
        """One waiting job for this submission. False if one is already waiting (queueing lock)."""
        deferrer = self.app.configure_task(
            TASK_NAME, queue=GRADING_QUEUE, priority=priority, queueing_lock=queueing_lock(submission_id)
        )
        try:
            deferrer.defer(submission_id=submission_id)
        except pq_exceptions.AlreadyEnqueued:
            return False
        return True

    def recover_stalled(self, seconds_since_heartbeat: float) -> int:
        """Jobs left `doing` by a worker that stopped heart-beating go back to `todo` (or, when another job
        for the same submission is already waiting, are closed as failed: the waiting one will run)."""
        connector = self.app.connector
        stalled = connector.execute_query_all(
            query=pq_sql.queries["select_stalled_jobs_by_heartbeat"],
            queue=GRADING_QUEUE, task_name=TASK_NAME, seconds_since_heartbeat=seconds_since_heartbeat,
        )
        for job in stalled:
            try:
                self.app.job_manager.retry_job_by_id(job_id=int(job["id"]), retry_at=utcnow())
            except pq_exceptions.UniqueViolation:
                connector.execute_query(
                    query=pq_sql.queries["finish_job"], job_id=int(job["id"]), status="failed", delete_job=False
                )
        if stalled:
            log.warning("recovered %d stalled grading job(s) of workers that stopped heart-beating", len(stalled))
        return len(stalled)


def orphan_submissions(conn: sa.Connection, limit: int = MAX_ORPHANS_PER_PASS,
                       lease_seconds: float = 60.0) -> list[tuple[int, int]]:
    """(id, priority) of submissions that need a grading loop and that no waiting or running job will look
    at: queued ones, and graded ones whose diagnostics are wanted (or were taken by a loop that died)."""
    rows = conn.execute(
        sa.text(
            f"""SELECT s.id, s.priority FROM submissions AS s
                WHERE ((s.status = 'queued' AND s.created_at < now() - make_interval(secs => :grace))
                  OR (s.diagnostics_status = 'wanted' AND s.diagnostics_at < now() - make_interval(secs => :grace))
                  OR (s.diagnostics_status = 'running' AND s.diagnostics_at < now() - make_interval(secs => :lease)))
                AND NOT EXISTS (
                    SELECT 1 FROM {QUEUE_SCHEMA}.procrastinate_jobs AS j
                    WHERE j.queueing_lock = 'submission:' || s.id::text AND j.status IN ('todo', 'doing'))
                ORDER BY s.priority DESC, s.id LIMIT :limit"""
        ),
        {"limit": limit, "grace": ORPHAN_GRACE_S, "lease": lease_seconds},
    ).all()
    return [(int(r[0]), int(r[1])) for r in rows]


class Reconciler:
    """Makes the job table agree with the submissions table, every `sweep_seconds` in a thread."""

    def __init__(self, engine: Engine, jobs: JobClient, settings: Settings, name: str) -> None:
        self.engine = engine
        self.jobs = jobs
        self.settings = settings
        self.name = name
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> int:
        """One pass; returns the number of jobs enqueued or recovered (0 if another host holds the lock)."""
        with self.engine.begin() as conn:
            if not conn.execute(sa.text("SELECT pg_try_advisory_xact_lock(:id)"), {"id": RECONCILE_LOCK_ID}).scalar():
                return 0
            requeue_stale(self.engine)  # running past the lease -> queued
            recovered = self.jobs.recover_stalled(stall_seconds(self.settings))
            orphans = orphan_submissions(conn, lease_seconds=self.settings.lease_seconds)
            enqueued = sum(self.jobs.defer(sid, priority) for sid, priority in orphans)
        if enqueued:
            log.warning("enqueued %d queued submission(s) that had no grading job", enqueued)
        return recovered + enqueued

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name=f"rnn-grader-{self.name}-reconciler", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while True:
            try:
                self.run_once()
            except Exception as exc:  # the database is away: say so once per pass, try again later
                log.warning("reconciler: %s: %s", type(exc).__name__, str(exc).splitlines()[0] if str(exc) else "")
            if self._stop.wait(self.settings.sweep_seconds):
                return

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()


class ProcrastinateQueue:
    """The API side: enqueue = defer a job (after the row is committed), plus the reconciler. With
    RNN_GRADER_WORKERS > 0 it also runs that many graders in this process (a one-process deployment on
    PostgreSQL); normally 0, and `rnn-grader worker` processes grade."""

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        catalog: Catalog,
        metrics: Metrics,
        notifier: Notifier,
        grader_factory: GraderFactory | None = None,
    ) -> None:
        from server.grading.procrastinate_slots import ProcrastinateSlots

        if settings.log_level.upper() != "DEBUG":
            logging.getLogger("procrastinate").setLevel(logging.WARNING)  # a line per deferred job otherwise
        self.engine = engine
        self.settings = settings
        self.jobs = JobClient(settings.database_url)
        self.reconciler = Reconciler(engine, self.jobs, settings, "api")
        self._embedded = (
            ProcrastinateSlots(engine, settings, catalog, metrics, notifier, grader_factory,
                                 concurrency=settings.workers, name="api")
            if settings.workers > 0 else None
        )
        self._embedded_stop = threading.Event()
        self._embedded_thread: threading.Thread | None = None

    @property
    def workers(self) -> int:
        return self.settings.workers

    def enqueue(self, submission_id: int, priority: int = 0) -> None:
        # The row is committed: if this fails, the reconciler enqueues it on its next pass.
        try:
            self.jobs.defer(submission_id, priority)
        except (pq_exceptions.ProcrastinateException, psycopg_pool.PoolTimeout) as exc:
            log.warning("could not enqueue submission=%d now (%s); the reconciler will", submission_id,
                        type(exc).__name__)

    def start(self) -> None:
        self.jobs.open()
        self.reconciler.start()
        if self._embedded is not None:
            self._embedded_stop.clear()
            self._embedded_thread = threading.Thread(
                target=self._embedded.run, args=(self._embedded_stop,), name="rnn-grader-api-graders", daemon=True
            )
            self._embedded_thread.start()
            self._embedded.wait_ready(timeout=60)

    def stop(self) -> None:
        self._embedded_stop.set()
        if self._embedded_thread is not None:
            self._embedded_thread.join(timeout=60)
            self._embedded_thread = None
        self.reconciler.stop()
        self.jobs.close()

    def healthy(self) -> bool:
        embedded_ok = self._embedded_thread is None or self._embedded_thread.is_alive()
        return self.reconciler.alive() and embedded_ok
