"""reference.rnn_feedback's hooks, called directly (no subprocess): the numeric hints of one test, and the
part-level patterns read the right things from the case facts. Naming mistakes: test_named_mistakes.py."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np

from grader.exercise import DEFAULT_EXERCISES_DIR, Case, Part, copy_value, load_spec
from grader.result import Outcome, TestResult, Text
from reference import rnn, rnn_feedback
from reference.rnn_feedback import CATALOG, explain, explain_part
from reference.rnn_mutants import BY_NAME

SEED = 5
SPEC = load_spec(DEFAULT_EXERCISES_DIR / "rnn")
CASES = rnn.hidden_cases(SEED)


def part(name: str) -> Part:
    return SPEC.part(name)


def case(name: str) -> Case:
    return next(c for c in CASES if c.name == name)


def reference(c: Case) -> Any:
    return getattr(rnn, part(c.part).function)(*copy_value(c.args))


def mutant(name: str, c: Case, k: int = 0) -> Any:
    with np.errstate(all="ignore"):
        return BY_NAME[name].variants[k].run(*copy_value(c.args))


def text_of(key: str) -> str:
    return CATALOG[key]["en"]


def test_non_finite_and_exploding_values_get_a_hint_for_the_kind_of_case() -> None:
    c = case("forward/saturated")
    y, h = reference(c)
    texts, _ = explain(part("forward"), c, (y, np.where(np.abs(h) > 0.999, np.nan, h)), (y, h))
    assert texts[-1].en == text_of("nan_saturated")
    c = case("backward/long_exploding")
    ref = reference(c)
    broken = dict(ref, x=np.full_like(ref["x"], np.inf))
    assert explain(part("backward"), c, broken, ref)[0][-1].en == text_of("nan_exploding")
    c = case("forward/random_1")
    y, h = reference(c)
    assert explain(part("forward"), c, (y * 1e9, h), (y, h))[0][-1].en == text_of("blowup")


def test_chart_cases_are_not_explained() -> None:
    c = dataclasses.replace(case("backward/random_1"), scored=False)
    assert explain(part("backward"), c, mutant("backward.no_dh_next", c), reference(c)) == ([], [])


def test_a_failing_test_alone_names_nothing_the_part_does() -> None:
    """Names come from the part (name_mistakes, tests/exercise/test_named_mistakes.py), never from one test."""
    c = case("backward/random_1")
    texts, names = explain(part("backward"), c, mutant("backward.no_dh_next", c), reference(c))
    assert names == [] and all(isinstance(t, Text) for t in texts)


# ---------------------------------------------------------------- explain_part

def results(cases: Sequence[Case], failing: set[str], outcome: Outcome = Outcome.wrong_answer) -> list[TestResult]:
    return [TestResult(name=c.name, description=c.description, score=0.0, max_score=1.0,
                       outcome=outcome if c.facts["kind"] in failing else Outcome.passed) for c in cases]


def patterns(part_name: str, failing: set[str], outcome: Outcome = Outcome.wrong_answer) -> list[str]:
    cases = [c for c in CASES if c.part == part_name]
    texts = explain_part(part(part_name), cases, results(cases, failing, outcome))
    assert len(texts) <= 2 and all(isinstance(t, Text) and t.zh for t in texts)
    by_text = {entry["en"]: key for key, entry in CATALOG.items()}
    return [by_text[t.en] for t in texts]


RNN_KINDS = {"single_step", "long_vanishing", "long_exploding", "saturated", "zero_h0", "non_square", "random"}


def test_passing_t1_and_failing_longer_sequences_points_at_the_recurrence() -> None:
    assert patterns("backward", RNN_KINDS - {"single_step"}) == ["pattern_recurrence_backward"]
    assert patterns("forward", RNN_KINDS - {"single_step"}) == ["pattern_recurrence_forward"]


def test_failing_even_t1_in_backward_points_at_one_steps_derivatives() -> None:
    assert patterns("backward", RNN_KINDS) == ["pattern_local_backward"]
    assert patterns("forward", RNN_KINDS) == []


def test_failing_only_the_long_sequences() -> None:
    assert patterns("backward", {"long_exploding"}) == ["pattern_exploding_only"]
    assert patterns("forward", {"long_vanishing"}) == ["pattern_vanishing_only"]
    assert patterns("forward", {"long_vanishing", "long_exploding"}) == ["pattern_long_only"]
    assert patterns("forward", {"long_vanishing", "long_exploding"}, Outcome.time_limit) == ["pattern_slow_long"]


def test_failing_only_one_special_kind() -> None:
    assert patterns("forward", {"saturated"}) == ["pattern_saturated_only"]
    assert patterns("backward", {"non_square"}) == ["pattern_non_square_only"]
    assert patterns("backward", {"zero_h0"}) == ["pattern_zero_h0_only"]
    assert patterns("forward", RNN_KINDS - {"zero_h0"}) == ["pattern_only_zero_h0_passes"]
    assert patterns("forward", RNN_KINDS - {"zero_h0"} | {"extreme"}) == ["pattern_only_zero_h0_passes"]
    assert patterns("forward", {"extreme"}) == ["pattern_extreme_only"]  # not "the recurrence is wrong"


def test_nothing_failed_or_only_the_grader_failed_says_nothing() -> None:
    assert patterns("backward", set()) == []
    assert patterns("backward", RNN_KINDS, Outcome.internal_error) == []


def test_clip_patterns_by_where_the_norm_lies() -> None:
    assert patterns("clip", {"far_below", "just_below"}) == ["pattern_clip_below_only"]
    assert patterns("clip", {"far_below"}) == ["pattern_clip_below_only"]
    assert patterns("clip", {"just_below", "just_above"}) == ["pattern_clip_threshold"]
    assert patterns("clip", {"single_array", "mixed_shapes"}) == ["pattern_clip_layout"]
    assert patterns("clip", {"just_above", "far_above", "single_array", "mixed_shapes"}) == ["pattern_clip_above_only"]
    assert patterns("clip", {"far_below", "far_above"}) == []
    assert patterns("clip", {"far_below", "just_below", "just_above", "far_above", "single_array",
                             "mixed_shapes"}) == []


def test_the_hooks_are_where_the_grader_looks_for_them() -> None:
    for name in ("explain", "explain_part", "chart_cases", "chart", "misconception_catalogue"):
        assert callable(getattr(rnn_feedback, name))
