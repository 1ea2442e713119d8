"""The entry point every grading thread or slot calls: grade(exercise, source, seed) -> Result."""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from types import TracebackType
from typing import Any

from grader.exercise import Case, Exercise, Limits
from grader.mistakes import Described, catalogue_of
from grader.procedure import Procedure, expected_outputs
from grader.result import Outcome, Result
from grader.runner import Runner

# 2: hidden cases built in portable arithmetic, the same bits on every CPU (issue 19): every seed's cases changed once.
GRADER_VERSION = "2"
log = logging.getLogger(__name__)


def exercise_version(exercise: Exercise) -> str:
    """Changes whenever the spec or the reference changes, so regrades can be targeted."""
    digest = hashlib.sha256()
    digest.update((exercise.spec.directory / "spec.toml").read_bytes())
    for module in (exercise.module, exercise.hooks_module):
        module_file = getattr(module, "__file__", None)
        if module_file:
            with open(module_file, "rb") as f:
                digest.update(f.read())
    return f"{GRADER_VERSION}-{digest.hexdigest()[:12]}"


class UnknownExercise(KeyError):
    pass


class DiagnosticsFailed(RuntimeError):
    """The optional diagnostics could not be computed (an infrastructure failure, never the student's)."""


class Grader:
    """Holds the exercises and one runner (a sandbox with its zygote). Not thread-safe: one per grading thread."""

    def __init__(self, exercises: Mapping[str, Exercise], runner: Runner | None = None,
                 limits: Mapping[str, Limits] | None = None) -> None:
        self.exercises = dict(exercises)
        if runner is None:
            from grader.sandbox import Sandbox

            runner = Sandbox()
        self.runner = runner
        self.limits = dict(limits or {})
        self.versions = {k: exercise_version(e) for k, e in self.exercises.items()}
        self.catalogues: dict[str, dict[str, Described]] = {}
        # The reference outputs are computed on this thread while the child runs on another core.
        self._reference_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="reference")
        self._charts: dict[str, tuple[list[Case], list[Any]]] = {}

    def exercise(self, exercise_id: str) -> Exercise:
        try:
            return self.exercises[exercise_id]
        except KeyError:
            raise UnknownExercise(exercise_id) from None

    def procedure(self, exercise: Exercise) -> Procedure:
        # The exercise's feedback hooks (trusted side): see grader.hooks.
        hooks = exercise.hooks
        if exercise.id not in self.catalogues:
            self.catalogues[exercise.id] = catalogue_of(hooks)
        return Procedure(exercise.spec, self.runner, self.limits.get(exercise.id), hooks.explain, hooks.explain_part,
                         self.catalogues[exercise.id], hooks.name_mistakes)

    def grade(self, exercise_id: str, source: str, seed: int) -> Result:
        """Grade `source` on the hidden cases drawn from `seed`. Student faults never raise. The optional
        diagnostics are not computed here: see `diagnose`."""
        started = time.perf_counter()
        exercise = self.exercise(exercise_id)
        cases = exercise.hidden_cases(seed)
        future = self._reference_pool.submit(expected_outputs, exercise, cases)
        parts, record = self.procedure(exercise).run(cases, future.result, source)
        return Result(
            exercise=exercise_id,
            score=round(sum(p.score for p in parts), 4),
            max_score=exercise.spec.max_score,
            parts=parts,
            feedback=record.submission_feedback,
            grader_version=self.versions[exercise_id],
            grading_ms=(time.perf_counter() - started) * 1000,
            output="".join(record.output)[-16384:],
            sandbox_layers=self.runner.layers(),
        )

    def has_diagnostics(self, exercise_id: str) -> bool:
        """Whether the exercise has optional diagnostics (unscored chart cases on public inputs)."""
        return bool(self._chart_cases(self.exercise(exercise_id))[0])

    def diagnose(self, exercise_id: str, source: str) -> dict[str, object]:
        """The optional diagnostics of `source` (Result.diagnostics): its answers on the exercise's public
        chart cases, run in the sandbox like a grading, drawn into charts by the exercise's `chart` hook.
        Written after the result, and only when a test failed or someone asks (server.grading.diagnostics).
        Raises DiagnosticsFailed if the sandbox could not run them (not the student's fault)."""
        exercise = self.exercise(exercise_id)
        cases, expected = self._chart_cases(exercise)
        if not cases:
            return {}
        _, record = self.procedure(exercise).run(cases, expected, source, public=True)
        if any(t.outcome is Outcome.internal_error for t in record.tests.values()):
            raise DiagnosticsFailed(f"the sandbox could not run the chart cases of {exercise_id}")
        try:
            return exercise.hooks.chart([record.values.get(k) for k in range(len(cases))], expected, cases).as_json()
        except Exception as exc:
            log.exception("chart failed for %s", exercise_id)
            raise DiagnosticsFailed(f"the chart hook of {exercise_id} raised {type(exc).__name__}") from exc

    def _chart_cases(self, exercise: Exercise) -> tuple[list[Case], list[Any]]:
        """The chart cases and the reference's answers on them: public and fixed, so computed once."""
        if exercise.id not in self._charts:
            cases = [c for c in exercise.hooks.chart_cases() if not c.scored]
            self._charts[exercise.id] = (cases, expected_outputs(exercise, cases))
        return self._charts[exercise.id]

    def close(self) -> None:
        self._reference_pool.shutdown(wait=False)
        close = getattr(self.runner, "close", None)
        if callable(close):
            close()

    def __enter__(self) -> Grader:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
