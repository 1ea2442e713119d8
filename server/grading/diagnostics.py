"""Deferred diagnostics: the SQL by which a result's optional diagnostics are asked for, taken and stored.

A grading writes and announces its result without the exercise's charts (they cost more calls in the
sandbox: a grading's p50 went from 59.7 to ~48 ms without them). Its `diagnostics_status` then says what
happens next:
- `wanted` when a scored test did not pass: a grading loop computes them once no submission is queued;
- `available` when every test passed: computed only when someone looks (the student or the teacher opens
  the result page, or asks through the API: `request`).
A loop takes a wanted row (`claim`: wanted -> running), runs the chart cases on the stored source and merges
them into the stored result (`store`), guarded by `graded_at` so that a result replaced by a regrade
meanwhile is left alone. A `running` row whose loop died is taken again after the lease time.
The scores, the history and the scoreboard never depend on diagnostics.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from server.db import utcnow
from server.grading.protocol import Queue
from server.models import DiagnosticsStatus, SubmissionStatus
from server.tables import submissions_t

log = logging.getLogger("rnn_grader.grading")

AVAILABLE = DiagnosticsStatus.available.value
WANTED = DiagnosticsStatus.wanted.value
RUNNING = DiagnosticsStatus.running.value
DONE = DiagnosticsStatus.done.value
FAILED = DiagnosticsStatus.failed.value
# A request for these states (re)queues the computation; for the others it only reports the state.
REQUESTABLE = (AVAILABLE, FAILED)


@dataclass(frozen=True)
class DiagnosticsClaim:
    id: int
    exercise: str
    source: str
    graded_at: dt.datetime


def initial_status(has_diagnostics: bool, all_passed: bool) -> str | None:
    """The status a freshly written result starts with."""
    if not has_diagnostics:
        return None
    return AVAILABLE if all_passed else WANTED


def request(engine: Engine, queue: Queue, submission_id: int) -> str | None:
    """Ask for the diagnostics of a graded submission (available/failed -> wanted) and wake a grading loop.
    Returns the status after the request (None if the submission has none to compute). Asking while they
    are wanted, running or done changes nothing."""
    with engine.begin() as conn:
        asked = conn.execute(
            sa.update(submissions_t)
            .where(submissions_t.c.id == submission_id, submissions_t.c.diagnostics_status.in_(REQUESTABLE))
            .values(diagnostics_status=WANTED, diagnostics_at=utcnow())
        ).rowcount
        status = conn.execute(
            sa.select(submissions_t.c.diagnostics_status).where(submissions_t.c.id == submission_id)
        ).scalar()
    if asked:
        queue.enqueue(submission_id)  # committed first: a lost wake-up only delays them (polling, reconciler)
    return None if status is None else str(status)


def _candidates(stale_before: dt.datetime) -> Any:
    return sa.or_(
        submissions_t.c.diagnostics_status == WANTED,
        sa.and_(submissions_t.c.diagnostics_status == RUNNING, submissions_t.c.diagnostics_at < stale_before),
    )


def claim(engine: Engine, lease_seconds: float, submission_id: int | None = None) -> DiagnosticsClaim | None:
    """Take one submission whose diagnostics are wanted (or whose loop died computing them), oldest first;
    or that one submission. None when there is nothing to do."""
    stale_before = utcnow() - dt.timedelta(seconds=lease_seconds)
    lock = engine.dialect.name == "postgresql"
    while True:
        with engine.begin() as conn:
            pick = sa.select(submissions_t.c.id).where(_candidates(stale_before))
            if submission_id is not None:
                pick = pick.where(submissions_t.c.id == submission_id)
            pick = pick.order_by(submissions_t.c.id).limit(1)
            row = conn.execute(pick.with_for_update(skip_locked=True) if lock else pick).first()
            if row is None:
                return None
            picked = int(row[0])
            taken = conn.execute(
                sa.update(submissions_t)
                .where(submissions_t.c.id == picked, _candidates(stale_before))
                .values(diagnostics_status=RUNNING, diagnostics_at=utcnow())
                .returning(submissions_t.c.exercise, submissions_t.c.source, submissions_t.c.graded_at,
                           submissions_t.c.status)
            ).first()
            if taken is None:
                continue  # another loop took it between our SELECT and UPDATE (SQLite): look again
            if taken[2] is None or taken[3] not in (SubmissionStatus.graded.value, SubmissionStatus.queued.value,
                                                    SubmissionStatus.running.value):
                conn.execute(sa.update(submissions_t).where(submissions_t.c.id == picked)
                             .values(diagnostics_status=None, diagnostics_at=None))
                continue
            return DiagnosticsClaim(picked, str(taken[0]), str(taken[1]), taken[2])


def store(engine: Engine, taken: DiagnosticsClaim, diagnostics: dict[str, Any] | None) -> bool:
    """Merge the computed diagnostics into the stored result (None: the run failed). False when the result
    is not the one they were computed for any more (a regrade wrote a new one)."""
    with engine.begin() as conn:
        guard = (submissions_t.c.id == taken.id, submissions_t.c.graded_at == taken.graded_at,
                 submissions_t.c.diagnostics_status == RUNNING)
        result = conn.execute(sa.select(submissions_t.c.result).where(*guard)).scalar()
        if not isinstance(result, dict):
            return False
        values: dict[str, Any] = {"diagnostics_status": FAILED if diagnostics is None else DONE,
                                  "diagnostics_at": utcnow()}
        if diagnostics is not None:
            values["result"] = {**result, "diagnostics": diagnostics}
        written = conn.execute(sa.update(submissions_t).where(*guard).values(**values)).rowcount
    if not written:
        log.info("diagnostics of submission=%d discarded: its result changed meanwhile", taken.id)
    return bool(written)
