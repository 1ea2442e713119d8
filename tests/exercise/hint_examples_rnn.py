"""The worked examples (hint level 3) of exercise `rnn`: each number its texts state, with the inputs that give it
(hint_examples.Worked). Four mistakes cannot show on a 1x1 case (a transpose of a 1x1 matrix, a sum over one
row): their examples use H = 2 or B = 2 and speak of intermediate products, checked apart with plain NumPy."""

from __future__ import annotations

from typing import Any

import numpy as np
from hint_examples import Worked, arg, arr, out

from grader.mutants import Misconception


def forward(x: list[float], h0: float, W_xh: float, W_hh: float, b_h: float, W_hy: float = 1.0,
            b_y: float = 0.0) -> tuple[np.ndarray, ...]:
    """rnn_forward's arguments for one unit and one sample."""
    T = len(x)
    return (arr(T, 1, 1, x), arr(1, 1, h0), arr(1, 1, W_xh), arr(1, 1, W_hh), arr(1, b_h), arr(1, 1, W_hy),
            arr(1, b_y))


def backward(dy: list[float], x: list[float], h0: float, h: list[float], W_hh: float, W_hy: float,
             W_xh: float = 1.0) -> tuple[np.ndarray, ...]:
    """rnn_backward's arguments for one unit and one sample."""
    T = len(dy)
    return (arr(T, 1, 1, dy), arr(T, 1, 1, x), arr(1, 1, h0), arr(T, 1, 1, h), arr(1, 1, W_xh), arr(1, 1, W_hh),
            arr(1, 1, W_hy))


def clip(max_norm: float, **grads: float) -> tuple[Any, ...]:
    return {k: arr(1, 1, v) for k, v in grads.items()}, max_norm


FORWARD_T2 = forward([1, 0], 0, 1, 0.5, 0)
RECURRENT_T2 = forward([0, 0], 0.5, 1, 1, 0)
ONE_STEP = forward([1], 0, 1, 1, 0)
BACKWARD_T1 = backward([1], [1], 0, [0.5], W_hh=1, W_hy=2)
H_ZERO_T2 = backward([0, 1], [0, 0], 0, [0, 0], W_hh=0.5, W_hy=1)
TRUNCATED_T3 = backward([0, 0, 1], [0, 0, 0], 0, [0, 0, 0], W_hh=0.5, W_hy=1)
H0_T1 = backward([1], [1], 0.5, [0], W_hh=0.5, W_hy=1)
TWO_GRADS = {"a": 3.0, "b": 4.0}

WORKED: dict[str, list[Worked]] = {
    "forward.h_prev_not_updated": [Worked(FORWARD_T2, out(1, 1), "0.3634", "0")],
    "forward.no_recurrence": [Worked(RECURRENT_T2, out(1, 0), "0.4621", "0"),
                              Worked(RECURRENT_T2, out(1, 1), "0.4318", "0")],
    "forward.missing_b_h": [Worked(forward([0], 0, 1, 1, 0.5), out(1), "0.4621", "0")],
    "forward.missing_b_y": [Worked(forward([0], 0, 1, 1, 0, 2, 0.3), out(0), "0.3", "0")],
    "forward.h_includes_h0": [Worked(RECURRENT_T2, out(1, 0), "0.4621", "0.5"),
                              Worked(RECURRENT_T2, out(1, 1), "0.4318", "0.4621")],
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
        Worked(TRUNCATED_T3, out("b_h"), "1.75", "1.5"),
        Worked(TRUNCATED_T3, out("h0"), "0.125", "0"),
        Worked(TRUNCATED_T3, out("x", 0), "0.25", "0")],
    "backward.h0_assumed_zero": [Worked(H0_T1, out("W_hh"), "0.5", "0"), Worked(H0_T1, out("h0"), "0.5", "0",
                                                                               variant=1)],
    "backward.first_step_uses_h_T": [Worked(backward([1, 0], [0, 0], 0.2, [0, 0.6], W_hh=0.5, W_hy=1), out("W_hh"),
                                            "0.2", "0.6")],
    "clip.per_tensor_norm": [Worked(clip(1, **TWO_GRADS), out(0, "a"), "0.6", "1"),
                             Worked(clip(1, **TWO_GRADS), out(0, "b"), "0.8", "1")],
    "clip.elementwise": [Worked(clip(3.5, **TWO_GRADS), out(0, "a"), "2.1", "3"),
                         Worked(clip(3.5, **TWO_GRADS), out(0, "b"), "2.8", "3.5")],
    "clip.always_rescales": [Worked(clip(10, **TWO_GRADS), out(0, "a"), "3", "6"),
                             Worked(clip(10, **TWO_GRADS), out(0, "b"), "4", "8")],
    "clip.norm_after_clipping": [Worked(clip(1, **TWO_GRADS), out(1), "5", "1")],
    "clip.returns_max_norm": [Worked(clip(2, **TWO_GRADS), out(1), "5", "2"),
                              Worked(clip(2, **TWO_GRADS), out(1), "5", "2", variant=1)],
    "clip.max_norm_below_one_ignored": [Worked(clip(0.5, **TWO_GRADS), out(0, "a"), "0.3", "0.6"),
                                        Worked(clip(0.5, **TWO_GRADS), out(0, "b"), "0.4", "0.8")],
    "clip.norm_without_sqrt": [Worked(clip(1, **TWO_GRADS), out(1), "5", "25"),
                               Worked(clip(1, **TWO_GRADS), out(0, "a"), "0.6", "0.12")],
    "clip.sum_of_norms": [Worked(clip(1, **TWO_GRADS), out(1), "5", "7"),
                          Worked(clip(1, **TWO_GRADS), out(0, "a"), "0.6", "0.4286"),
                          Worked(clip(1, **TWO_GRADS), out(0, "b"), "0.8", "0.5714")],
    "clip.no_epsilon": [Worked(clip(1, **TWO_GRADS), out(0, "a"), "0.59999988", "0.6")],
    # The clipped array is right either way; the caller's own array is not (the solution leaves it at 3.0).
    "mutates_inputs": [Worked(clip(1, W=3.0), out(0, "W"), "1.0", "1.0"),
                       Worked(clip(1, W=3.0), arg(0, "W"), "3.0", "1.0")],
}
# On a 1x1 case these cannot show (a transpose of a 1x1 matrix, a sum over one row): their example says so and
# uses the smallest case that shows them, checked by `check_apart` with plain NumPy.
CHECKED_APART = {"forward.w_hh_not_transposed", "backward.w_hh_transposed_in_carry",
                 "backward.weight_gradient_transposed", "backward.bias_wrong_axis"}


def check_apart(by_name: dict[str, Misconception]) -> None:
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
    texts = {name: by_name[name].hints[2] for name in CHECKED_APART}
    for name, numbers in {"forward.w_hh_not_transposed": ("[1, 3]", "[1, 2]"),
                          "backward.w_hh_transposed_in_carry": ("[1, 2]", "[1, 3]"),
                          "backward.weight_gradient_transposed": ("[[3, 4], [6, 8]]", "[[3, 6], [4, 8]]"),
                          "backward.bias_wrong_axis": ("1 + 2 = 3", "[1, 2]")}.items():
        for text in (texts[name].en, texts[name].zh):
            assert all(n in text for n in numbers) and "1x1" in text, name
