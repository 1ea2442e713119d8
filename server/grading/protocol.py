"""The interfaces between the API and grading: a queue, a grader, and result announcements.

The database is the truth: a submission is committed with status `queued` before it is enqueued, so an
enqueue that is lost (a crash, another process) only delays grading until a grading loop polls or the
sweeper runs. Implementations: `server.grading.inprocess.InProcessQueue` (embedded default) and
`server.grading.procrastinate_queue.ProcrastinateQueue` (RNN_GRADER_QUEUE=procrastinate).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Protocol

from grader.result import Result


class GraderLike(Protocol):
    """What a GradingLoop needs from grader.grade.Grader (tests may inject a fake for queue mechanics)."""

    def grade(self, exercise_id: str, source: str, seed: int) -> Result: ...

    def has_diagnostics(self, exercise_id: str) -> bool: ...

    def diagnose(self, exercise_id: str, source: str) -> dict[str, object]: ...

    def close(self) -> None: ...


GraderFactory = Callable[[], GraderLike]


class Notifier:
    """Wakes requests waiting (`?wait=`) for a result written by this process. Others are polled."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._generation = 0

    @property
    def generation(self) -> int:
        """Counts notifications: read it before looking at the database, pass it to `wait`."""
        return self._generation

    def notify(self) -> None:
        with self._cond:
            self._generation += 1
            self._cond.notify_all()

    def announce(self, outcome: str, exercise: str | None = None, seconds: float | None = None,
                 count: int = 1) -> None:
        """A grading loop wrote (or gave up on) `count` results. Here: wake the waiters. A worker process
        sends it to the API process instead (`server.grading.processes`), with the figures for /metrics."""
        self.notify()

    def wait(self, timeout: float, since: int | None = None) -> None:
        """Until the next notification (or `timeout`); at once if one came after `since` was read, so a
        result announced between the caller's database read and this wait is not slept through."""
        with self._cond:
            if since is not None and self._generation != since:
                return
            self._cond.wait(timeout)


class Queue(Protocol):
    """What the API needs from a queue: `enqueue` after the row (status `queued`) is committed."""

    def enqueue(self, submission_id: int, priority: int = 0) -> None: ...

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def healthy(self) -> bool: ...

    # How many GradingLoops grade in this process (threads, or procrastinate slots): RNN_GRADER_WORKERS.
    # The name is the setting's and /healthz's `workers`; a "worker" is otherwise the `rnn-grader worker` process.
    @property
    def workers(self) -> int: ...
