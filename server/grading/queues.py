"""The queue the settings name: `RNN_GRADER_QUEUE=inprocess` (default: worker processes of the server, or
threads) or `procrastinate`."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from server.catalog import Catalog
from server.config import Settings
from server.grading.inprocess import InProcessQueue
from server.grading.protocol import GraderFactory, Notifier, Queue
from server.metrics import Metrics


def make_queue(
    engine: Engine,
    settings: Settings,
    catalog: Catalog,
    metrics: Metrics,
    notifier: Notifier,
    grader_factory: GraderFactory | None = None,
    exercises_from_settings: bool = True,
) -> Queue:
    """Worker processes need to load the same exercises themselves (from RNN_GRADER_EXERCISES_DIR) and the
    real grader: a test that injects exercises or a fake grader gets threads of this process instead."""
    if settings.queue == "inprocess":
        if settings.worker_processes and grader_factory is None and exercises_from_settings:
            from server.grading.processes import ProcessQueue

            return ProcessQueue(engine, settings, catalog, metrics, notifier)
        return InProcessQueue(engine, settings, catalog, metrics, notifier, grader_factory)
    if settings.queue == "procrastinate":
        from server.grading.procrastinate_queue import ProcrastinateQueue

        return ProcrastinateQueue(engine, settings, catalog, metrics, notifier, grader_factory)
    raise ValueError(f"unknown queue {settings.queue!r}")  # pragma: no cover - Settings restricts it
