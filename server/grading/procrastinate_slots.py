"""Grading slots fed by procrastinate jobs (RNN_GRADER_QUEUE=procrastinate): the body of `rnn-grader
worker` in a deployment, and of the optional in-API graders.

Each of the N slots has its own Grader (sandbox zygote) and `server.grading.loop.GradingLoop`; a job
`grade_submission(submission_id)` takes a free slot and runs `GradingLoop.run_once(submission_id)` in a
thread: claim with a lease (no-op if the row is not `queued` any more), grade, write once. Procrastinate
runs the event loop, LISTEN/NOTIFY wake-ups, `SKIP LOCKED` fetches and the worker heartbeat the
reconciler uses to find stalled jobs.

When the database goes away procrastinate's worker stops (its heartbeat or listener fails); this loop
waits and starts it again with a fresh pool, so a PostgreSQL restart needs no operator. Claims that were
in flight keep their lease or lose it; either way the reconciler puts them back.
"""

from __future__ import annotations

import asyncio
import logging
import os
import queue
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import procrastinate
import psycopg_pool
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from server.catalog import Catalog
from server.config import Settings
from server.grading.grader_factory import default_grader_factory
from server.grading.loop import GradingLoop
from server.grading.procrastinate_queue import (
    CONNECTION_KWARGS,
    GRADING_QUEUE,
    TASK_NAME,
    JobClient,
    Reconciler,
    conninfo,
    heartbeat_seconds,
    stall_seconds,
)
from server.grading.protocol import GraderFactory, GraderLike, Notifier
from server.metrics import Metrics
from server.models import SubmissionStatus
from server.tables import submissions_t

log = logging.getLogger("rnn_grader.slots")

RESTART_BACKOFF_S = (0.5, 1.0, 2.0, 5.0)
STABLE_RUN_S = 30.0
FETCH_POLL_S = 1.0  # LISTEN/NOTIFY wakes workers at once; polling is the fallback
STOP_POLL_S = 0.2


def _status(engine: Engine, submission_id: int) -> str | None:
    with engine.connect() as conn:
        value = conn.execute(sa.select(submissions_t.c.status).where(submissions_t.c.id == submission_id)).scalar()
    return None if value is None else str(value)


class ProcrastinateSlots:
    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        catalog: Catalog,
        metrics: Metrics,
        notifier: Notifier,
        grader_factory: GraderFactory | None,
        concurrency: int,
        name: str = "worker",
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.catalog = catalog
        self.metrics = metrics
        self.notifier = notifier
        self.grader_factory = grader_factory or default_grader_factory(catalog, settings)
        self.concurrency = max(1, concurrency)
        self.name = f"{name}-{socket.gethostname()[:30]}-{os.getpid()}"  # lease_owner is 64 chars at most
        self._slots: queue.SimpleQueue[GradingLoop] = queue.SimpleQueue()
        self._executor: ThreadPoolExecutor | None = None
        self._ready = threading.Event()

    def wait_ready(self, timeout: float) -> bool:
        return self._ready.wait(timeout)

    # ------------------------------------------------------------------ the job
    def _grade(self, submission_id: int) -> None:
        """Blocking: claim and grade this submission if it is still queued. A retry after an internal
        error puts it back to queued: grade it again here (up to max_attempts, then it is failed)."""
        loop = self._slots.get()
        try:
            for _ in range(self.settings.max_attempts + 1):
                if not loop.run_once(submission_id):
                    return
                if _status(self.engine, submission_id) != SubmissionStatus.queued.value:
                    return
        finally:
            self._slots.put(loop)

    async def _grade_async(self, submission_id: int) -> None:
        assert self._executor is not None
        await asyncio.get_running_loop().run_in_executor(self._executor, self._grade, submission_id)

    def _app(self) -> procrastinate.App:
        app = procrastinate.App(connector=procrastinate.PsycopgConnector())
        app.task(name=TASK_NAME, queue=GRADING_QUEUE)(self._grade_async)
        return app

    # ------------------------------------------------------------------ the loop
    def run(self, stop: threading.Event) -> None:
        """Grade until `stop` is set. Raises if the graders cannot start (a broken sandbox)."""
        graders: list[GraderLike] = []
        try:
            for i in range(self.concurrency):
                grader = self.grader_factory()
                graders.append(grader)
                self._slots.put(GradingLoop(self.engine, self.settings, self.catalog, grader, self.metrics,
                                       self.notifier, f"{self.name}-{i}"))
        except Exception:
            self._ready.set()
            for grader in graders:
                grader.close()
            raise
        self._executor = ThreadPoolExecutor(self.concurrency, thread_name_prefix=f"rnn-grader-{self.name}")
        jobs = JobClient(self.settings.database_url, max_connections=2)
        jobs.open()
        reconciler = Reconciler(self.engine, jobs, self.settings, self.name)
        reconciler.start()
        self._ready.set()
        attempt = 0
        try:
            while not stop.is_set():
                started = time.monotonic()
                try:
                    asyncio.run(self._serve(stop))
                except Exception as exc:
                    log.warning("job queue connection lost (%s: %s); reconnecting", type(exc).__name__,
                                str(exc).splitlines()[0] if str(exc) else "")
                if stop.is_set():
                    break
                attempt = 0 if time.monotonic() - started > STABLE_RUN_S else attempt + 1
                stop.wait(RESTART_BACKOFF_S[min(attempt, len(RESTART_BACKOFF_S) - 1)])
        finally:
            reconciler.stop()
            jobs.close()
            self._executor.shutdown(wait=True)
            while not self._slots.empty():
                self._slots.get().grader.close()

    async def _serve(self, stop: threading.Event) -> None:
        pool = psycopg_pool.AsyncConnectionPool(
            conninfo(self.settings.database_url), kwargs=CONNECTION_KWARGS, min_size=2,
            max_size=self.concurrency + 4, open=False, timeout=10,
            check=psycopg_pool.AsyncConnectionPool.check_connection, name=f"rnn-grader-{self.name}",
        )
        await pool.open(wait=True, timeout=10)
        app = self._app()
        try:
            async with app.open_async(pool):
                task = asyncio.create_task(app.run_worker_async(
                    queues=[GRADING_QUEUE], name=self.name, concurrency=self.concurrency,
                    install_signal_handlers=False, listen_notify=True, delete_jobs="successful",
                    fetch_job_polling_interval=FETCH_POLL_S, abort_job_polling_interval=30.0,
                    update_heartbeat_interval=heartbeat_seconds(self.settings),
                    stalled_worker_timeout=stall_seconds(self.settings),
                    shutdown_graceful_timeout=max(30.0, self.settings.lease_seconds),
                ))
                log.info("%s: grading jobs with %d slot(s)", self.name, self.concurrency)
                while not task.done():
                    if stop.is_set():
                        task.cancel()  # procrastinate stops fetching and lets running jobs finish
                        break
                    await asyncio.wait({task}, timeout=STOP_POLL_S)
                try:
                    await task
                except asyncio.CancelledError:
                    if not stop.is_set():
                        raise
        finally:
            await pool.close()
