"""The hint levels of every exercise's catalogue (grader.hints): three levels in both languages for every named
mistake of every exercise in exercises/, none quoting the reference's code; and, for `rnn`, every worked
example's numbers are what the base solution and the mistake's own mutant compute on the example's inputs."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from grader.exercise import load_exercises
from grader.hints import LEVELS
from grader.mistakes import catalogue_of
from reference.rnn_mutants import BASE_SOURCE, BY_NAME, MISCONCEPTIONS

EXERCISES = load_exercises()


def _cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def _code_lines(source: str) -> set[str]:
    """Lines of trusted solution code long enough to be a giveaway if a hint quoted them."""
    lines = {line.strip() for line in source.splitlines()}
    return {line for line in lines if len(line) >= 16 and not line.startswith(("#", '"', "'")) and
            re.search(r"[=(]", line)}


@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
def test_every_named_mistake_has_three_levels_in_english_and_chinese(exercise_id: str) -> None:
    exercise = EXERCISES[exercise_id]
    entries = exercise.hooks.misconception_catalogue()
    assert entries, f"{exercise_id} names no mistakes"
    solution = _code_lines(inspect.getsource(exercise.module))
    for entry in entries:
        name = entry["name"]
        levels = entry.get("hints")
        assert isinstance(levels, list) and len(levels) == LEVELS, (exercise_id, name)
        assert levels[0] == entry["hint"], name  # level 1 is the hint every student gets first
        assert len({level["en"] for level in levels}) == LEVELS, name  # each level says something new
        for n, level in enumerate(levels, 1):
            assert set(level) == {"en", "zh"}, (name, n)
            assert level["en"].strip() and level["zh"].strip(), (name, n)
            assert _cjk(level["zh"]) and not _cjk(level["en"]), (name, n)
            quoted = [line for line in solution if line in level["en"] or line in level["zh"]]
            assert not quoted, (name, n, quoted)
    # What the grader keeps of them (grader.mistakes): every level, in order.
    for name, described in catalogue_of(exercise.hooks).items():
        assert len(described.hints) == LEVELS and described.hints[0] == described.hint, name


def test_rnn_levels_never_quote_the_base_solution_either() -> None:
    base = _code_lines(BASE_SOURCE)
    for m in MISCONCEPTIONS:
        for level in m.hints[1:]:
            assert not [line for line in base if line in level.en or line in level.zh], m.name


# ---------------------------------------------------------------- the worked examples of `rnn`
def _a(*shape_and_values: Any) -> np.ndarray:
    *shape, values = shape_and_values
    return np.array(values, dtype=np.float64).reshape(shape)


def forward(x: list[float], h0: float, W_xh: float, W_hh: float, b_h: float, W_hy: float = 1.0,
            b_y: float = 0.0) -> tuple[np.ndarray, ...]:
    """rnn_forward's arguments for one unit and one sample."""
    T = len(x)
    return (_a(T, 1, 1, x), _a(1, 1, h0), _a(1, 1, W_xh), _a(1, 1, W_hh), _a(1, b_h), _a(1, 1, W_hy), _a(1, b_y))


def backward(dy: list[float], x: list[float], h0: float, h: list[float], W_hh: float, W_hy: float,
             W_xh: float = 1.0) -> tuple[np.ndarray, ...]:
    """rnn_backward's arguments for one unit and one sample."""
    T = len(dy)
    return (_a(T, 1, 1, dy), _a(T, 1, 1, x), _a(1, 1, h0), _a(T, 1, 1, h), _a(1, 1, W_xh), _a(1, 1, W_hh),
            _a(1, 1, W_hy))


def clip(max_norm: float, **grads: float) -> tuple[Any, ...]:
    return {k: _a(1, 1, v) for k, v in grads.items()}, max_norm


@dataclass(frozen=True)
class Worked:
    """One number the example states: the base solution's and the mutant's value of one output entry, as the
    text writes them (rounded to the digits shown)."""

    args: tuple[Any, ...]
    output: Callable[[Any], float]
    right: str
    wrong: str
    variant: int = 0


def out(key: int | str, *index: int) -> Callable[[Any], float]:
    return lambda result: float(np.asarray(result[key])[index] if index else np.asarray(result[key]).ravel()[0])


FORWARD_T2 = forward([1, 0], 0, 1, 0.5, 0)
RECURRENT_T2 = forward([0, 0], 0.5, 1, 1, 0)
ONE_STEP = forward([1], 0, 1, 1, 0)
BACKWARD_T1 = backward([1], [1], 0, [0.5], W_hh=1, W_hy=2)
H_ZERO_T2 = backward([0, 1], [0, 0], 0, [0, 0], W_hh=0.5, W_hy=1)
TWO_GRADS = {"a": 3.0, "b": 4.0}

WORKED: dict[str, list[Worked]] = {
    "forward.h_prev_not_updated": [Worked(FORWARD_T2, out(1, 1, 0, 0), "0.3634", "0")],
    "forward.no_recurrence": [Worked(RECURRENT_T2, out(1, 0, 0, 0), "0.4621", "0"),
                              Worked(RECURRENT_T2, out(1, 1, 0, 0), "0.4318", "0")],
    "forward.missing_b_h": [Worked(forward([0], 0, 1, 1, 0.5), out(1), "0.4621", "0")],
    "forward.missing_b_y": [Worked(forward([0], 0, 1, 1, 0, 2, 0.3), out(0), "0.3", "0")],
    "forward.h_includes_h0": [Worked(RECURRENT_T2, out(1, 0, 0, 0), "0.4621", "0.5"),
                              Worked(RECURRENT_T2, out(1, 1, 0, 0), "0.4318", "0.4621")],
    "forward.wrong_activation": [Worked(ONE_STEP, out(1), "0.7616", "0.7311"),
                                 Worked(ONE_STEP, out(1), "0.7616", "1", variant=1)],
    "forward.tanh_overflows": [Worked(forward([400], 0, 1, 1, 0), out(1), "1.0", "nan")],
    "forward.y_from_h_prev": [Worked(ONE_STEP, out(0), "0.7616", "0")],
    "float32_precision": [Worked(forward([0.1], 0, 1, 1, 0), out(1), "0.09966799462495582", "0.09966799616813660")],
    "backward.missing_tanh_derivative": [Worked(BACKWARD_T1, out("b_h"), "1.5", "2"),
                                         Worked(BACKWARD_T1, out("W_xh"), "1.5", "2")],
    "backward.tanh_derivative_wrong_value": [Worked(BACKWARD_T1, out("b_h"), "1.5", "1.5729"),
                                             Worked(BACKWARD_T1, out("b_h"), "1.5", "2", variant=1)],
    "backward.no_dh_next": [Worked(H_ZERO_T2, out("b_h"), "1.5", "1"), Worked(H_ZERO_T2, out("h0"), "0.25", "0")],
    "backward.dw_hh_uses_h_t": [Worked(backward([1], [1], 0.2, [0.5], W_hh=1, W_hy=2), out("W_hh"), "0.3", "0.75")],
    "backward.dh0_missing": [Worked(BACKWARD_T1, out("h0"), "1.5", "0")],
    "backward.dh0_off_by_one": [Worked(backward([1], [1], 0, [0.5], W_hh=0.5, W_hy=2), out("h0"), "0.75", "2")],
    "backward.only_last_dy": [Worked(backward([1, 1], [0, 0], 0, [0, 0], W_hh=0.5, W_hy=1), out("b_h"), "2.5",
                                     "1.5")],
    "backward.truncated_bptt": [  # variant 0 is k = 1
        Worked(backward([0, 0, 1], [0, 0, 0], 0, [0, 0, 0], W_hh=0.5, W_hy=1), out("b_h"), "1.75", "1.5"),
        Worked(backward([0, 0, 1], [0, 0, 0], 0, [0, 0, 0], W_hh=0.5, W_hy=1), out("h0"), "0.125", "0"),
        Worked(backward([0, 0, 1], [0, 0, 0], 0, [0, 0, 0], W_hh=0.5, W_hy=1), out("x", 0, 0, 0), "0.25", "0")],
    "backward.h0_assumed_zero": [Worked(backward([1], [1], 0.5, [0], W_hh=0.5, W_hy=1), out("W_hh"), "0.5", "0"),
                                 Worked(backward([1], [1], 0.5, [0], W_hh=0.5, W_hy=1), out("h0"), "0.5", "0",
                                        variant=1)],
    "backward.first_step_uses_h_T": [Worked(backward([1, 0], [0, 0], 0.2, [0, 0.6], W_hh=0.5, W_hy=1), out("W_hh"),
                                            "0.2", "0.6")],
    "clip.per_tensor_norm": [Worked(clip(1, **TWO_GRADS), lambda r: r[0]["a"][0, 0], "0.6", "1"),
                             Worked(clip(1, **TWO_GRADS), lambda r: r[0]["b"][0, 0], "0.8", "1")],
    "clip.elementwise": [Worked(clip(3.5, **TWO_GRADS), lambda r: r[0]["a"][0, 0], "2.1", "3"),
                         Worked(clip(3.5, **TWO_GRADS), lambda r: r[0]["b"][0, 0], "2.8", "3.5")],
    "clip.always_rescales": [Worked(clip(10, **TWO_GRADS), lambda r: r[0]["a"][0, 0], "3", "6"),
                             Worked(clip(10, **TWO_GRADS), lambda r: r[0]["b"][0, 0], "4", "8")],
    "clip.norm_after_clipping": [Worked(clip(1, **TWO_GRADS), lambda r: r[1], "5", "1")],
    "clip.returns_max_norm": [Worked(clip(2, **TWO_GRADS), lambda r: r[1], "5", "2"),
                              Worked(clip(2, **TWO_GRADS), lambda r: r[1], "5", "2", variant=1)],
    "clip.max_norm_below_one_ignored": [Worked(clip(0.5, **TWO_GRADS), lambda r: r[0]["a"][0, 0], "0.3", "0.6"),
                                        Worked(clip(0.5, **TWO_GRADS), lambda r: r[0]["b"][0, 0], "0.4", "0.8")],
    "clip.norm_without_sqrt": [Worked(clip(1, **TWO_GRADS), lambda r: r[1], "5", "25"),
                               Worked(clip(1, **TWO_GRADS), lambda r: r[0]["a"][0, 0], "0.6", "0.12")],
    "clip.sum_of_norms": [Worked(clip(1, **TWO_GRADS), lambda r: r[1], "5", "7"),
                          Worked(clip(1, **TWO_GRADS), lambda r: r[0]["a"][0, 0], "0.6", "0.4286"),
                          Worked(clip(1, **TWO_GRADS), lambda r: r[0]["b"][0, 0], "0.8", "0.5714")],
    "clip.no_epsilon": [Worked(clip(1, **TWO_GRADS), lambda r: r[0]["a"][0, 0], "0.59999988", "0.6")],
    "mutates_inputs": [Worked(clip(1, W=3.0), lambda r: r[0]["W"][0, 0], "1.0", "1.0")],
}
# On a 1x1 case these cannot show (a transpose of a 1x1 matrix, a sum over one row): their example says so and
# uses the smallest case that shows them, checked below with plain NumPy.
NOT_ON_1X1 = {"forward.w_hh_not_transposed", "backward.w_hh_transposed_in_carry",
              "backward.weight_gradient_transposed", "backward.bias_wrong_axis"}


def _shown(value: float, text: str) -> bool:
    """The value rounded as the text writes it (the text's number has as many decimals as it shows)."""
    if np.isnan(float(text)):
        return bool(np.isnan(value))
    decimals = len(text.split(".")[1]) if "." in text else 0
    return bool(abs(value - float(text)) <= 0.5 * 10.0 ** -decimals + 1e-12)


def _functions() -> dict[str, Callable[..., Any]]:
    namespace: dict[str, Any] = {"np": np}
    exec(compile(BASE_SOURCE, "<base>", "exec"), namespace)
    return namespace


def test_every_rnn_mistake_has_a_checked_example() -> None:
    assert set(WORKED) | NOT_ON_1X1 == set(BY_NAME)


@pytest.mark.parametrize("name", sorted(WORKED))
def test_the_worked_example_states_what_the_solution_and_the_mistake_compute(name: str) -> None:
    base = _functions()
    example = BY_NAME[name].hints[2]
    for worked in WORKED[name]:
        variant = BY_NAME[name].variants[worked.variant]
        copies = [np.copy(a) if isinstance(a, np.ndarray) else a for a in worked.args]
        if isinstance(copies[0], dict):
            copies[0] = {k: v.copy() for k, v in copies[0].items()}
        right = worked.output(base[variant.function](*copies))
        with np.errstate(all="ignore"):
            wrong_args = [np.copy(a) if isinstance(a, np.ndarray) else a for a in worked.args]
            if isinstance(wrong_args[0], dict):
                wrong_args[0] = {k: v.copy() for k, v in wrong_args[0].items()}
            wrong = worked.output(variant.run(*wrong_args))
        assert _shown(right, worked.right), (name, right, worked.right)
        assert _shown(wrong, worked.wrong), (name, wrong, worked.wrong)
        for text in (example.en, example.zh):
            numbers = set(re.findall(r"-?\d+(?:\.\d+)?(?:e-?\d+)?|nan", text))
            assert {worked.right, worked.wrong} <= numbers, (name, worked, text)
        if name == "mutates_inputs":  # the caller's array was changed by the mistake, not by the solution
            assert copies[0]["W"][0, 0] == 3.0 and wrong_args[0]["W"][0, 0] != 3.0


def test_the_examples_that_need_more_than_one_unit() -> None:
    w_hh, row = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([1.0, 0.0])
    # forward: the recurrent term W_hh h_{t-1} against h_{t-1} @ W_hh
    assert (row @ w_hh.T).tolist() == [1, 3] and (row @ w_hh).tolist() == [1, 2]
    # backward: the carried gradient W_hh^T da_t (da @ W_hh) against da @ W_hh.T
    assert (row @ w_hh).tolist() == [1, 2] and (row @ w_hh.T).tolist() == [1, 3]
    da, h_prev = np.array([[1.0, 2.0]]), np.array([[3.0, 4.0]])
    assert (da.T @ h_prev).tolist() == [[3, 4], [6, 8]] and (h_prev.T @ da).tolist() == [[3, 6], [4, 8]]
    assert (da.T @ np.array([[5.0]])).shape == (2, 1) and (np.array([[5.0]]).T @ da).shape == (1, 2)
    batch = np.array([[1.0], [2.0]])
    assert batch.sum(axis=0).tolist() == [3] and batch.sum(axis=1).tolist() == [1, 2]
    texts = {name: BY_NAME[name].hints[2] for name in NOT_ON_1X1}
    for name, numbers in {"forward.w_hh_not_transposed": ("[1, 3]", "[1, 2]"),
                          "backward.w_hh_transposed_in_carry": ("[1, 2]", "[1, 3]"),
                          "backward.weight_gradient_transposed": ("[[3, 4], [6, 8]]", "[[3, 6], [4, 8]]"),
                          "backward.bias_wrong_axis": ("1 + 2 = 3", "[1, 2]")}.items():
        for text in (texts[name].en, texts[name].zh):
            assert all(n in text for n in numbers) and "1x1" in text, name
