"""The queue the settings name: `RNN_GRADER_QUEUE=inprocess` (default) or `procrastinate`."""

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
) -> Queue:
    if settings.queue == "inprocess":
        return InProcessQueue(engine, settings, catalog, metrics, notifier, grader_factory)
    if settings.queue == "procrastinate":
        from server.grading.procrastinate_queue import ProcrastinateQueue

        return ProcrastinateQueue(engine, settings, catalog, metrics, notifier, grader_factory)
    raise ValueError(f"unknown queue {settings.queue!r}")  # pragma: no cover - Settings restricts it
