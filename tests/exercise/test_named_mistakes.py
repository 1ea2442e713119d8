"""Named mistakes of exercise `rnn`, precision first (reference.rnn_feedback.name_mistakes over
grader.mutants): the hook called directly on a part's observations (no subprocess), with students that are the
catalogue's own mutants and students written by others (tests/exercise/written_mistakes.py).

The issue's cases: elementwise clipping was named "clip.per_tensor_norm", a backward whose first step uses h_T
was named "dW_hh uses h_t", and truncated BPTT, dW_hh assuming h0 = 0, a clip returning max_norm and a float32
recurrence were not named at all.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from written_mistakes import write

from grader.compare import compare
from grader.exercise import DEFAULT_EXERCISES_DIR, Case, copy_value, load_spec
from grader.hooks import Observation
from grader.result import Outcome
from reference import rnn
from reference.rnn_feedback import MATCHER, misconception_catalogue, name_mistakes
from reference.rnn_mutants import BY_NAME, PART_OF

SPEC = load_spec(DEFAULT_EXERCISES_DIR / "rnn")
SEEDS = (5, 6, 7)
Student = Callable[[Case], Any]


def observe(part_name: str, student: Student, seed: int = SEEDS[0]) -> list[Observation]:
    """The part's scored tests as the grader sees them: passed or wrong, with both answers."""
    part = SPEC.part(part_name)
    out = []
    for case in (c for c in rnn.hidden_cases(seed) if c.part == part_name):
        ref = getattr(rnn, part.function)(*copy_value(case.args))
        with np.errstate(all="ignore"):
            value = student(case)
        ok = compare(value, ref, part, dict(case.facts)).ok
        out.append(Observation(case, Outcome.passed if ok else Outcome.wrong_answer, value, ref))
    return out


def named(part_name: str, student: Student, seed: int = SEEDS[0]) -> set[str]:
    return {n for names in name_mistakes(SPEC.part(part_name), observe(part_name, student, seed)) for n in names}


def mutant(name: str, k: int = 0) -> Student:
    variant = BY_NAME[name].variants[k]
    return lambda case: variant.run(*copy_value(case.args))


def written(name: str, stem: str, function: str) -> Student:
    namespace: dict[str, Any] = {}
    exec(compile(write(name, stem), f"{stem}.py", "exec"), namespace)
    return lambda case: namespace[function](*copy_value(case.args))


def reference_of(case: Case) -> Any:
    return getattr(rnn, SPEC.part(case.part).function)(*copy_value(case.args))


# ---------------------------------------------------------------- the issue's mistakes, written by others

@pytest.mark.parametrize("name,stem,function", [
    ("clip.elementwise", "s05_vectorised", "clip_grad_norm"),
    ("clip.elementwise", "s07_functional", "clip_grad_norm"),
    ("clip.per_tensor_norm", "s02_einsum", "clip_grad_norm"),
    ("clip.per_tensor_norm", "s06_columns", "clip_grad_norm"),
    ("backward.first_step_uses_h_T", "s09_cache_dict", "rnn_backward"),  # a list where h0 was at index -1
    ("backward.first_step_uses_h_T", "s01_loops", "rnn_backward"),
    ("backward.truncated_bptt", "s01_loops", "rnn_backward"),  # k = 4, WildML's double loop
    ("backward.truncated_bptt", "s04_class", "rnn_backward"),  # k = 10
    ("backward.h0_assumed_zero", "s10_generator", "rnn_backward"),
    ("backward.h0_assumed_zero", "s05_vectorised", "rnn_backward"),
    ("clip.returns_max_norm", "s01_loops", "clip_grad_norm"),
    ("clip.returns_max_norm", "s06_columns", "clip_grad_norm"),  # min(total, max_norm)
    ("clip.norm_after_clipping", "s03_step_functions", "clip_grad_norm"),
    ("float32_precision", "s01_loops", "rnn_forward"),  # a float32 recurrence, float64 outputs
    ("float32_precision", "s10_generator", "rnn_backward"),  # the carried gradient in float32
])
def test_the_issues_mistakes_written_by_others_get_their_own_name(name: str, stem: str, function: str) -> None:
    part = PART_OF[function]
    for seed in SEEDS:
        assert named(part, written(name, stem, function), seed) == {name}, seed


def test_elementwise_and_per_array_clipping_are_told_apart_on_every_seed() -> None:
    for seed in range(1, 11):
        assert named("clip", mutant("clip.elementwise"), seed) == {"clip.elementwise"}, seed
        assert named("clip", mutant("clip.per_tensor_norm"), seed) == {"clip.per_tensor_norm"}, seed


def test_h_T_at_the_first_step_is_not_dw_hh_using_h_t() -> None:
    """On a single step the two coincide (h[-1] is h_1): that test alone names neither, the part names one."""
    student = mutant("backward.first_step_uses_h_T")
    single = next(o for o in observe("backward", student) if o.case.facts["T"] == 1)
    assert single.outcome is Outcome.wrong_answer
    assert MATCHER.diagnose(SPEC.part("backward"), single.case, single.student, single.reference) == []
    assert named("backward", student) == {"backward.first_step_uses_h_T"}
    assert named("backward", mutant("backward.dw_hh_uses_h_t")) == {"backward.dw_hh_uses_h_t"}


@pytest.mark.parametrize("k", [1, 4, 10, 32])
def test_truncated_bptt_is_named_whatever_k_the_catalogue_lists(k: int) -> None:
    variants = BY_NAME["backward.truncated_bptt"].variants
    index = next(i for i, v in enumerate(variants) if f"min({k}, T - 1)" in v.source)
    student = mutant("backward.truncated_bptt", index)
    assert named("backward", student) == {"backward.truncated_bptt"}
    # Sequences of at most k + 1 steps are exact: those tests pass, and that is part of the fingerprint.
    observations = observe("backward", student)
    assert all(o.outcome is Outcome.passed for o in observations if o.case.facts["T"] <= k + 1)
    assert any(o.outcome is Outcome.wrong_answer for o in observations)


def test_every_new_mistake_has_a_bilingual_title_and_hint() -> None:
    catalogue = {m["name"]: m for m in misconception_catalogue()}
    for name in ("clip.elementwise", "backward.truncated_bptt", "backward.h0_assumed_zero",
                 "backward.first_step_uses_h_T", "clip.returns_max_norm"):
        assert catalogue[name]["title"]["en"] and catalogue[name]["hint"]["zh"], name
    assert "float32" in catalogue["float32_precision"]["hint"]["en"]


# ---------------------------------------------------------------- precision first

def test_a_part_whose_failures_one_mistake_explains_only_in_part_names_nothing() -> None:
    """no_dh_next, except that the student also breaks W_hy on the single-step test."""
    def student(case: Case) -> Any:
        value = mutant("backward.no_dh_next")(case)
        if case.facts["T"] == 1:
            value["W_hy"] = value["W_hy"] + 1.0
        return value

    assert named("backward", student) == set()


def test_a_mistake_whose_mutant_fails_where_the_student_passes_is_not_named() -> None:
    """no_dh_next everywhere but on the long sequences, which the student gets right."""
    def student(case: Case) -> Any:
        if case.facts["kind"].startswith("long"):
            return reference_of(case)
        return mutant("backward.no_dh_next")(case)

    observations = observe("backward", student)
    assert any(o.outcome is Outcome.passed for o in observations)
    assert named("backward", student) == set()


def test_two_mistakes_changing_the_same_outputs_are_not_named() -> None:
    """Missing tanh derivative and no dh_next: neither mutant reproduces the student's gradients."""
    def student(case: Case) -> Any:
        dy, x, h0, h, W_xh, W_hh, W_hy = copy_value(case.args)
        grads = reference_of(case)
        da = dy @ W_hy  # no tanh derivative, nothing carried back
        grads.update(W_xh=np.einsum("tbh,tbi->hi", da, x), b_h=da.sum(axis=(0, 1)), x=da @ W_xh,
                     W_hh=np.einsum("tbh,tbk->hk", da, np.concatenate([h0[None], h[:-1]])), h0=da[0] @ W_hh)
        return grads

    assert named("backward", student) == set()


def test_a_small_unexplained_error_is_not_blamed_on_any_mistake() -> None:
    def scaled(value: Any) -> Any:  # not float32 numbers, not any mutant
        if isinstance(value, dict):
            return {k: scaled(v) for k, v in value.items()}
        if isinstance(value, tuple):
            return tuple(scaled(v) for v in value)
        return value * (1 + 3e-8)

    def noisy(case: Case) -> Any:
        return scaled(reference_of(case))

    for part in ("forward", "backward", "clip"):
        assert named(part, noisy) == set(), part


def test_an_exact_mistake_wins_over_float32_rounding() -> None:
    assert named("clip", mutant("clip.no_epsilon")) == {"clip.no_epsilon"}


def test_a_mistake_that_explains_every_output_wins_over_one_that_explains_some() -> None:
    # Only the last dy: on a long vanishing sequence dL/dh0 is ~0, which dh0_missing (zeros) also reproduces.
    assert named("backward", mutant("backward.only_last_dy")) == {"backward.only_last_dy"}


def test_no_recurrence_and_a_never_updated_state_are_told_apart_by_the_part() -> None:
    """With h0 = 0 they compute the same states: that test alone names neither."""
    observations = observe("forward", mutant("forward.no_recurrence"))
    zero = next(o for o in observations if o.case.facts["kind"] == "zero_h0")
    assert MATCHER.diagnose(SPEC.part("forward"), zero.case, zero.student, zero.reference) == []
    assert named("forward", mutant("forward.no_recurrence")) == {"forward.no_recurrence"}
    assert named("forward", mutant("forward.h_prev_not_updated")) == {"forward.h_prev_not_updated"}


@pytest.mark.parametrize("k", range(len(BY_NAME["forward.tanh_overflows"].variants)))
def test_a_tanh_that_overflows_is_named_on_the_extreme_case_only(k: int) -> None:
    student = mutant("forward.tanh_overflows", k)
    names = name_mistakes(SPEC.part("forward"), observe("forward", student))
    cases = [c for c in rnn.hidden_cases(SEEDS[0]) if c.part == "forward"]
    assert {c.facts["kind"] for c, n in zip(cases, names, strict=True) if n} == {"extreme"}
    assert {n for ns in names for n in ns} == {"forward.tanh_overflows"}


@pytest.mark.parametrize("k", range(len(BY_NAME["float32_precision"].variants)))
def test_float32_is_recognised_in_every_way_it_is_written(k: int) -> None:
    variant = BY_NAME["float32_precision"].variants[k]
    assert named(PART_OF[variant.function], mutant("float32_precision", k)) == {"float32_precision"}


def test_shape_based_mistakes_are_matched_on_shape_and_values() -> None:
    assert named("forward", mutant("forward.h_includes_h0")) == {"forward.h_includes_h0"}
    for k in range(4):
        assert named("backward", mutant("backward.bias_wrong_axis", k)) == {"backward.bias_wrong_axis"}, k

    def no_h0_key(case: Case) -> Any:
        value = reference_of(case)
        del value["h0"]  # a missing key is the dh0_missing mistake too
        return value

    assert named("backward", no_h0_key) == {"backward.dh0_missing"}


def test_naming_the_largest_part_stays_within_its_budget() -> None:
    observations = observe("backward", mutant("float32_precision", 2))  # tries every exact variant first
    started = time.thread_time()  # the budget is CPU time of this thread: a loaded machine does not count
    names = name_mistakes(SPEC.part("backward"), observations)
    assert time.thread_time() - started < 0.1 * len(observations)
    assert {n for ns in names for n in ns} == {"float32_precision"}
