"""The worked examples (hint level 3) of exercise `rnn_gradients`: each number its texts state, with the inputs
that give it (hint_examples.Worked). Every example is recomputed by the base solution and the mistake's mutant,
also the six that need two units (a transpose, two factors that commute for scalars, a matrix norm): their
matrices are chosen so that a norm is read off by hand ([[3, 0], [0, 4]], [[0, 2], [0, 0]], [[0, 4], [0, 0]])."""

from __future__ import annotations

import numpy as np
from hint_examples import Worked, arg, arr, one, out

Args = tuple[np.ndarray, ...]


def steps(*values: float) -> np.ndarray:
    """A (T, 1, 1) array: a, h or dh of one unit and one sample over T steps."""
    return arr(len(values), 1, 1, values)


def two(*values: float) -> np.ndarray:
    """Two units of one sample: a row (1, 2), or a 2x2 matrix given by its four entries row by row."""
    return arr(1, 2, values) if len(values) == 2 else arr(2, 2, values)


W_1234 = two(1, 2, 3, 4)
RECURRENT_T2: Args = (steps(0, 0), one(0.5), one(1))                                 # rnn_states
NORMS_T2: Args = (one(1), steps(0.5, 0.5), one(2))                                   # grad_norms
BOUND_T2: Args = (steps(0.5, 0.9), one(2))                                           # jacobian_bound
CHUNKS_T3 = (steps(1, 1, 1), one(0), steps(0, 0, 0), one(0.5), 2)                   # truncated_bptt, k = 2

WORKED: dict[str, list[Worked]] = {
    # ------------------------------------------------------------------ states: h (T, B, H)
    "states.no_recurrence": [Worked(RECURRENT_T2, out(0), "0.4621", "0"), Worked(RECURRENT_T2, out(1), "0.4318", "0")],
    "states.w_hh_not_transposed": [Worked((arr(1, 1, 2, [0, 0]), two(1, 0), W_1234), out(0, 0, 1), "0.9951",
                                          "0.9640"),
                                   Worked((arr(1, 1, 2, [0, 0]), two(1, 0), W_1234), out(0, 0, 0), "0.7616",
                                          "0.7616")],
    "states.h_prev_not_updated": [Worked((steps(1, 0), one(0), one(0.5)), out(1), "0.3634", "0"),
                                  Worked((steps(1, 0), one(0), one(0.5)), out(0), "0.7616", "0.7616")],
    "states.includes_h0": [Worked(RECURRENT_T2, out(0), "0.4621", "0.5"),
                           Worked(RECURRENT_T2, out(1), "0.4318", "0.4621")],
    # ------------------------------------------------------------------ norms: norms (T+1, B)
    "norms.missing_tanh_derivative": [Worked(NORMS_T2, out(0), "2.25", "4"), Worked(NORMS_T2, out(1), "1.5", "2"),
                                      Worked(NORMS_T2, out(2), "1", "1")],
    "norms.derivative_after_w_hh": [Worked((two(1, 0), arr(1, 1, 2, [0, 0.5]), W_1234), out(0), "2.2361",
                                           "1.8028")],
    "norms.w_hh_transposed": [Worked((two(1, 0), arr(1, 1, 2, [0, 0]), W_1234), out(0), "2.2361", "3.1623")],
    "norms.squared": [Worked((one(2), steps(0.5), one(2)), out(0), "3", "9"),
                      Worked((one(2), steps(0.5), one(2)), out(1), "2", "4")],
    "norms.indexed_by_distance": [Worked(NORMS_T2, out(0), "2.25", "1"), Worked(NORMS_T2, out(2), "1", "2.25")],
    # ------------------------------------------------------------------ bound: (jacobian_norms (T, B), bound (T+1, B))
    "bound.frobenius_norm": [Worked((arr(1, 1, 2, [0, 0]), two(3, 0, 0, 4)), out(0), "4", "5"),
                             Worked((arr(1, 1, 2, [0, 0]), two(3, 0, 0, 4)), out(1, 0), "4", "5")],
    "bound.spectral_radius": [Worked((arr(1, 1, 2, [0, 0]), two(0, 2, 0, 0)), out(0), "2", "0"),
                              Worked((arr(1, 1, 2, [0, 0]), two(0, 2, 0, 0)), out(1, 0), "2", "0")],
    "bound.missing_tanh_derivative": [Worked(BOUND_T2, out(0, 0), "1.5", "2"),
                                      Worked(BOUND_T2, out(0, 1), "0.38", "2"),
                                      Worked(BOUND_T2, out(1, 0), "0.57", "4"),
                                      Worked(BOUND_T2, out(1, 1), "0.38", "2")],
    "bound.derivative_on_columns": [Worked((arr(1, 1, 2, [0, 0.5]), two(0, 4, 0, 0)), out(0), "4", "3"),
                                    Worked((arr(1, 1, 2, [0, 0.5]), two(0, 4, 0, 0)), out(1, 0), "4", "3")],
    "bound.product_wrong_direction": [Worked(BOUND_T2, out(1, 0), "0.57", "1"),
                                      Worked(BOUND_T2, out(1, 1), "0.38", "1.5"),
                                      Worked(BOUND_T2, out(1, 2), "1", "0.57")],
    # ------------------------------------------------------------------ truncated: {"a", "W_hh", "h0"}
    "truncated.no_truncation": [Worked(CHUNKS_T3, out("a", 1), "1", "1.5"),
                                Worked(CHUNKS_T3, out("a", 0), "1.5", "1.75"),
                                Worked(CHUNKS_T3, out("h0"), "0.75", "0.875")],
    "truncated.chunks_from_the_end": [Worked(CHUNKS_T3, out("a", 1), "1", "1.5"),
                                      Worked(CHUNKS_T3, out("a", 0), "1.5", "1"),
                                      Worked(CHUNKS_T3, out("h0"), "0.75", "0.5")],
    "truncated.cut_one_step_late": [Worked(CHUNKS_T3, out("a", 1), "1", "1.5"),
                                    Worked(CHUNKS_T3, out("a", 0), "1.5", "1"),
                                    Worked(CHUNKS_T3, out("h0"), "0.75", "0.5")],
    "truncated.only_last_k_steps": [Worked(CHUNKS_T3, out("a", 0), "1.5", "0"),
                                    Worked(CHUNKS_T3, out("h0"), "0.75", "0.5")],
    "truncated.dw_hh_uses_h_t": [Worked((steps(1, 1), one(0.2), steps(0.5, 0), one(1), 1), out("W_hh"), "0.65",
                                        "0.375")],
    "truncated.missing_tanh_derivative": [
        Worked((steps(0, 1), one(0), steps(0.5, 0.5), one(1), 2), out("a", 1), "0.75", "1"),
        Worked((steps(0, 1), one(0), steps(0.5, 0.5), one(1), 2), out("a", 0), "0.5625", "1"),
        Worked((steps(0, 1), one(0), steps(0.5, 0.5), one(1), 2), out("h0"), "0.5625", "1")],
    # ------------------------------------------------------------------ any part
    # variant 1 is grad_norms in float32: 0.1 rounded to float32 is 0.100000001490116...
    "float32_precision": [Worked((one(0.1), steps(0), one(1)), out(1), "0.1000000000", "0.1000000015", variant=1)],
    # The answer is right either way; the caller's dh is not (the solution leaves dh_1 at 1).
    "mutates_inputs": [Worked((steps(1, 1), one(0), steps(0, 0), one(0.5), 2), out("a", 0), "1.5", "1.5"),
                       Worked((steps(1, 1), one(0), steps(0, 0), one(0.5), 2), arg(0, 0), "1", "1.5")],
}
# Every example of this exercise is recomputed through its mutant, none apart.
CHECKED_APART: set[str] = set()
