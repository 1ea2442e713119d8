"""reference.rnn_feedback's hooks, called directly (no subprocess): matching is robust, and the part-level
patterns read the right things from the case facts."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest

from grader.exercise import DEFAULT_EXERCISES_DIR, Case, Part, copy_value, load_spec
from grader.result import Outcome, TestResult, Text
from reference import rnn, rnn_feedback
from reference.rnn_feedback import CATALOG, explain, explain_part, misconception_catalogue
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


def test_a_mutant_that_coincides_with_the_reference_on_this_case_is_not_reported() -> None:
    c = case("backward/single_step")  # T=1: no recurrence, so no_dh_next changes nothing here
    student = mutant("backward.no_dh_next", c)
    student["W_hy"] = student["W_hy"] + 1.0  # fails for another, unknown reason
    texts, names = explain(part("backward"), c, student, reference(c))
    assert names == [] and texts == []


def test_a_small_unexplained_error_is_not_blamed_on_any_mistake() -> None:
    for name in ("forward/random_1", "backward/random_1", "clip/far_above"):
        c = case(name)
        ref = reference(c)
        noisy = _map(ref, lambda a: a * (1 + 3e-8))  # not float32 numbers, not any mutant
        assert explain(part(c.part), c, noisy, ref) == ([], [])


def _map(value: Any, f: Any) -> Any:
    if isinstance(value, dict):
        return {k: _map(v, f) for k, v in value.items()}
    if isinstance(value, tuple):
        return tuple(_map(v, f) for v in value)
    return f(value)


@pytest.mark.parametrize("k", range(len(BY_NAME["forward.tanh_overflows"].variants)))
def test_a_tanh_that_overflows_is_named_on_the_extreme_case(k: int) -> None:
    c = case("forward/extreme")
    student = mutant("forward.tanh_overflows", c, k)
    assert not np.all(np.isfinite(student[1]))
    texts, names = explain(part("forward"), c, student, reference(c))
    assert names == ["forward.tanh_overflows"]
    # the named mistake's hint is said once per part (grader/mistakes.py), from the catalogue
    hint = {m["name"]: m["hint"] for m in misconception_catalogue()}["forward.tanh_overflows"]
    assert hint["en"].lower().startswith("use np.tanh; this formula overflows") and "请使用 np.tanh" in hint["zh"]
    assert not any("Use np.tanh; this formula overflows" in t.en for t in texts)


@pytest.mark.parametrize("name,k", [("forward/long_exploding", 0), ("forward/random_2", 1), ("backward/saturated", 2),
                                    ("backward/long_vanishing", 3), ("clip/mixed_shapes", 4), ("clip/just_above", 5)])
def test_float32_is_recognised_whether_or_not_the_result_is_cast_back(name: str, k: int) -> None:
    c = case(name)
    texts, names = explain(part(c.part), c, mutant("float32_precision", c, k), reference(c))
    assert names == ["float32_precision"]
    hint = {m["name"]: m["hint"] for m in misconception_catalogue()}["float32_precision"]
    assert "float32" in hint["en"] and "float32" in hint["zh"]
    assert not any("float32 keeps" in t.en for t in texts)  # the hint is said once per part, not per test


def test_an_exact_mistake_wins_over_float32_rounding() -> None:
    c = case("clip/just_above")
    _, names = explain(part("clip"), c, mutant("clip.no_epsilon", c), reference(c))
    assert names == ["clip.no_epsilon"]


def test_a_mistake_that_explains_more_outputs_hides_one_that_explains_a_subset() -> None:
    # Only the last dy: on a long vanishing sequence dL/dh0 is ~0, which dh0_missing (zeros) also reproduces.
    c = case("backward/long_vanishing")
    _, names = explain(part("backward"), c, mutant("backward.only_last_dy", c), reference(c))
    assert names == ["backward.only_last_dy"]


def test_two_mistakes_that_this_case_cannot_tell_apart_are_both_named() -> None:
    c = case("forward/zero_h0")  # h0 = 0: "no W_hh h_{t-1}" and "h_{t-1} never updated" give the same h
    _, names = explain(part("forward"), c, mutant("forward.no_recurrence", c), reference(c))
    assert set(names) == {"forward.no_recurrence", "forward.h_prev_not_updated"}


def test_shape_based_mistakes_are_matched_on_shape_and_values() -> None:
    c = case("forward/random_1")
    _, names = explain(part("forward"), c, mutant("forward.h_includes_h0", c), reference(c))
    assert names == ["forward.h_includes_h0"]
    c = case("backward/non_square")
    for k in range(4):
        _, names = explain(part("backward"), c, mutant("backward.bias_wrong_axis", c, k), reference(c))
        assert names == ["backward.bias_wrong_axis"], k
    student = reference(c)
    del student["h0"]  # a missing key is the dh0_missing mistake too
    assert explain(part("backward"), c, student, reference(c))[1] == ["backward.dh0_missing"]


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


def test_explaining_the_largest_case_stays_fast() -> None:
    c = max((x for x in CASES if x.part == "backward"), key=lambda x: x.facts["T"] * x.facts["H"])
    started = time.thread_time()  # the budget is CPU time of this thread: a loaded machine does not count
    explain(part("backward"), c, mutant("float32_precision", c, 2), reference(c))  # tries every variant
    assert time.thread_time() - started < 1.0


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
