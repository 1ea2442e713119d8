"""The interfaces between the API and grading: a queue, a grader, and result announcements.

The database is the truth: a submission is committed with status `queued` before it is enqueued, so an
enqueue that is lost (a crash, another process) only delays grading until a grading loop polls or the
sweeper runs. Implementations: `server.grading.inprocess.InProcessQueue` (embedded default) and
`server.grading.procrastinate_queue.ProcrastinateQueue` (RNN_GRADER_QUEUE=procrastinate).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Protocol

from grader.result import Result

log = logging.getLogger("rnn_grader.grading")
# The outcomes of GradingLoop.process after which a submission's status is final (its waiters may stop).
FINAL_OUTCOMES = frozenset({"graded", "failed"})


class GraderLike(Protocol):
    """What a GradingLoop needs from grader.grade.Grader (tests may inject a fake for queue mechanics)."""

    def grade(self, exercise_id: str, source: str, seed: int) -> Result: ...

    def has_diagnostics(self, exercise_id: str) -> bool: ...

    def diagnose(self, exercise_id: str, source: str) -> dict[str, object]: ...

    def close(self) -> None: ...


GraderFactory = Callable[[], GraderLike]


Announcement = Sequence[int] | None
"""The ids of submissions whose result was just written (final: graded or failed), or None when some results
were written but which is not known (the listener then looks at the database)."""


class Notifier:
    """Results written by this process's grading loops (or announced by its grading processes): every
    subscriber hears the submission ids, from whatever thread wrote them. The API's result waits
    (server.submissions.waiting) subscribe; so a `?wait=` wakes on its own submission's result."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._listeners: list[Callable[[Announcement], None]] = []

    def subscribe(self, listener: Callable[[Announcement], None]) -> None:
        with self._lock:
            self._listeners.append(listener)

    def notify(self, submission_ids: Announcement) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(submission_ids)
            except Exception:  # a listener's trouble must never fail the grading that announced
                log.exception("a result listener failed")

    def announce(self, outcome: str, exercise: str | None = None, seconds: float | None = None,
                 count: int = 1, submission_id: int | None = None) -> None:
        """A grading loop wrote (or gave up on) `count` results; `submission_id` is set when the result of
        that one submission is final. Here: tell the subscribers. A worker process sends it to the API
        process instead (`server.grading.processes`), with the figures for /metrics."""
        if outcome in FINAL_OUTCOMES:
            self.notify([submission_id] if submission_id is not None else None)


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
