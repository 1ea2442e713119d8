"""One grading worker: claim a submission with a lease, grade it, write the result exactly once.

- claim: a conditional UPDATE (status queued -> running, lease_until, attempts + 1); on PostgreSQL the
  candidate row is picked with `FOR UPDATE SKIP LOCKED` so workers do not collide;
- while grading, a heartbeat extends the lease; a worker that dies (kill -9) stops renewing it, and the
  sweeper (`requeue_stale`) puts the submission back to queued once the lease has run out;
- the result is written by `UPDATE ... WHERE status NOT IN ('graded', 'failed')`: whoever finishes first
  wins, a late duplicate is discarded, so a crash anywhere loses nothing and grades nothing twice;
- an infrastructure failure (the grader raised, or reported internal_error) is retried up to
  max_attempts and then stored as `failed`: never blamed on the student.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from grader.result import Result
from server.catalog import Catalog
from server.config import Settings
from server.db import utcnow
from server.metrics import Metrics
from server.models import Submission, SubmissionStatus
from server.scoreboard import refresh_for_submission, result_summary

log = logging.getLogger("rnn_grader.grading")

S = Submission.__table__.c  # type: ignore[attr-defined]
QUEUED = SubmissionStatus.queued.value
RUNNING = SubmissionStatus.running.value
GRADED = SubmissionStatus.graded.value
FAILED = SubmissionStatus.failed.value
FINAL = (GRADED, FAILED)
MAX_ERROR_CHARS = 2000


class GraderLike(Protocol):
    """What a worker needs from grader.grade.Grader (tests may inject a fake for queue mechanics)."""

    def grade(self, exercise_id: str, source: str, seed: int) -> Result: ...

    def close(self) -> None: ...


GraderFactory = Callable[[], GraderLike]


class Notifier:
    """Wakes requests waiting (`?wait=`) for a result written by this process. Others are polled."""

    def __init__(self) -> None:
        self._cond = threading.Condition()

    def notify(self) -> None:
        with self._cond:
            self._cond.notify_all()

    def wait(self, timeout: float) -> None:
        with self._cond:
            self._cond.wait(timeout)


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
            .where(S.status == RUNNING, S.lease_until < now)
            .values(status=QUEUED, lease_until=None, lease_owner=None)
        ).rowcount
    if count:
        log.warning("re-queued %d submission(s) whose grading lease ran out", count)
    return int(count)


def _fail_exhausted(conn: sa.Connection, submission_id: int, attempts: int) -> bool:
    done = conn.execute(
        sa.update(Submission)
        .where(S.id == submission_id, S.status == QUEUED)
        .values(
            status=FAILED,
            graded_at=utcnow(),
            lease_until=None,
            lease_owner=None,
            last_error=f"gave up after {attempts} attempt(s)",
        )
    ).rowcount
    return bool(done)


def claim_next(engine: Engine, owner: str, lease_seconds: float, max_attempts: int,
               submission_id: int | None = None) -> tuple[Claim | None, int]:
    """Claim the next queued submission (or that one submission, for a queue engine that delivers ids).
    Returns (claim or None, number failed for too many attempts)."""
    failed = 0
    while True:
        with engine.begin() as conn:
            pick = sa.select(S.id, S.attempts).where(S.status == QUEUED)
            if submission_id is not None:
                pick = pick.where(S.id == submission_id)
            pick = pick.order_by(S.priority.desc(), S.id).limit(1)
            if conn.dialect.name == "postgresql":
                pick = pick.with_for_update(skip_locked=True)
            row = conn.execute(pick).first()
            if row is None:
                return None, failed
            picked, attempts = int(row[0]), int(row[1])
            if attempts >= max_attempts:
                failed += _fail_exhausted(conn, picked, attempts)
                continue
            now = utcnow()
            claimed = conn.execute(
                sa.update(Submission)
                .where(S.id == picked, S.status == QUEUED)
                .values(
                    status=RUNNING,
                    lease_until=now + dt.timedelta(seconds=lease_seconds),
                    lease_owner=owner,
                    attempts=S.attempts + 1,
                    started_at=now,
                )
            ).rowcount
            if not claimed:
                continue  # someone else took it between our SELECT and UPDATE (SQLite): try the next
            data = conn.execute(
                sa.select(S.id, S.student_id, S.exercise, S.source, S.seed, S.attempts).where(S.id == picked)
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
                .where(S.id == submission_id, S.status == RUNNING, S.lease_owner == owner)
                .values(lease_until=utcnow() + dt.timedelta(seconds=lease_seconds))
            ).rowcount
        )


def write_result(engine: Engine, submission_id: int, status: str, result: Result | None,
                 last_error: str | None = None) -> bool:
    """Write the final state once: a later duplicate (a re-queued claim that also finished) is a no-op.
    The scoreboard's row for the pair is recomputed in the same transaction."""
    values: dict[str, Any] = {
        "status": status,
        "graded_at": utcnow(),
        "lease_until": None,
        "lease_owner": None,
        "last_error": last_error,
    }
    if result is not None:
        dumped = result.model_dump(mode="json")
        values.update(
            result=dumped,
            summary=result_summary(dumped),
            max_score=result.max_score,
            grader_version=result.grader_version[:64],
            grading_ms=result.grading_ms,
        )
        if status == GRADED:
            values["score"] = result.score
    with engine.begin() as conn:
        written = bool(
            conn.execute(
                sa.update(Submission).where(S.id == submission_id, S.status.not_in(FINAL)).values(**values)
            ).rowcount
        )
        if written:
            refresh_for_submission(conn, submission_id)
        return written


def release(engine: Engine, submission_id: int, owner: str, last_error: str) -> bool:
    """Give a claim back (to be retried) without waiting for the lease to run out."""
    with engine.begin() as conn:
        return bool(
            conn.execute(
                sa.update(Submission)
                .where(S.id == submission_id, S.status == RUNNING, S.lease_owner == owner)
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


class Worker:
    def __init__(self, engine: Engine, settings: Settings, catalog: Catalog, grader: GraderLike,
                 metrics: Metrics, notifier: Notifier, name: str) -> None:
        self.engine = engine
        self.settings = settings
        self.catalog = catalog
        self.grader = grader
        self.metrics = metrics
        self.notifier = notifier
        self.name = name

    def run_once(self, submission_id: int | None = None) -> bool:
        """Claim and grade one submission (the next one, or the given one if it is still queued).
        False when there was nothing to do."""
        claim, failed = claim_next(self.engine, self.name, self.settings.lease_seconds, self.settings.max_attempts,
                                   submission_id)
        if failed:
            self.metrics.gradings.labels(result="failed").inc(failed)
            self.notifier.notify()
        if claim is None:
            return failed > 0
        self.process(claim)
        return True

    def process(self, claim: Claim) -> None:
        started = time.perf_counter()
        outcome = "released"
        try:
            if claim.exercise not in self.catalog.exercises:
                outcome = self._finish(claim, FAILED, None, f"exercise {claim.exercise!r} is not offered any more")
                return
            with LeaseHeartbeat(self.engine, claim.id, self.name, self.settings.lease_seconds):
                try:
                    result = self.grader.grade(claim.exercise, claim.source, claim.seed)
                except Exception as exc:  # a grader bug: never the student's fault
                    log.error("grader raised on submission=%d attempt=%d", claim.id, claim.attempts, exc_info=exc)
                    outcome = self._retry_or_fail(claim, None, f"grader raised {type(exc).__name__}: {exc}")
                    return
            if result.internal_error:
                outcome = self._retry_or_fail(claim, result, "the grader reported an internal error")
            else:
                outcome = self._finish(claim, GRADED, result, None)
        finally:
            elapsed = time.perf_counter() - started
            if outcome == "released":  # interrupted (shutdown): give the claim back at once
                release(self.engine, claim.id, self.name, "interrupted")
            self.metrics.gradings.labels(result=outcome).inc()
            self.metrics.grading_seconds.labels(exercise=claim.exercise).observe(elapsed)
            self.notifier.notify()

    def _finish(self, claim: Claim, status: str, result: Result | None, error: str | None) -> str:
        written = write_result(self.engine, claim.id, status, result, error)
        score = f"{result.score:g}/{result.max_score:g}" if result is not None else "-"
        ms = result.grading_ms if result is not None else 0.0
        if not written:
            log.info("discarded duplicate result submission=%d (already final)", claim.id)
            return "discarded"
        level = logging.INFO if status == GRADED else logging.ERROR
        log.log(level, "%s submission=%d student=%s exercise=%s score=%s attempt=%d grading_ms=%.0f%s",
                status, claim.id, claim.student_id, claim.exercise, score, claim.attempts, ms,
                f" error={error!r}" if error else "")
        return status

    def _retry_or_fail(self, claim: Claim, result: Result | None, error: str) -> str:
        error = error[:MAX_ERROR_CHARS]
        if claim.attempts < self.settings.max_attempts:
            log.error("internal error on submission=%d attempt=%d, retrying: %s", claim.id, claim.attempts, error)
            release(self.engine, claim.id, self.name, error)
            return "retried"
        return self._finish(claim, FAILED, result, error)
