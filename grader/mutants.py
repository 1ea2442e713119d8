"""Naming a student's mistake: match their output on a failing test to the closest catalogued mutant.

An exercise catalogues its common mistakes (`Misconception`s), each reproduced by one or more mutants:
functions with the contract's signature that compute the mistaken result (`Mutant`). When a test fails,
`MutantMatcher.diagnose` runs the mutants of that function on copies of the test's inputs (trusted side,
never in the sandbox) and reports the mistakes whose output the student's reproduces. Nothing here knows
a particular exercise: outputs are named by the part's `outputs` (tuple items) or by dict keys.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np

from grader.compare import relative_error
from grader.exercise import Case, Part, copy_value
from grader.result import Text

log = logging.getLogger(__name__)

# An exact mistake's mutant is the same computation written differently: it agrees with a student who made
# that mistake about as well as two correct solutions agree (measured: <0.2% of the tolerance).
EXACT_TOLERANCE_FACTOR = 10.0
# float32 rounding, amplified along long computations, stays far below this.
LOOSE_RTOL = 2e-3
LOOSE_ATOL_FRACTION = 1e-4  # of the largest reference entry of the compared output
MAX_REPORTED = 2
# Stop trying mutants on one test after this much CPU time of this thread (a slow explainer must not slow
# grading down). CPU time, not wall time: a loaded machine must not change which mistake a student is told.
EXPLAIN_BUDGET_S = 0.1

_MISSING = object()


class Mutant(Protocol):
    """One way of writing a mistake in one contract function."""

    @property
    def function(self) -> str: ...

    # The outputs it is matched on (tuple item names or dict keys); () means all of them.
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
    # reported only when no exact mistake matches.
    loose: bool = False
    # Recognised by the harness itself (the name is its), not by running a mutant.
    by_harness: bool = False
    # Can only show as NaN/inf where the reference is finite (an overflow): not tried on other failures,
    # which keeps the explain budget for the mistakes that can explain them.
    non_finite_only: bool = False

    def entry(self) -> dict[str, Any]:
        """Plain JSON for the teacher pages (an ExerciseHooks.misconception_catalogue() item)."""
        return {"name": self.name, "part": self.part, "title": self.title.model_dump(), "hint": self.hint.model_dump(),
                "detected_by": "harness" if self.by_harness else "mutant"}


def get_output(value: Any, part: Part, path: str) -> Any:
    """One named top-level output of a contract function's return value, or _MISSING."""
    if part.outputs:
        if not isinstance(value, tuple | list) or len(value) != len(part.outputs) or path not in part.outputs:
            return _MISSING
        return value[part.outputs.index(path)]
    if isinstance(value, dict):
        return value.get(path, _MISSING)
    return _MISSING


def numeric_leaves(value: Any) -> list[np.ndarray[Any, Any]] | None:
    """Numeric leaves as float64 arrays, dict keys in a fixed order; None if something is not numeric. Dtypes
    are ignored on purpose: matching looks at values, and compare already reports a float32 result."""
    if isinstance(value, dict):
        out: list[np.ndarray[Any, Any]] = []
        for k in sorted(value, key=str):
            sub = numeric_leaves(value[k])
            if sub is None:
                return None
            out += sub
        return out
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
        return [value.astype(np.float64)]
    if isinstance(value, int | float | np.number) and not isinstance(value, bool | complex):
        return [np.asarray(value, dtype=np.float64)]
    return None


def _magnitude(value: Any) -> float:
    leaves = numeric_leaves(value) or []
    finite = [np.abs(a[np.isfinite(a)]) for a in leaves if a.size]
    return max((float(f.max()) for f in finite if f.size), default=0.0)


def _distance(a: Any, b: Any, atol: float, equal_nan: bool = False) -> float:
    """max relative error between two outputs of the same structure and shapes, else inf. With `equal_nan`,
    entries non-finite in both (NaN, or the same inf) do not count."""
    if isinstance(a, dict) != isinstance(b, dict) or (isinstance(a, dict) and set(a) != set(b)):
        return float("inf")
    la, lb = numeric_leaves(a), numeric_leaves(b)
    if la is None or lb is None or len(la) != len(lb) or any(x.shape != y.shape for x, y in zip(la, lb, strict=True)):
        return float("inf")
    with np.errstate(all="ignore"):
        if equal_nan:
            la, lb = _without_shared_non_finite(la, lb)
        errors = [relative_error(x, y, atol) for x, y in zip(la, lb, strict=True)]
    worst = max(errors, default=0.0)
    return worst if np.isfinite(worst) else float("inf")


def _without_shared_non_finite(la: list[Any], lb: list[Any]) -> tuple[list[Any], list[Any]]:
    """The leaves without the entries where both are NaN or both the same inf (a mutant that overflows
    where the student's code does reproduces it there)."""
    keep = [~((np.isnan(x) & np.isnan(y)) | (np.isinf(x) & (x == y))) for x, y in zip(la, lb, strict=True)]
    return [x[k] for x, k in zip(la, keep, strict=True)], [y[k] for y, k in zip(lb, keep, strict=True)]


def _close(a: Any, b: Any, rtol: float, atol: float, equal_nan: bool = False) -> bool:
    """grader.compare's verdict without its messages (this runs ~50 times per failing test): same structure,
    every key of `b` present in `a`, numeric leaves of equal shape, np.allclose(a, b, rtol, atol) with `b` as
    the reference and NaN never close (unless `equal_nan`: student against mutant, NaN where both are NaN).
    Dtypes are ignored: compare already reports them. Missing in both counts as equal."""
    if a is _MISSING or b is _MISSING:
        return a is b
    if isinstance(b, dict):
        return isinstance(a, dict) and all(k in a and _close(a[k], v, rtol, atol, equal_nan) for k, v in b.items())
    if isinstance(b, tuple | list):
        return (isinstance(a, tuple | list) and len(a) == len(b)
                and all(_close(x, y, rtol, atol, equal_nan) for x, y in zip(a, b, strict=True)))
    la, lb = numeric_leaves(a), numeric_leaves(b)
    if not la or not lb or isinstance(a, dict | tuple | list) or la[0].shape != lb[0].shape:
        return False
    with np.errstate(all="ignore"):
        return bool(np.allclose(la[0], lb[0], rtol=rtol, atol=atol, equal_nan=equal_nan))


def _float32_evidence(student: Any) -> bool:
    """float32 arrays, or float64 values that are exactly float32 numbers (computed in float32, cast back)."""
    leaves: list[Any] = []

    def walk(v: Any) -> None:
        if isinstance(v, dict):
            for x in v.values():
                walk(x)
        elif isinstance(v, tuple | list):
            for x in v:
                walk(x)
        else:
            leaves.append(v)

    walk(student)
    arrays = [a for a in leaves if isinstance(a, np.ndarray | np.floating | float) and not isinstance(a, bool)]
    if any(isinstance(a, np.ndarray | np.floating) and a.dtype == np.float32 for a in arrays):
        return True
    values = np.concatenate([np.ravel(np.asarray(a, dtype=np.float64)) for a in arrays]) if arrays else np.zeros(0)
    values = values[np.isfinite(values) & (values != 0)]
    if values.size == 0:
        return False
    with np.errstate(all="ignore"):
        exact = values.astype(np.float32).astype(np.float64) == values
    return bool(exact.mean() >= 0.9)


@dataclasses.dataclass
class _Match:
    misconception: Misconception
    distance: float
    # The outputs the student got wrong that this mutant's whole output reproduces.
    explained: frozenset[str]


class _FailedTest:
    """One failing test: the student's and the reference's outputs, split into the function's named outputs."""

    def __init__(self, part: Part, case: Case, student: Any, reference: Any) -> None:
        self.part, self.case = part, case
        self.student, self.reference = student, reference
        self.all_paths: tuple[str, ...] = part.outputs or (tuple(reference) if isinstance(reference, dict) else ())
        self.wrong = frozenset(p for p in self.all_paths if not self.right(p))
        self.non_finite = any(self._non_finite(p) for p in self.wrong)
        self.outputs: dict[str, Any] = {}

    def right(self, path: str) -> bool:
        s = get_output(self.student, self.part, path)
        ref = get_output(self.reference, self.part, path)
        return s is not _MISSING and _close(s, ref, self.part.rtol, self.part.atol)

    def _non_finite(self, path: str) -> bool:
        """NaN or inf in the student's output where the reference's is finite."""
        ls = numeric_leaves(get_output(self.student, self.part, path))
        lr = numeric_leaves(get_output(self.reference, self.part, path))
        if not ls or not lr or len(ls) != len(lr):
            return False
        return any(s.shape == r.shape and bool(np.any(~np.isfinite(s) & np.isfinite(r)))
                   for s, r in zip(ls, lr, strict=True))

    def run(self, variant: Mutant) -> Any:
        """The mutant's output on copies of the case's inputs (once per distinct source), or _MISSING."""
        if variant.source not in self.outputs:
            try:
                with np.errstate(all="ignore"):
                    self.outputs[variant.source] = variant.run(*copy_value(self.case.args))
            except Exception:  # the mutant may fail on some shapes: that variant simply does not apply
                self.outputs[variant.source] = _MISSING
        return self.outputs[variant.source]

    def tolerance(self, m: Misconception, ref: Any) -> tuple[float, float]:
        if m.loose:
            return LOOSE_RTOL, LOOSE_ATOL_FRACTION * _magnitude(ref) + self.part.atol
        return self.part.rtol * EXACT_TOLERANCE_FACTOR, self.part.atol * EXACT_TOLERANCE_FACTOR

    def try_variant(self, m: Misconception, variant: Mutant) -> _Match | None:
        paths = variant.paths or self.all_paths
        # An exact mistake changes every output it is matched on; float32 rounding might spare one.
        if not paths or not (set(paths) & self.wrong if m.loose else set(paths) <= self.wrong):
            return None
        if m.non_finite_only and not self.non_finite:
            return None
        out = self.run(variant)
        if out is _MISSING:
            return None
        refs = {p: get_output(self.reference, self.part, p) for p in self.all_paths}
        muts = {p: get_output(out, self.part, p) for p in self.all_paths}
        studs = {p: get_output(self.student, self.part, p) for p in self.all_paths}
        if all(_close(muts[p], refs[p], self.part.rtol, self.part.atol) for p in paths):
            return None  # coincides with the reference on this case: says nothing
        if m.loose and not _float32_evidence([studs[p] for p in paths]):
            return None
        tols = {p: self.tolerance(m, refs[p]) for p in self.all_paths}
        if not all(_close(studs[p], muts[p], *tols[p], equal_nan=True) for p in paths):
            return None
        shown = [p for p in paths if studs[p] is not _MISSING]
        to_mutant = max((_distance(studs[p], muts[p], tols[p][1], equal_nan=True) for p in shown), default=0.0)
        to_reference = max((_distance(studs[p], refs[p], self.part.atol) for p in shown),
                           default=float("inf"))
        if to_mutant >= to_reference:
            return None
        explained = frozenset(p for p in self.wrong if _close(studs[p], muts[p], *tols[p], equal_nan=True))
        return _Match(m, to_mutant, explained)


class MutantMatcher:
    """The misconceptions of one exercise, and the matching of failing outputs against their mutants."""

    def __init__(self, misconceptions: Sequence[Misconception]) -> None:
        self.misconceptions = tuple(misconceptions)

    def variants_for(self, function: str) -> list[tuple[Misconception, Mutant]]:
        """The mutants to try on a failing test of `function`, exact mistakes before loose ones."""
        found = [(m, v) for m in self.misconceptions if not m.by_harness for v in m.variants
                 if v.function == function]
        return sorted(found, key=lambda mv: mv[0].loose)

    def diagnose(self, part: Part, case: Case, student: Any, reference: Any) -> list[Misconception]:
        """The catalogued mistakes whose mutant reproduces `student` on this case, most likely first (at most 2).

        A variant counts only if (1) its output differs from the reference on the outputs it is matched on (so
        a mutant that coincides with the reference here is never reported), (2) the student's output equals
        the mutant's on every one of them, within a tolerance a bit wider than the real one (float32 variants:
        a loose one, and only when no exact mistake matches), and (3) the student's output is closer to the
        mutant's than to the reference's. The mistake whose whole output reproduces more of the student's
        wrong outputs ranks first; a second one is reported only if it explains something the first does not,
        or exactly the same outputs (then the case cannot tell them apart and both are named).
        """
        test = _FailedTest(part, case, student, reference)
        if not test.wrong:
            return []
        started = time.thread_time()
        matches: dict[str, _Match] = {}
        # Once a mistake reproduces every wrong output, only a tie can still be named beside it: look for one
        # among the variants matched on the same outputs only (saves most of the mutant runs).
        complete: tuple[str, ...] | None = None
        for m, variant in self.variants_for(part.function):
            if m.name in matches or (complete is not None and variant.paths != complete):
                continue
            if m.loose and matches:
                break  # an exact mistake explains the output better than rounding does
            if time.thread_time() - started > EXPLAIN_BUDGET_S:
                log.warning("explain budget used up on %s", case.name)
                break
            found = test.try_variant(m, variant)
            if found is not None:
                matches[m.name] = found
                if complete is None and found.explained == test.wrong:
                    complete = variant.paths
        ranked = sorted(matches.values(), key=lambda x: (-len(x.explained), x.distance))
        if not ranked:
            return []
        first = ranked[0]
        report = [first] + [x for x in ranked[1:] if not x.explained < first.explained][: MAX_REPORTED - 1]
        return [x.misconception for x in report]

