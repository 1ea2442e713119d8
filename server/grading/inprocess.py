"""The embedded default queue (RNN_GRADER_QUEUE=inprocess): grading slots fed from the submissions table.

`enqueue` only wakes an idle slot; the slots claim from the database (polling once a second as a fallback),
so rows written by another process are graded too.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy.engine import Engine

from server.catalog import Catalog
from server.config import Settings
from server.grading.claims import requeue_stale
from server.grading.grader_factory import default_grader_factory
from server.grading.loop import GradingLoop
from server.grading.protocol import GraderFactory, Notifier
from server.metrics import Metrics

log = logging.getLogger("rnn_grader.queue")

POLL_SECONDS = 1.0

class _Wakeup:
    """A counting wake-up for the grading threads: each enqueue lets one idle thread look at once."""

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
        # The row is committed already; this only shortens the wait of an idle grading thread.
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
                target=self._run_thread, args=(name, ready), name=f"rnn-grader-{name}", daemon=True
            )
            self._threads.append(thread)
            self._ready.append(ready)
            thread.start()
        sweeper = threading.Thread(target=self._sweep, name=f"rnn-grader-{self._name}-sweeper", daemon=True)
        self._threads.append(sweeper)
        sweeper.start()
        for ready in self._ready:
            ready.wait(timeout=60)

    def _run_thread(self, name: str, ready: threading.Event) -> None:
        try:
            grader = self.grader_factory()
        except Exception:
            log.exception("grader failed to start in grading thread %s; this thread is down", name)
            ready.set()
            return
        loop = GradingLoop(self.engine, self.settings, self.catalog, grader, self.metrics, self.notifier, name)
        ready.set()
        try:
            while not self._stop.is_set():
                try:
                    did_work = loop.run_once()
                except Exception:  # a database hiccup: log, back off, keep the thread alive
                    log.exception("grading thread %s: error while claiming or saving", name)
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
