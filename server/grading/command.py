"""`rnn-grader worker`: grading workers in their own process, next to a server started with
RNN_GRADER_WORKERS=0 (or more of them, on other hosts, sharing the PostgreSQL database).

- RNN_GRADER_QUEUE=procrastinate (deployment): the slots take procrastinate jobs (`procrastinate_slots`)
  and this process also runs the reconciler (`procrastinate_queue`);
- RNN_GRADER_QUEUE=inprocess (default): the slots poll the submissions table, as the server's own
  threads do.
Either way they claim with the same leases and write with the same exactly-once UPDATE, so any mix of
processes and hosts is safe. RNN_GRADER_METRICS_PORT serves this process's Prometheus metrics (grading
latency and outcomes of the gradings done here; queue depth from the database).
"""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType

import sqlalchemy as sa

from grader.exercise import load_exercises
from server.bootstrap import configure_logging, load_settings_without_secrets, migrated_engine
from server.catalog import build_catalog
from server.config import Settings
from server.grading.grader_factory import lower_priority
from server.grading.inprocess import InProcessQueue
from server.grading.protocol import GraderFactory, Notifier
from server.metrics import Metrics, MetricsListener

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
        settings = load_settings_without_secrets()
        configure_logging(settings.log_level)
        if settings.admin_token is not None or settings.secret is not None:
            log.warning("this worker was given RNN_GRADER_ADMIN_TOKEN or RNN_GRADER_SECRET and needs neither "
                        "(it reads each submission's seed from its row): remove them from its environment")
    if settings.log_level.upper() != "DEBUG":
        logging.getLogger("procrastinate").setLevel(logging.WARNING)  # two INFO lines per job otherwise
    threads = concurrency if concurrency is not None else max(1, settings.workers)
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():  # a process of its own (not a test's thread)
        lower_priority(settings)
    try:
        engine = migrated_engine(settings)
    except sa.exc.ProgrammingError as exc:  # e.g. the grading role, which may not migrate, on an old schema
        log.error("cannot bring the database to the latest migration as this role (%s): run `rnn-grader "
                  "migrate` (the compose `migrate` service) first", str(exc.orig).splitlines()[0])
        raise SystemExit(2) from None
    catalog = build_catalog(load_exercises(settings.exercises_dir), settings)
    metrics = Metrics(engine)
    if settings.metrics_port is not None:  # on RNN_GRADER_HOST (the image sets 0.0.0.0 for its internal network)
        MetricsListener(metrics, settings.host, settings.metrics_port)

    def _on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("signal %d: finishing the current submissions, then stopping", signum)
        stop.set()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _on_signal)
        signal.signal(signal.SIGINT, _on_signal)
    where = engine.url.render_as_string(hide_password=True)
    try:
        if settings.queue == "procrastinate":
            from server.grading.procrastinate_slots import ProcrastinateSlots

            slots = ProcrastinateSlots(engine, settings, catalog, metrics, Notifier(), grader_factory,
                                       concurrency=threads)
            log.info("worker: %d grading slot(s) on procrastinate jobs, %s", threads, where)
            slots.run(stop)
            return
        queue = InProcessQueue(engine, settings, catalog, metrics, Notifier(), grader_factory, threads=threads,
                               name="worker")
        queue.start()
        log.info("worker: %d grading thread(s) on %s", threads, where)
        try:
            while not stop.wait(1.0):
                if not queue.healthy():
                    log.error("a grading thread died; stopping so the supervisor can restart this worker")
                    break
        finally:
            queue.stop()
    finally:
        engine.dispose()
