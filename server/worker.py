"""`rnn-grader worker`: grading workers in their own process, next to a server started with
RNN_GRADER_WORKERS=0 (or more of them, on other hosts, sharing the PostgreSQL database).

They claim from the same table as the in-process workers (same leases, same exactly-once write), so
any mix of in-process and standalone workers is safe.
"""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType

from grader.exercise import load_exercises
from server.catalog import build_catalog
from server.config import Settings
from server.db import create_db_engine, run_migrations
from server.grading import GraderFactory, Notifier
from server.main import configure_logging, load_settings
from server.metrics import Metrics
from server.queue import InProcessQueue

log = logging.getLogger("rnn_grader.worker")


def run_worker(
    concurrency: int | None = None,
    *,
    settings: Settings | None = None,
    stop: threading.Event | None = None,
    grader_factory: GraderFactory | None = None,
) -> None:
    """Grade until SIGTERM/SIGINT (or until `stop` is set). `concurrency` defaults to RNN_GRADER_WORKERS
    (at least 1)."""
    if settings is None:
        _configured, settings = load_settings()
        configure_logging(settings.log_level)
    threads = concurrency if concurrency is not None else max(1, settings.workers)
    stop = stop or threading.Event()
    engine = create_db_engine(settings.database_url)
    run_migrations(engine)
    catalog = build_catalog(load_exercises(settings.exercises_dir), settings)
    queue = InProcessQueue(engine, settings, catalog, Metrics(engine), Notifier(), grader_factory, threads=threads,
                           name="worker")

    def _on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("signal %d: finishing the current submissions, then stopping", signum)
        stop.set()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _on_signal)
        signal.signal(signal.SIGINT, _on_signal)
    queue.start()
    log.info("worker: %d grading thread(s) on %s", threads, engine.url.render_as_string(hide_password=True))
    try:
        while not stop.wait(1.0):
            if not queue.healthy():
                log.error("a grading thread died; stopping so the supervisor can restart this worker")
                break
    finally:
        queue.stop()
        engine.dispose()
