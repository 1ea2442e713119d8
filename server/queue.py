"""The queue behind a tiny interface: `enqueue(submission_id, priority)` plus start/stop/healthy.

The database is the truth: a submission is committed with status `queued` before it is enqueued, so an
enqueue that is lost (a crash, another process) only delays grading until a worker polls or the sweeper
runs. `InProcessQueue` (the embedded default) is a pool of grading threads fed from the database;
`server.pgqueue.ProcrastinateQueue` (RNN_GRADER_QUEUE=procrastinate) defers one procrastinate job per
submission for `rnn-grader worker` processes on any host.
"""

from __future__ import annotations

import logging
import threading
from typing import Protocol

from sqlalchemy.engine import Engine

from grader.grade import Grader
from server.catalog import Catalog
from server.config import Settings
from server.grading import GraderFactory, GraderLike, Notifier, Worker, requeue_stale
from server.metrics import Metrics

log = logging.getLogger("rnn_grader.queue")

POLL_SECONDS = 1.0

class Queue(Protocol):
    def enqueue(self, submission_id: int, priority: int = 0) -> None: ...

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def healthy(self) -> bool: ...

    @property
    def workers(self) -> int: ...


class _Wakeup:
    """A counting wake-up for the worker threads: each enqueue lets one idle worker look at once."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._pending = 0

    def post(self, n: int = 1) -> None:
        with self._cond:
            self._pending += n
            self._cond.notify(n)

    def wait(self, timeout: float) -> None:
        with self._cond:
            if self._pending == 0:
                self._cond.wait(timeout)
            self._pending = max(0, self._pending - 1)


def default_grader_factory(catalog: Catalog, settings: Settings | None = None) -> GraderFactory:
    """A real Grader per worker thread; RNN_GRADER_SANDBOX_REQUIRED overrides the sandbox's required layers
    (docs/deployment.md: what a container can offer)."""
    required = settings.sandbox_required_layers if settings is not None else None

    def make() -> GraderLike:
        if required is None:
            return Grader(catalog.exercises, limits=catalog.limits)
        from grader.sandbox import Sandbox

        return Grader(catalog.exercises, runner=Sandbox(required=required), limits=catalog.limits)

    return make


class InProcessQueue:
    """N grading threads in this process, each with its own Grader (a Grader is not thread-safe), plus a
    sweeper that re-queues claims whose lease ran out. With 0 threads it only stores: external workers
    (`rnn-grader worker`) claim from the same database."""

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        catalog: Catalog,
        metrics: Metrics,
        notifier: Notifier,
        grader_factory: GraderFactory | None = None,
        threads: int | None = None,
        name: str = "inprocess",
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.catalog = catalog
        self.metrics = metrics
        self.notifier = notifier
        self.grader_factory = grader_factory or default_grader_factory(catalog, settings)
        self._threads_wanted = settings.workers if threads is None else threads
        self._name = name
        self._stop = threading.Event()
        self._wake = _Wakeup()
        self._threads: list[threading.Thread] = []
        self._ready: list[threading.Event] = []

    @property
    def workers(self) -> int:
        return self._threads_wanted

    def enqueue(self, submission_id: int, priority: int = 0) -> None:
        # The row is committed already; this only shortens the wait of an idle worker.
        self._wake.post()

    def start(self) -> None:
        if self._threads_wanted == 0:
            return
        requeue_stale(self.engine)
        self._stop.clear()
        for i in range(self._threads_wanted):
            ready = threading.Event()
            name = f"{self._name}-{i}"
            thread = threading.Thread(
                target=self._run_worker, args=(name, ready), name=f"rnn-grader-{name}", daemon=True
            )
            self._threads.append(thread)
            self._ready.append(ready)
            thread.start()
        sweeper = threading.Thread(target=self._sweep, name=f"rnn-grader-{self._name}-sweeper", daemon=True)
        self._threads.append(sweeper)
        sweeper.start()
        for ready in self._ready:
            ready.wait(timeout=60)

    def _run_worker(self, name: str, ready: threading.Event) -> None:
        try:
            grader = self.grader_factory()
        except Exception:
            log.exception("grader failed to start in worker %s; this worker is down", name)
            ready.set()
            return
        worker = Worker(self.engine, self.settings, self.catalog, grader, self.metrics, self.notifier, name)
        ready.set()
        try:
            while not self._stop.is_set():
                try:
                    did_work = worker.run_once()
                except Exception:  # a database hiccup: log, back off, keep the worker alive
                    log.exception("worker %s: error while claiming or saving", name)
                    did_work = False
                    self._stop.wait(POLL_SECONDS)
                if not did_work:
                    self._wake.wait(POLL_SECONDS)
        finally:
            grader.close()

    def _sweep(self) -> None:
        while not self._stop.wait(self.settings.sweep_seconds):
            try:
                if requeue_stale(self.engine):
                    self._wake.post(self._threads_wanted)
            except Exception:
                log.exception("sweeper: cannot re-queue stale submissions")

    def stop(self) -> None:
        self._stop.set()
        self._wake.post(len(self._threads))
        for thread in self._threads:
            thread.join(timeout=30)
        self._threads.clear()
        self._ready.clear()

    def healthy(self) -> bool:
        if self._threads_wanted == 0:
            return True
        graders = [t for t in self._threads if not t.name.endswith("sweeper")]
        return len(graders) == self._threads_wanted and all(t.is_alive() for t in self._threads)


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
        from server.pgqueue import ProcrastinateQueue

        return ProcrastinateQueue(engine, settings, catalog, metrics, notifier, grader_factory)
    raise ValueError(f"unknown queue {settings.queue!r}")  # pragma: no cover - Settings restricts it
