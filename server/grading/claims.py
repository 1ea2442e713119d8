"""Claims: the SQL by which a grading slot takes a submission with a lease and writes its result once.

- claim: a conditional UPDATE (status queued -> running, lease_until, attempts + 1); on PostgreSQL the
  candidate row is picked with `FOR UPDATE SKIP LOCKED` so workers do not collide;
- while grading, a heartbeat extends the lease; a worker that dies (kill -9) stops renewing it, and the
  sweeper (`requeue_stale`) puts the submission back to queued once the lease has run out;
- the result is written by `UPDATE ... WHERE status NOT IN ('graded', 'failed')`: whoever finishes first
  wins, a late duplicate is discarded, so a crash anywhere loses nothing and grades nothing twice;
- an infrastructure failure (the grader raised, or reported internal_error) is retried up to
  max_attempts and then stored as `failed`: never blamed on the student;
- every final write also appends the grading to `gradings` (server.regrades.history) and, on PostgreSQL,
  announces the result to every API process (server.grading.announcements) in the same transaction, so
  history and result are written exactly once together. A submission whose regrade is pending
  (`regrading`) keeps its last result counted until then; if the regrade itself fails for an
  infrastructure reason, that last result stays (status back to `graded`) and only the history shows it.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from grader.hints import HintPolicy
from grader.result import Result
from server.db import utcnow
from server.grading.announcements import announce_final
from server.grading.hint_levels import assign_hint_levels
from server.models import Submission, SubmissionStatus
from server.regrades.history import NewGrading, record_grading
from server.regrades.models import Why
from server.scoreboard.cache import refresh_for_submission, result_summary
from server.tables import submissions_t

log = logging.getLogger("rnn_grader.grading")

QUEUED = SubmissionStatus.queued.value
RUNNING = SubmissionStatus.running.value
GRADED = SubmissionStatus.graded.value
FAILED = SubmissionStatus.failed.value
FINAL = (GRADED, FAILED)
MAX_ERROR_CHARS = 2000


@dataclass(frozen=True)
class Claim:
    id: int
    student_id: str
    exercise: str
    source: str
    seed: int
    attempts: int


def requeue_stale(engine: Engine, now: dt.datetime | None = None) -> int:
    """Submissions left `running` past their lease (their worker died) go back to `queued`."""
    now = now or utcnow()
    with engine.begin() as conn:
        count = conn.execute(
            sa.update(Submission)
            .where(submissions_t.c.status == RUNNING, submissions_t.c.lease_until < now)
            .values(status=QUEUED, lease_until=None, lease_owner=None)
        ).rowcount
    if count:
        log.warning("re-queued %d submission(s) whose grading lease ran out", count)
    return int(count)


@dataclass(frozen=True)
class Taken:
    """The row as the guarded final UPDATE found it (the columns that UPDATE does not change)."""

    student_id: str
    exercise: str
    attempts: int
    max_score: float
    regrading: bool
    batch_id: int | None


def _take(conn: sa.Connection, submission_id: int, from_statuses: tuple[str, ...]) -> Taken | None:
    """Take the row for its final write (None if it is final already: a duplicate). On PostgreSQL the
    UPDATE locks the row until commit, so a concurrent duplicate waits and then finds it final."""
    row = conn.execute(
        sa.update(Submission)
        .where(submissions_t.c.id == submission_id, submissions_t.c.status.in_(from_statuses))
        .values(lease_until=None, lease_owner=None)
        .returning(
            submissions_t.c.student_id,
            submissions_t.c.exercise,
            submissions_t.c.attempts,
            submissions_t.c.max_score,
            submissions_t.c.regrading,
            submissions_t.c.regrade_batch_id,
        )
    ).first()
    if row is None:
        return None
    return Taken(str(row[0]), str(row[1]), int(row[2]), float(row[3]), bool(row[4]),
                 int(row[5]) if row[5] is not None else None)


def _history(conn: sa.Connection, submission_id: int, taken: Taken, status: str, result: Result | None,
             dumped: dict[str, Any] | None) -> None:
    record_grading(conn, NewGrading(
        submission_id=submission_id, student_id=taken.student_id, exercise=taken.exercise,
        attempt=taken.attempts, why=Why.regrade if taken.batch_id is not None else Why.submit, status=status,
        score=result.score if result is not None and status == GRADED else None,
        max_score=result.max_score if result is not None else taken.max_score,
        grader_version=result.grader_version[:64] if result is not None else None, result=dumped,
        batch_id=taken.batch_id,
    ))


def _fail_exhausted(conn: sa.Connection, submission_id: int, attempts: int) -> bool:
    taken = _take(conn, submission_id, (QUEUED,))
    if taken is None:
        return False
    error = f"gave up after {attempts} attempt(s)"
    if taken.regrading:  # the regrade could not run: the last result stays and counts
        values: dict[str, Any] = {"status": GRADED, "last_error": f"regrade {error}"}
    else:
        values = {"status": FAILED, "graded_at": utcnow(), "last_error": error}
    conn.execute(sa.update(Submission).where(submissions_t.c.id == submission_id)
                 .values(**values, regrading=False, regrade_batch_id=None))
    _history(conn, submission_id, taken, FAILED, None, None)
    announce_final(conn, submission_id)
    return True


def _pick(conn: sa.Connection, submission_id: int | None) -> Any:
    """(id, attempts) of the next queued submission (highest priority, then oldest id). First the top
    priority, then the lowest id at that priority: two lookups in the (status, priority, id) index, where
    one ORDER BY priority DESC, id sorts a whole priority group per claim (a regrade of 50,000: 50,000
    sorts of up to 50,000 rows). If that group is empty by now (taken meanwhile, or every row of it locked
    by other workers), the full query decides."""
    lock = conn.dialect.name == "postgresql"

    def first(query: Any) -> Any:
        return conn.execute(query.with_for_update(skip_locked=True) if lock else query).first()

    pick = sa.select(submissions_t.c.id, submissions_t.c.attempts).where(submissions_t.c.status == QUEUED)
    if submission_id is not None:
        return first(pick.where(submissions_t.c.id == submission_id).limit(1))
    top = conn.execute(
        sa.select(sa.func.max(submissions_t.c.priority)).where(submissions_t.c.status == QUEUED)
    ).scalar()
    if top is None:
        return None
    row = first(pick.where(submissions_t.c.priority == top).order_by(submissions_t.c.id).limit(1))
    if row is not None:
        return row
    return first(pick.order_by(submissions_t.c.priority.desc(), submissions_t.c.id).limit(1))


def claim_next(engine: Engine, owner: str, lease_seconds: float, max_attempts: int,
               submission_id: int | None = None) -> tuple[Claim | None, int]:
    """Claim the next queued submission (or that one submission, for a queue engine that delivers ids).
    Returns (claim or None, number failed for too many attempts)."""
    failed = 0
    while True:
        with engine.begin() as conn:
            row = _pick(conn, submission_id)
            if row is None:
                return None, failed
            picked, attempts = int(row[0]), int(row[1])
            if attempts >= max_attempts:
                failed += _fail_exhausted(conn, picked, attempts)
                continue
            now = utcnow()
            claimed = conn.execute(
                sa.update(Submission)
                .where(submissions_t.c.id == picked, submissions_t.c.status == QUEUED)
                .values(
                    status=RUNNING,
                    lease_until=now + dt.timedelta(seconds=lease_seconds),
                    lease_owner=owner,
                    attempts=submissions_t.c.attempts + 1,
                    started_at=now,
                )
            ).rowcount
            if not claimed:
                continue  # someone else took it between our SELECT and UPDATE (SQLite): try the next
            data = conn.execute(
                sa.select(
                    submissions_t.c.id,
                    submissions_t.c.student_id,
                    submissions_t.c.exercise,
                    submissions_t.c.source,
                    submissions_t.c.seed,
                    submissions_t.c.attempts,
                ).where(submissions_t.c.id == picked)
            ).one()
        return (
            Claim(
                id=int(data.id),
                student_id=str(data.student_id),
                exercise=str(data.exercise),
                source=str(data.source),
                seed=int(data.seed or 0),
                attempts=int(data.attempts),
            ),
            failed,
        )


def renew_lease(engine: Engine, submission_id: int, owner: str, lease_seconds: float) -> bool:
    with engine.begin() as conn:
        return bool(
            conn.execute(
                sa.update(Submission)
                .where(
                    submissions_t.c.id == submission_id,
                    submissions_t.c.status == RUNNING,
                    submissions_t.c.lease_owner == owner,
                )
                .values(lease_until=utcnow() + dt.timedelta(seconds=lease_seconds))
            ).rowcount
        )


def write_result(engine: Engine, submission_id: int, status: str, result: Result | None,
                 last_error: str | None = None, diagnostics_status: str | None = None,
                 hints: HintPolicy | None = None) -> bool:
    """Write the final state once: a later duplicate (a re-queued claim that also finished) is a no-op.
    The grading is appended to the history and the scoreboard's row for the pair is recomputed in the
    same transaction. `diagnostics_status`: what happens to the new result's optional diagnostics
    (server.grading.diagnostics.initial_status). `hints`: the exercise's hint policy, which decides the
    level stored with each named mistake of a graded result (server.grading.hint_levels)."""
    with engine.begin() as conn:
        taken = _take(conn, submission_id, (QUEUED, RUNNING))
        if taken is None:
            return False
        if result is not None and status == GRADED:
            result = assign_hint_levels(conn, submission_id, taken.student_id, taken.exercise, result,
                                        hints or HintPolicy())
        dumped = result.model_dump(mode="json") if result is not None else None
        values: dict[str, Any] = {"status": status, "graded_at": utcnow(), "last_error": last_error,
                                  "regrading": False, "regrade_batch_id": None}
        if status == FAILED and taken.regrading:
            # The regrade failed (infrastructure): keep the last result, which still counts.
            values = {"status": GRADED, "last_error": f"regrade failed: {last_error or 'internal error'}",
                      "regrading": False, "regrade_batch_id": None}
        elif result is not None:
            assert dumped is not None
            values.update(
                result=dumped,
                summary=result_summary(dumped),
                max_score=result.max_score,
                grader_version=result.grader_version[:64],
                grading_ms=result.grading_ms,
                diagnostics_status=diagnostics_status if status == GRADED else None,
                diagnostics_at=utcnow() if status == GRADED and diagnostics_status is not None else None,
            )
            if status == GRADED:
                values["score"] = result.score
        conn.execute(sa.update(Submission).where(submissions_t.c.id == submission_id).values(**values))
        refresh_for_submission(conn, submission_id)
        _history(conn, submission_id, taken, status, result, dumped)
        announce_final(conn, submission_id)
        return True


def release(engine: Engine, submission_id: int, owner: str, last_error: str) -> bool:
    """Give a claim back (to be retried) without waiting for the lease to run out."""
    with engine.begin() as conn:
        return bool(
            conn.execute(
                sa.update(Submission)
                .where(
                    submissions_t.c.id == submission_id,
                    submissions_t.c.status == RUNNING,
                    submissions_t.c.lease_owner == owner,
                )
                .values(status=QUEUED, lease_until=None, lease_owner=None, last_error=last_error)
            ).rowcount
        )


def release_owned(engine: Engine, owner: str, last_error: str) -> int:
    """Give back every claim of a grading loop known to be dead (its process exited), without waiting for
    the leases to run out. The attempt it used counts: a submission that kills its worker ends `failed`."""
    with engine.begin() as conn:
        return int(
            conn.execute(
                sa.update(Submission)
                .where(submissions_t.c.status == RUNNING, submissions_t.c.lease_owner == owner)
                .values(status=QUEUED, lease_until=None, lease_owner=None, last_error=last_error)
            ).rowcount
        )


class LeaseHeartbeat:
    """Extends the lease every lease/3 seconds while the grading runs in the calling thread."""

    def __init__(self, engine: Engine, submission_id: int, owner: str, lease_seconds: float) -> None:
        self._args = (engine, submission_id, owner, lease_seconds)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"lease-{submission_id}", daemon=True)

    def _run(self) -> None:
        engine, submission_id, owner, lease_seconds = self._args
        while not self._stop.wait(lease_seconds / 3):
            try:
                if not renew_lease(engine, submission_id, owner, lease_seconds):
                    log.warning("lost the lease on submission=%d (taken over or finished)", submission_id)
                    return
            except Exception:
                log.exception("cannot renew the lease on submission=%d", submission_id)

    def __enter__(self) -> LeaseHeartbeat:
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
