"""The grading loop: claim one submission with a lease, grade it, write the result exactly once, and
retry infrastructure failures (never the student's). The claim/lease/write SQL is in `claims`."""

from __future__ import annotations

import logging
import time

from sqlalchemy.engine import Engine

from grader.result import Result
from server.catalog import Catalog
from server.config import Settings
from server.grading import diagnostics
from server.grading.claims import (
    FAILED,
    GRADED,
    MAX_ERROR_CHARS,
    Claim,
    LeaseHeartbeat,
    claim_next,
    release,
    write_result,
)
from server.grading.protocol import GraderLike, Notifier
from server.metrics import Metrics

log = logging.getLogger("rnn_grader.grading")


class GradingLoop:
    """Claim, grade with one Grader, write once: the body of every grading thread or job slot."""

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
        """Claim and grade one submission (the next one, or the given one if it is still queued); with no
        submission to grade, compute one result's wanted diagnostics. False when there was nothing to do.
        Given a submission id (a job queue's delivery), its diagnostics follow its grading at once."""
        claim, failed = claim_next(self.engine, self.name, self.settings.lease_seconds, self.settings.max_attempts,
                                   submission_id)
        if failed:
            self.metrics.gradings.labels(result="failed").inc(failed)
            self.notifier.announce("failed", count=failed)
        if claim is None:
            return self.run_diagnostics(submission_id) or failed > 0
        self.process(claim)
        if submission_id is not None:
            self.run_diagnostics(submission_id)
        return True

    def run_diagnostics(self, submission_id: int | None = None) -> bool:
        """Compute the diagnostics of one result that wants them (that submission's, if given), after its
        result was written and announced. False when none was wanted."""
        taken = diagnostics.claim(self.engine, self.settings.lease_seconds, submission_id)
        if taken is None:
            return False
        started = time.perf_counter()
        computed: dict[str, object] | None
        try:
            computed = self.grader.diagnose(taken.exercise, taken.source)
        except Exception as exc:  # DiagnosticsFailed or a grader bug: the result stands, the chart can be asked again
            log.error("diagnostics failed on submission=%d: %s", taken.id, exc)
            computed = None
        diagnostics.store(self.engine, taken, computed)
        self.metrics.diagnostics_seconds.observe(time.perf_counter() - started)
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
            self.notifier.announce(outcome, claim.exercise, elapsed, submission_id=claim.id)

    def _finish(self, claim: Claim, status: str, result: Result | None, error: str | None) -> str:
        wanted = None
        if result is not None and status == GRADED:
            wanted = diagnostics.initial_status(self.grader.has_diagnostics(claim.exercise), result.all_passed)
        written = write_result(self.engine, claim.id, status, result, error, wanted,
                               hints=self.catalog.hint_policy(claim.exercise))
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
