"""Naming a student's mistake, precision first: a catalogued mistake is named only when its mutant explains
the student's answers on every failing test of the part, and passes wherever the student passes.

An exercise catalogues its common mistakes (`Misconception`s), each reproduced by one or more mutants:
functions with the contract's signature that compute the mistaken result (`Mutant`). When a part has wrong
answers, `MutantMatcher.name_part` runs the mutants of its function on copies of the tests' inputs (trusted
side, never in the sandbox) and names a mistake only if one way of writing it (one variant)

  1. reproduces the student's whole answer on every failing test (at a tolerance a little wider than the
     part's; float32-like mistakes at a loose one, and only when they show float32 numbers and no exact
     mistake fits), being closer to it than the reference is, and
  2. passes, within the part's own tolerance, every test the student passes.

Failing as one test does and passing as another does is the mistake's fingerprint on this part: a mistake that
only coincides with the student's answer on one test (a T=1 case hides most recurrence bugs) is not named.
Two independent mistakes are named together only if each reproduces the student's answer on the outputs it
changes, the outputs they change never overlap, and together they explain every wrong output. Where several
candidates fit equally (the tests cannot tell them apart), none is named: a wrong name misleads a student more
than no name. Nothing here knows a particular exercise: outputs are named by the part's `outputs` (tuple
items) or by dict keys (grader.outputs).
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

import numpy as np

from grader.exercise import Case, Part, copy_value
from grader.hints import HintLevels
from grader.hooks import NO_ANSWER, Observation
from grader.outputs import (
    MISSING,
    close,
    distance,
    float32_evidence,
    get_output,
    magnitude,
    non_finite_where_finite,
    output_names,
)
from grader.result import Outcome, Text

log = logging.getLogger(__name__)

# An exact mistake's mutant is the same computation written differently: it agrees with a student who made
# that mistake about as well as two correct solutions agree (measured: <0.2% of the tolerance).
EXACT_TOLERANCE_FACTOR = 10.0
# float32 rounding, amplified along long computations, stays far below this.
LOOSE_RTOL = 2e-3
LOOSE_ATOL_FRACTION = 1e-4  # of the largest reference entry of the compared output
# CPU time of this thread the mutants may take per scored test of the part (a slow explainer must not slow
# grading down). CPU time, not wall time: a loaded machine must not change which mistake a student is told.
# When it runs out nothing is named.
EXPLAIN_BUDGET_S = 0.1


class Mutant(Protocol):
    """One way of writing a mistake in one contract function."""

    @property
    def function(self) -> str: ...

    # The outputs it is meant to change (tuple item names or dict keys); () means all of them. Informative:
    # matching looks at the outputs the mutant really changes on each test.
    @property
    def paths(self) -> tuple[str, ...]: ...

    # Its code: equal sources compute the same thing, so their output is computed once per test.
    @property
    def source(self) -> str: ...

    @property
    def run(self) -> Callable[..., Any]: ...


@dataclasses.dataclass(frozen=True)
class Misconception:
    name: str
    part: str  # a part's name, or "any"
    title: Text
    hint: Text
    variants: tuple[Mutant, ...] = ()
    # float32-like mistakes differ from their mutant by rounding only: matched at a loose tolerance, and
    # named only when no exact mistake fits.
    loose: bool = False
    # Recognised by the harness itself (the name is its), not by running a mutant.
    by_harness: bool = False
    # Can only show as NaN/inf where the reference is finite (an overflow): not tried on a part without
    # such a failure, which keeps the explain budget for the mistakes that can explain it.
    non_finite_only: bool = False
    # Levels 2 (where) and 3 (a worked 1x1 example) of the hint; `hint` is level 1 (grader.hints).
    levels: HintLevels | None = None

    @property
    def hints(self) -> tuple[Text, ...]:
        """Every level of the hint, level 1 first."""
        return (self.hint,) if self.levels is None else (self.hint, self.levels.where, self.levels.example)

    def entry(self) -> dict[str, Any]:
        """Plain JSON for the teacher pages (an ExerciseHooks.misconception_catalogue() item)."""
        return {"name": self.name, "part": self.part, "title": self.title.model_dump(), "hint": self.hint.model_dump(),
                "hints": [h.model_dump() for h in self.hints],
                "detected_by": "harness" if self.by_harness else "mutant"}


def with_hint_levels(catalogue: Sequence[Misconception], levels: Mapping[str, HintLevels]) -> tuple[Misconception, ...]:
    """The catalogue with each mistake's levels 2 and 3 from `levels` (keyed by name). A name that is not in the
    catalogue is an error: a typo must not leave a mistake without its levels unnoticed."""
    unknown = sorted(set(levels) - {m.name for m in catalogue})
    if unknown:
        raise ValueError(f"hint levels for mistakes the catalogue does not have: {unknown}")
    return tuple(dataclasses.replace(m, levels=levels[m.name]) if m.name in levels else m for m in catalogue)


class _Test:
    """One scored test of the part: the student's and the reference's outputs by name, and the mutants'
    outputs on its inputs (each distinct mutant source run once)."""

    def __init__(self, part: Part, index: int, case: Case, student: Any, reference: Any) -> None:
        self.part, self.index, self.case = part, index, case
        self.names = output_names(part, reference)
        self.answered = student is not NO_ANSWER
        self.student = {p: get_output(student, part, p) for p in self.names}
        self.reference = {p: get_output(reference, part, p) for p in self.names}
        self.wrong = frozenset(p for p in self.names if not self.close_to_reference(self.student[p], p))
        self.non_finite = any(non_finite_where_finite(self.student[p], self.reference[p]) for p in self.wrong)
        self.size = sum(np.size(a) for a in _arrays(case.args))
        self._runs: dict[str, dict[str, Any] | None] = {}

    def close_to_reference(self, value: Any, path: str) -> bool:
        return value is not MISSING and close(value, self.reference[path], self.part.rtol, self.part.atol)

    def mutant(self, variant: Mutant) -> dict[str, Any] | None:
        """The mutant's outputs by name on copies of the case's inputs, or None if it fails here."""
        if variant.source not in self._runs:
            try:
                with np.errstate(all="ignore"):
                    out = variant.run(*copy_value(self.case.args))
                self._runs[variant.source] = {p: get_output(out, self.part, p) for p in self.names}
            except Exception:  # the mutant may fail on some shapes: that variant simply does not apply here
                self._runs[variant.source] = None
        return self._runs[variant.source]

    def changed(self, variant: Mutant) -> frozenset[str] | None:
        """The outputs the mutant gets wrong on this test (None if it fails to run)."""
        out = self.mutant(variant)
        if out is None:
            return None
        return frozenset(p for p in self.names if not self.close_to_reference(out[p], p))

    def passes(self, variant: Mutant) -> bool:
        return self.changed(variant) == frozenset()

    def tolerance(self, m: Misconception, path: str, factor: float) -> tuple[float, float]:
        if m.loose:
            return LOOSE_RTOL, LOOSE_ATOL_FRACTION * magnitude(self.reference[path]) + self.part.atol
        return self.part.rtol * factor, self.part.atol * factor

    def reproduces(self, m: Misconception, variant: Mutant, paths: Sequence[str],
                   factor: float = EXACT_TOLERANCE_FACTOR) -> float | None:
        """How far the student's answer is from the mutant's on `paths` (max relative error), or None if it
        does not reproduce it there or is not closer to it than to the reference."""
        out = self.mutant(variant)
        if out is None or not self.answered:
            return None
        tolerances = {p: self.tolerance(m, p, factor) for p in paths}
        if not all(close(self.student[p], out[p], *tolerances[p], equal_nan=True) for p in paths):
            return None
        if m.loose:
            # Rounding is not a direction: a student who stores float32 numbers may well be closer to the
            # reference than a mutant that computes in float32. The float32 numbers are the evidence.
            return 0.0 if float32_evidence([self.student[p] for p in paths]) else None
        shown = [p for p in paths if self.student[p] is not MISSING]
        to_mutant = max((distance(self.student[p], out[p], tolerances[p][1], equal_nan=True) for p in shown),
                        default=0.0)
        # Where the student is wrong, the mutant must be the closer explanation.
        to_reference = max((distance(self.student[p], self.reference[p], self.part.atol)
                            for p in shown if p in self.wrong), default=float("inf"))
        return to_mutant if to_mutant < to_reference else None


def _arrays(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [a for v in value.values() for a in _arrays(v)]
    if isinstance(value, tuple | list):
        return [a for v in value for a in _arrays(v)]
    return [value] if isinstance(value, np.ndarray) else []


@dataclasses.dataclass(frozen=True)
class _Fit:
    """A variant consistent with the student's answers on every failing test of the part."""

    misconception: Misconception
    variant: Mutant
    # Per failing test (in the order of `failing`): the outputs the mutant changes there.
    changed: tuple[frozenset[str], ...]
    # It reproduces the whole answer on every failing test (else only the outputs it changes).
    whole: bool
    distance: float


class _OutOfBudget(Exception):
    pass


class MutantMatcher:
    """The misconceptions of one exercise, and the naming of a part's wrong answers by their mutants."""

    def __init__(self, misconceptions: Sequence[Misconception]) -> None:
        self.misconceptions = tuple(misconceptions)
        self.by_name = {m.name: m for m in self.misconceptions}

    def variants_for(self, function: str) -> list[tuple[Misconception, Mutant]]:
        """The mutants to try on a failing part of `function`, exact mistakes before loose ones."""
        found = [(m, v) for m in self.misconceptions if not m.by_harness for v in m.variants
                 if v.function == function]
        return sorted(found, key=lambda mv: mv[0].loose)

    def diagnose(self, part: Part, case: Case, student: Any, reference: Any) -> list[Misconception]:
        """One failing test on its own, as if it were the part's only test."""
        names = self.name_part(part, [Observation(case, Outcome.wrong_answer, student, reference)])[0]
        return [self.by_name[n] for n in names]

    def name_part(self, part: Part, observations: Sequence[Observation]) -> list[list[str]]:
        """grader.hooks.ExerciseHooks.name_mistakes: per observation, the mistakes named on it (see the module
        docstring). A runtime error in the part names nothing (the code is not any mutant), nor does a wrong
        answer that could not be read; tests that ran out of time or memory say nothing either way."""
        named: list[list[str]] = [[] for _ in observations]
        if any(o.outcome is Outcome.runtime_error for o in observations):
            return named
        tests = [_Test(part, i, o.case, o.student, o.reference) for i, o in enumerate(observations) if o.case.scored]
        by_size = sorted(tests, key=lambda t: t.size)  # cheap tests first: most variants are ruled out there
        failing = [t for t in by_size if observations[t.index].outcome is Outcome.wrong_answer]
        passing = [t for t in by_size if observations[t.index].outcome is Outcome.passed]
        if not failing or not all(t.answered for t in failing):
            return named
        deadline = time.thread_time() + EXPLAIN_BUDGET_S * len(tests)
        try:
            fits = self._fits(part, failing, passing, deadline)
        except _OutOfBudget:
            log.warning("explain budget used up on part %s: nothing named", part.name)
            return named
        for fit in self._choose(fits, failing):
            for test, changed in zip(failing, fit.changed, strict=True):
                if changed:
                    named[test.index].append(fit.misconception.name)
        return named

    def _fits(self, part: Part, failing: list[_Test], passing: list[_Test], deadline: float) -> list[_Fit]:
        fits: list[_Fit] = []
        overflow = any(t.non_finite for t in failing)
        for m, variant in self.variants_for(part.function):
            if m.loose and any(f.whole for f in fits):
                break  # an exact mistake explains the answers better than rounding does
            if m.non_finite_only and not overflow:
                continue
            if time.thread_time() > deadline:
                raise _OutOfBudget
            fit = self._fit(m, variant, failing)
            if fit is not None and all(t.passes(variant) for t in passing):
                fits.append(fit)
        return fits

    @staticmethod
    def _fit(m: Misconception, variant: Mutant, failing: list[_Test]) -> _Fit | None:
        whole, partial = True, not m.loose
        worst = 0.0
        changed: list[frozenset[str]] = []
        for test in failing:
            here = test.changed(variant)
            if here is None:
                return None
            changed.append(here)
            if not here:
                whole = False  # this test fails for another reason: this mistake leaves it right
            else:
                if whole:
                    d = test.reproduces(m, variant, test.names) if test.wrong <= here else None
                    whole = d is not None
                    worst = max(worst, d or 0.0)
                if partial and test.reproduces(m, variant, sorted(here)) is None:
                    partial = False
            if not whole and not partial:
                return None
        if not any(changed):
            return None
        return _Fit(m, variant, tuple(changed), whole, worst)

    @staticmethod
    def _choose(fits: list[_Fit], failing: list[_Test]) -> list[_Fit]:
        """The fit to name (or two independent ones), or none when the tests cannot tell candidates apart."""
        whole: dict[str, _Fit] = {}
        for fit in sorted((f for f in fits if f.whole), key=lambda f: f.distance):
            whole.setdefault(fit.misconception.name, fit)
        if len(whole) > 1:
            # Several mistakes fit at the wider tolerance: keep those that still fit at the part's own.
            whole = {name: fit for name, fit in whole.items()
                     if all(t.reproduces(fit.misconception, fit.variant, t.names, factor=1.0) is not None
                            for t in failing)}
            return list(whole.values()) if len(whole) == 1 else []
        if whole:
            return list(whole.values())
        pairs: dict[tuple[str, str], tuple[_Fit, _Fit]] = {}
        exact = [f for f in fits if not f.misconception.loose]
        for a, b in itertools.combinations(exact, 2):
            if a.misconception.name == b.misconception.name:
                continue
            if all(not (ca & cb) and (ca | cb) == t.wrong
                   for t, ca, cb in zip(failing, a.changed, b.changed, strict=True)):
                key = (a.misconception.name, b.misconception.name)
                pairs.setdefault(key, (a, b))
        if len(pairs) == 1:
            return list(next(iter(pairs.values())))
        return []
