"""What part-level feedback reads: one part's tests split by outcome with their case facts, and numeric
symptoms of a wrong output. An exercise's `explain_part` / `explain` hooks turn these into messages
(patterns such as "passes the one-step cases, fails the longer ones"); nothing here names an exercise."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from grader.exercise import Case
from grader.outputs import numeric_leaves
from grader.result import Outcome, TestResult


def failed(test: TestResult) -> bool:
    """The student's fault: anything but a pass or the grader's own error."""
    return test.outcome not in (Outcome.passed, Outcome.internal_error)


@dataclass(frozen=True)
class PartSummary:
    """One part's cases split by outcome; tests that hit a grader error are left out (they say nothing)."""

    failed: list[Case]
    passed: list[Case]
    failed_tests: list[TestResult]

    @classmethod
    def of(cls, cases: Sequence[Case], tests: Sequence[TestResult]) -> PartSummary:
        pairs = [(c, t) for c, t in zip(cases, tests, strict=True) if t.outcome is not Outcome.internal_error]
        return cls(failed=[c for c, t in pairs if failed(t)], passed=[c for c, t in pairs if not failed(t)],
                   failed_tests=[t for _, t in pairs if failed(t)])

    def facts(self, key: str, *, of_failed: bool) -> set[Any]:
        """The values of one case fact (e.g. "kind") among the failed or the passed cases."""
        return {c.facts.get(key) for c in (self.failed if of_failed else self.passed)}

    @property
    def kinds_failed(self) -> set[Any]:
        return self.facts("kind", of_failed=True)

    @property
    def kinds_passed(self) -> set[Any]:
        return self.facts("kind", of_failed=False)


def numeric_symptoms(student: Any, reference: Any) -> tuple[bool, bool]:
    """(non-finite values where the reference is finite, values orders of magnitude beyond the reference),
    over the numeric leaves the two outputs have at the same place with the same shape."""
    non_finite = blowup = False
    with np.errstate(all="ignore"):
        for s, r in _pairs(student, reference):
            if np.any(~np.isfinite(s) & np.isfinite(r)):
                non_finite = True
            elif s.size and np.max(np.abs(s)) > 1e6 * max(float(np.max(np.abs(r))), 1.0):
                blowup = True
    return non_finite, blowup


def _pairs(student: Any, reference: Any) -> list[tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]]:
    """(student, reference) numeric leaves at the same place and of the same shape."""
    if isinstance(reference, dict):
        if not isinstance(student, dict):
            return []
        return [p for k in reference if k in student for p in _pairs(student[k], reference[k])]
    if isinstance(reference, tuple):
        if not isinstance(student, tuple | list) or len(student) != len(reference):
            return []
        return [p for s, r in zip(student, reference, strict=True) for p in _pairs(s, r)]
    if isinstance(student, dict | tuple | list):
        return []
    s_leaves, r_leaves = numeric_leaves(student), numeric_leaves(reference)
    if not s_leaves or not r_leaves or s_leaves[0].shape != r_leaves[0].shape:
        return []
    return [(s_leaves[0], r_leaves[0])]
