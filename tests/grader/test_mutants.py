"""grader.mutants on a toy exercise: a mistake is named only when its mutant explains every failing test of the
part and passes where the student passes; two independent mistakes are named together; candidates the tests
cannot tell apart are not named at all."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from grader import mutants
from grader.exercise import Case, Part
from grader.hooks import NO_ANSWER, Observation
from grader.mutants import Misconception, MutantMatcher
from grader.result import Outcome, Text

PART = Part(name="p", function="f", points=1.0, rtol=1e-9, atol=1e-12, title=Text(en="p", zh="p"), outputs=("a", "b"))


def reference(x: np.ndarray[Any, Any]) -> tuple[Any, Any]:
    return x.copy(), 2 * x


@dataclass(frozen=True)
class Toy:
    function: str
    source: str
    run: Callable[..., Any]
    paths: tuple[str, ...] = ()


def mistake(name: str, run: Callable[..., Any], source: str | None = None) -> Misconception:
    return Misconception(name, "p", Text(en=name, zh=name), Text(en="", zh=""), (Toy("f", source or name, run),))


SHIFT_A = mistake("p.shift_a", lambda x: (x + 1, 2 * x))
SHIFT_B = mistake("p.shift_b", lambda x: (x, 2 * x + 1))
# Shifts `a` only where x > 0: the same as SHIFT_A on positive inputs, right elsewhere.
SHIFT_A_POSITIVE = mistake("p.shift_a_positive", lambda x: (np.where(x > 0, x + 1, x), 2 * x))
CASES = [Case("p", f"p/{k}", Text(en="", zh=""), (np.array(v),)) for k, v in
         enumerate([[1.0, 2.0], [3.0, 4.0], [-1.0, -2.0], [5.0, -6.0]])]


def observe(student: Callable[..., Any], cases: list[Case] = CASES) -> list[Observation]:
    out = []
    for case in cases:
        ref = reference(*case.args)
        value = student(*case.args)
        right = all(np.allclose(s, r, rtol=PART.rtol, atol=PART.atol) for s, r in zip(value, ref, strict=True))
        out.append(Observation(case, Outcome.passed if right else Outcome.wrong_answer, value, ref))
    return out


def named(matcher: MutantMatcher, observations: list[Observation]) -> list[list[str]]:
    return matcher.name_part(PART, observations)


def test_a_mistake_that_explains_every_failing_test_is_named_on_each() -> None:
    matcher = MutantMatcher([SHIFT_A, SHIFT_B])
    assert named(matcher, observe(SHIFT_A.variants[0].run)) == [["p.shift_a"]] * 4


def test_a_mistake_that_coincides_on_some_tests_only_is_not_named() -> None:
    """The student shifts `a` everywhere; the positive-only mutant explains the positive cases and is right on
    the negative one the student fails: it does not explain the part."""
    matcher = MutantMatcher([SHIFT_A_POSITIVE])
    assert named(matcher, observe(SHIFT_A.variants[0].run)) == [[]] * 4
    # One failing test on its own cannot tell them apart.
    first = observe(SHIFT_A.variants[0].run)[0]
    assert matcher.diagnose(PART, first.case, first.student, first.reference) == [SHIFT_A_POSITIVE]


def test_a_mistake_whose_mutant_fails_where_the_student_passes_is_not_named() -> None:
    """The student shifts `a` only where x > 0: on the all-negative case they pass and SHIFT_A does not."""
    observations = observe(SHIFT_A_POSITIVE.variants[0].run)
    assert [o.outcome for o in observations] == [Outcome.wrong_answer] * 2 + [Outcome.passed, Outcome.wrong_answer]
    assert named(MutantMatcher([SHIFT_A]), observations) == [[]] * 4
    assert named(MutantMatcher([SHIFT_A, SHIFT_A_POSITIVE]), observations) == [["p.shift_a_positive"]] * 2 + [
        [], ["p.shift_a_positive"]]


def test_two_independent_mistakes_are_named_together_where_each_shows() -> None:
    both = observe(lambda x: (np.where(x > 0, x + 1, x), 2 * x + 1))
    assert named(MutantMatcher([SHIFT_A_POSITIVE, SHIFT_B]), both) == [
        ["p.shift_a_positive", "p.shift_b"], ["p.shift_a_positive", "p.shift_b"], ["p.shift_b"],
        ["p.shift_a_positive", "p.shift_b"]]


def test_candidates_the_tests_cannot_tell_apart_are_not_named() -> None:
    twin = mistake("p.twin_of_a", lambda x: (1 + x, x * 2), source="another way of writing it")
    assert named(MutantMatcher([SHIFT_A, twin]), observe(SHIFT_A.variants[0].run)) == [[]] * 4


def test_an_error_no_mutant_reproduces_is_not_named() -> None:
    assert named(MutantMatcher([SHIFT_A, SHIFT_B]), observe(lambda x: (x + 1, 2 * x + 3))) == [[]] * 4
    assert named(MutantMatcher([SHIFT_A]), observe(lambda x: (x + 1 + 1e-6, 2 * x))) == [[]] * 4


def test_a_crash_or_an_unreadable_answer_in_the_part_names_nothing() -> None:
    observations = observe(SHIFT_A.variants[0].run)
    crashed = [*observations[:3], Observation(CASES[3], Outcome.runtime_error, NO_ANSWER, observations[3].reference)]
    assert named(MutantMatcher([SHIFT_A]), crashed) == [[]] * 4
    unreadable = [*observations[:3], Observation(CASES[3], Outcome.wrong_answer, NO_ANSWER, observations[3].reference)]
    assert named(MutantMatcher([SHIFT_A]), unreadable) == [[]] * 4
    # A test that ran out of time says nothing either way.
    slow = [*observations[:3], Observation(CASES[3], Outcome.time_limit, NO_ANSWER, observations[3].reference)]
    assert named(MutantMatcher([SHIFT_A]), slow) == [["p.shift_a"]] * 3 + [[]]


def test_when_the_budget_runs_out_nothing_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mutants, "EXPLAIN_BUDGET_S", -1.0)
    assert named(MutantMatcher([SHIFT_A]), observe(SHIFT_A.variants[0].run)) == [[]] * 4


def test_a_mutant_that_raises_on_a_failing_test_does_not_apply() -> None:
    def fragile(x: np.ndarray[Any, Any]) -> tuple[Any, Any]:
        if x[0] < 0:
            raise ValueError("not for negative inputs")
        return x + 1, 2 * x

    assert named(MutantMatcher([mistake("p.fragile", fragile)]), observe(SHIFT_A.variants[0].run)) == [[]] * 4


def test_of_two_candidates_within_the_wider_tolerance_the_one_within_the_parts_own_is_named() -> None:
    near = mistake("p.near_a", lambda x: (x + 1 + 5 * PART.rtol * np.abs(x + 1), 2 * x))  # within 10x, not 1x
    assert named(MutantMatcher([near, SHIFT_A]), observe(SHIFT_A.variants[0].run)) == [["p.shift_a"]] * 4
    # A student between them fits both at the wider tolerance and neither at the part's own: none is named,
    # and no pair of partial explanations is tried instead.
    between = observe(lambda x: (x + 1 + 2.5 * PART.rtol * np.abs(x + 1), 2 * x))
    assert named(MutantMatcher([near, SHIFT_A, SHIFT_B]), between) == [[]] * 4
