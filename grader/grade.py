"""The entry point every grading thread or slot calls: grade(exercise, source, seed) -> Result."""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from types import TracebackType

from grader.exercise import Exercise, Limits
from grader.mistakes import Described, catalogue_of
from grader.procedure import Procedure, expected_outputs
from grader.result import Result
from grader.runner import Runner

GRADER_VERSION = "1"
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
                         self.catalogues[exercise.id])

    def grade(self, exercise_id: str, source: str, seed: int) -> Result:
        """Grade `source` on the hidden cases drawn from `seed`. Student faults never raise."""
        started = time.perf_counter()
        exercise = self.exercise(exercise_id)
        cases = exercise.hidden_cases(seed)
        # Optional unscored cases on public inputs whose outputs feed a chart the student may see.
        extra = [c for c in exercise.hooks.chart_cases() if not c.scored]
        everything = cases + extra
        future = self._reference_pool.submit(expected_outputs, exercise, everything)
        parts, record = self.procedure(exercise).run(everything, future.result, source)
        expected = future.result()
        diagnostics: dict[str, object] = {}
        if extra:
            first = len(cases)
            try:
                diagnostics = exercise.hooks.chart(
                    [record.values.get(first + k) for k in range(len(extra))], expected[first:], extra
                ).as_json()
            except Exception:
                log.exception("chart failed for %s", exercise_id)
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
            diagnostics=diagnostics,
        )

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
