"""The embedded default's grading workers as processes (RNN_GRADER_QUEUE=inprocess, RNN_GRADER_WORKERS=N):
the API process only serves HTTP, and the trusted side of every grading (cases, reference, comparison,
feedback) runs in N worker processes it starts, supervises and stops itself: `make serve` needs nothing else.

- wake-up, API -> workers: a counting semaphore released at each enqueue (one idle worker claims at once;
  workers still poll the database every POLL_SECONDS, so rows written by anyone are graded);
- announcements, workers -> API: one pipe per worker; each finished grading sends its outcome, exercise,
  duration and submission id, which the API adds to its /metrics and passes to its result waits (`?wait=`);
- supervision: the API waits on the pipes and the process sentinels in one thread; a worker that exits
  while the queue runs has its claims given back at once (`release_owned`) and is started again;
- shutdown: a shared stop event, one wake-up per worker, then join (a grading in progress finishes).
A worker also stops when the API process is gone (its parent changes). The claims, leases and the
exactly-once write are the same as for threads (`server.grading.loop`), so both can share a database.
"""

from __future__ import annotations

import gc
import json
import logging
import multiprocessing as mp
import os
import signal
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.synchronize import Event, Semaphore
from types import FrameType
from typing import Any

from sqlalchemy.engine import Engine

from server.catalog import Catalog
from server.config import Settings
from server.grading.claims import release_owned, requeue_stale
from server.grading.protocol import FINAL_OUTCOMES, Notifier
from server.metrics import Metrics

log = logging.getLogger("rnn_grader.queue")

POLL_SECONDS = 1.0
START_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 30.0
READY = b"ready"
# A worker that keeps dying is restarted at most this often (a broken installation must not spin).
RESTART_BACKOFF_S = 1.0

_SPAWN = mp.get_context("spawn")  # a clean interpreter: no threads, sockets or engine of the API process


@dataclass
class _Worker:
    name: str
    process: Any  # multiprocessing.context.SpawnProcess
    conn: Connection
    started: float
    ready: bool = False


class ProcessQueue:
    """N grading worker processes of this server, fed by the submissions table (the Queue protocol)."""

    def __init__(self, engine: Engine, settings: Settings, catalog: Catalog, metrics: Metrics,
                 notifier: Notifier, processes: int | None = None, name: str = "process") -> None:
        self.engine = engine
        self.settings = settings
        self.catalog = catalog
        self.metrics = metrics
        self.notifier = notifier
        self._wanted = settings.workers if processes is None else processes
        self._name = name
        self._wake: Semaphore = _SPAWN.Semaphore(0)
        self._stop: Event = _SPAWN.Event()
        self._workers: dict[int, _Worker] = {}
        self._generation = 0
        self._supervisor: threading.Thread | None = None
        self._sweeper: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def workers(self) -> int:
        return self._wanted

    def pids(self) -> list[int]:
        with self._lock:
            return [w.process.pid for w in self._workers.values() if w.process.pid is not None]

    def enqueue(self, submission_id: int, priority: int = 0) -> None:
        # The row is committed already; this only lets one idle worker claim at once. The count is capped
        # so that a burst does not leave idle workers spinning through stale wake-ups.
        if self._wake.get_value() < self._wanted:
            self._wake.release()

    def start(self) -> None:
        if self._wanted == 0:
            return
        requeue_stale(self.engine)
        self._stop.clear()
        for index in range(self._wanted):
            self._spawn(index)
        deadline = time.monotonic() + START_TIMEOUT_S
        while not all(w.ready for w in self._workers.values()) and time.monotonic() < deadline:
            self._pump(timeout=0.1)
        if not all(w.ready for w in self._workers.values()):
            log.error("not every grading worker process started within %.0f s", START_TIMEOUT_S)
        self._supervisor = threading.Thread(target=self._supervise, name=f"rnn-grader-{self._name}-supervisor",
                                            daemon=True)
        self._supervisor.start()
        self._sweeper = threading.Thread(target=self._sweep, name=f"rnn-grader-{self._name}-sweeper", daemon=True)
        self._sweeper.start()

    def _spawn(self, index: int) -> None:
        self._generation += 1
        name = f"{self._name}-{index}.{self._generation}"
        reader, writer = _SPAWN.Pipe(duplex=False)
        # daemon: should this process exit without stop(), multiprocessing sends them SIGTERM (they finish
        # the grading in progress) instead of waiting for them forever.
        process = _SPAWN.Process(target=worker_main, args=(self.settings, name, self._wake, self._stop, writer),
                                 name=f"rnn-grader-{name}", daemon=True)
        process.start()
        writer.close()  # the child holds the write end: EOF here means it is gone
        with self._lock:
            self._workers[index] = _Worker(name, process, reader, time.monotonic())
        log.info("grading worker %s started (pid %s)", name, process.pid)

    def _pump(self, timeout: float) -> None:
        """Read the workers' announcements; notice and replace the ones that exited."""
        with self._lock:
            workers = dict(self._workers)
        waitables: list[Any] = [w.conn for w in workers.values()] + [w.process.sentinel for w in workers.values()]
        if not waitables:
            self._stop.wait(timeout)
            return
        ready = set(wait(waitables, timeout=timeout))
        final: list[int] = []
        unknown = False
        for index, worker in workers.items():
            if worker.conn in ready:
                unknown |= self._read(worker, final)
            if worker.process.sentinel in ready or not worker.process.is_alive():
                self._reap(index, worker)
        if unknown:
            self.notifier.notify(None)
        elif final:
            self.notifier.notify(final)

    def _read(self, worker: _Worker, final: list[int]) -> bool:
        """Drain what one worker sent: the ids of final results go to `final`; True if a final result was
        announced without its id (the waiters then look at the database)."""
        unknown = False
        try:
            while worker.conn.poll():
                message = worker.conn.recv_bytes()
                if message == READY:
                    worker.ready = True
                    continue
                event = json.loads(message)
                self.metrics.gradings.labels(result=event["outcome"]).inc(event["count"])
                if event["exercise"] is not None and event["seconds"] is not None:
                    self.metrics.grading_seconds.labels(exercise=event["exercise"]).observe(event["seconds"])
                if event["outcome"] in FINAL_OUTCOMES:
                    if event["submission_id"] is None:
                        unknown = True
                    else:
                        final.append(int(event["submission_id"]))
        except (EOFError, OSError):
            pass  # the process is gone; the sentinel says so too
        return unknown

    def _reap(self, index: int, worker: _Worker) -> None:
        worker.process.join(timeout=1)
        if worker.process.is_alive():
            return
        worker.conn.close()
        with self._lock:
            if self._workers.get(index) is worker:
                del self._workers[index]
        if self._stop.is_set():
            return
        given_back = release_owned(self.engine, worker.name, f"grading worker exited with {worker.process.exitcode}")
        log.error("grading worker %s exited with %s; %d claim(s) given back; restarting it", worker.name,
                  worker.process.exitcode, given_back)
        if given_back:
            self.enqueue(0)
        # A worker that dies right after it starts would otherwise be restarted in a tight loop.
        delay = RESTART_BACKOFF_S - (time.monotonic() - worker.started)
        if delay > 0 and self._stop.wait(delay):
            return
        self._spawn(index)

    def _supervise(self) -> None:
        while not self._stop.is_set():
            try:
                self._pump(timeout=POLL_SECONDS)
            except Exception:
                log.exception("grading supervisor: unexpected error")
                self._stop.wait(POLL_SECONDS)

    def _sweep(self) -> None:
        while not self._stop.wait(self.settings.sweep_seconds):
            try:
                if requeue_stale(self.engine):
                    for _ in range(self._wanted):
                        self.enqueue(0)
            except Exception:
                log.exception("sweeper: cannot re-queue stale submissions")

    def stop(self) -> None:
        self._stop.set()
        for _ in range(len(self._workers)):
            self._wake.release()
        for thread in (self._supervisor, self._sweeper):
            if thread is not None:
                thread.join(timeout=STOP_TIMEOUT_S)
        self._supervisor = self._sweeper = None
        with self._lock:
            workers = list(self._workers.values())
            self._workers.clear()
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for worker in workers:
            worker.process.join(timeout=max(0.0, deadline - time.monotonic()))
            if worker.process.is_alive():
                log.error("grading worker %s did not stop in time; killing it", worker.name)
                worker.process.kill()
                worker.process.join(timeout=5)
            self._read(worker, [])
            worker.conn.close()

    def healthy(self) -> bool:
        if self._wanted == 0:
            return True
        with self._lock:
            workers = list(self._workers.values())
        return len(workers) == self._wanted and all(w.ready and w.process.is_alive() for w in workers)


# ---------------------------------------------------------------- in the worker process


class _PipeNotifier(Notifier):
    """A worker process's announcements go to the API process over its pipe."""

    def __init__(self, conn: Connection) -> None:
        super().__init__()
        self._conn = conn
        self._send_lock = threading.Lock()

    def announce(self, outcome: str, exercise: str | None = None, seconds: float | None = None,
                 count: int = 1, submission_id: int | None = None) -> None:
        message = json.dumps({"outcome": outcome, "exercise": exercise, "seconds": seconds, "count": count,
                              "submission_id": submission_id})
        with self._send_lock:
            self._conn.send_bytes(message.encode())


def worker_main(settings: Settings, name: str, wake: Semaphore, stop: Event, conn: Connection) -> None:
    """One grading worker process: claim, grade, write, announce; until `stop` or the API process is gone."""
    from grader.exercise import load_exercises
    from server.bootstrap import configure_logging
    from server.catalog import build_catalog
    from server.db import create_db_engine
    from server.grading.grader_factory import default_grader_factory, lower_priority
    from server.grading.loop import GradingLoop

    # Ctrl-C reaches the whole process group: the API stops its workers itself. SIGTERM (a supervisor
    # stopping the group) finishes the current grading first.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    terminated = threading.Event()

    def _on_term(_signum: int, _frame: FrameType | None) -> None:
        terminated.set()

    signal.signal(signal.SIGTERM, _on_term)
    configure_logging(settings.log_level)
    lower_priority(settings)
    parent = os.getppid()
    engine = create_db_engine(settings.database_url)
    catalog = build_catalog(load_exercises(settings.exercises_dir), settings)
    grader = default_grader_factory(catalog, settings)()
    try:
        loop = GradingLoop(engine, settings, catalog, grader, Metrics(engine), _PipeNotifier(conn), name)
        # Everything allocated so far lives as long as the process: keep it out of every collection.
        gc.collect()
        gc.freeze()
        conn.send_bytes(READY)
        while not stop.is_set() and not terminated.is_set() and os.getppid() == parent:
            try:
                did_work = loop.run_once()
            except Exception:  # a database hiccup: log, back off, keep the worker alive
                logging.getLogger("rnn_grader.worker").exception("worker %s: error while claiming or saving", name)
                did_work = False
                stop.wait(POLL_SECONDS)
            if not did_work:
                wake.acquire(timeout=POLL_SECONDS)
    except BrokenPipeError:
        pass  # the API process is gone
    finally:
        grader.close()
        engine.dispose()
        conn.close()
