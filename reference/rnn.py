"""Trusted reference for exercise `rnn`: a vanilla tanh RNN in NumPy, float64, time-major (T, B, ...).

    h_t = tanh(W_xh x_t + W_hh h_{t-1} + b_h),   y_t = W_hy h_t + b_y

Every function reads its arguments and never writes to them; results are fresh float64 arrays.
`hidden_cases` / `public_cases` (the exercise's test inputs) live in `reference.rnn_cases`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from grader.exercise import Case
from reference import rnn_cases

Array = NDArray[np.float64]

# torch.nn.utils.clip_grad_norm_ adds this to the norm before dividing, so a zero gradient stays zero.
CLIP_EPS = 1e-6


def _f64(a: Any) -> Array:
    return np.asarray(a, dtype=np.float64)


def rnn_forward(
    x: Array, h0: Array, W_xh: Array, W_hh: Array, b_h: Array, W_hy: Array, b_y: Array
) -> tuple[Array, Array]:
    """x (T, B, I), h0 (B, H) -> y (T, B, O), h (T, B, H) with h[t-1] = h_t."""
    x, h0, W_xh, W_hh, b_h, W_hy, b_y = map(_f64, (x, h0, W_xh, W_hh, b_h, W_hy, b_y))
    # The input term does not depend on the recurrence: one matmul for all steps.
    a_in = x @ W_xh.T + b_h
    h = np.empty(a_in.shape, dtype=np.float64)
    prev = h0
    for t in range(x.shape[0]):
        prev = np.tanh(a_in[t] + prev @ W_hh.T)
        h[t] = prev
    y = h @ W_hy.T + b_y
    return y, h


def rnn_backward(
    dy: Array, x: Array, h0: Array, h: Array, W_xh: Array, W_hh: Array, W_hy: Array
) -> dict[str, Array]:
    """BPTT. dy = dL/dy (T, B, O), h = the forward's hidden states (T, B, H) -> dL/d every input.

    dh_t = W_hy^T dy_t + W_hh^T da_{t+1}   (da_{T+1} = 0),   da_t = dh_t * (1 - h_t^2),
    and each weight's gradient sums its per-step outer products over t and the batch.
    """
    dy, x, h0, h, W_xh, W_hh, W_hy = map(_f64, (dy, x, h0, h, W_xh, W_hh, W_hy))
    h_prev = np.concatenate([h0[np.newaxis], h[:-1]], axis=0)
    dh_from_y = dy @ W_hy  # (T, B, H): the part of dh_t that does not depend on later steps
    da = np.empty(h.shape, dtype=np.float64)
    carry = np.zeros(h0.shape, dtype=np.float64)  # W_hh^T da_{t+1}, as rows: da_{t+1} @ W_hh
    for t in range(h.shape[0] - 1, -1, -1):
        da[t] = (dh_from_y[t] + carry) * (1.0 - h[t] * h[t])
        carry = da[t] @ W_hh
    sum_tb = ([0, 1], [0, 1])  # contract over time and batch
    return {
        "W_xh": np.tensordot(da, x, axes=sum_tb),
        "W_hh": np.tensordot(da, h_prev, axes=sum_tb),
        "b_h": da.sum(axis=(0, 1)),
        "W_hy": np.tensordot(dy, h, axes=sum_tb),
        "b_y": dy.sum(axis=(0, 1)),
        "x": da @ W_xh,
        "h0": carry,
    }


def clip_grad_norm(grads: Mapping[str, Array], max_norm: float) -> tuple[dict[str, Array], float]:
    """Scale every gradient by min(1, max_norm / (total + 1e-6)), exactly as torch.nn.utils.clip_grad_norm_.

    total = the L2 norm of all entries of all arrays, before clipping. Returns new arrays and total.
    """
    arrays = {name: _f64(g) for name, g in grads.items()}
    total = math.sqrt(sum(float(np.vdot(g, g)) for g in arrays.values()))
    coef = min(float(max_norm) / (total + CLIP_EPS), 1.0)
    # Multiply even when coef == 1.0 (as torch does): the result is always a new array.
    return {name: g * coef for name, g in arrays.items()}, total


def hidden_cases(seed: int) -> list[Case]:
    """This submission's hidden tests: same seed, same cases."""
    return rnn_cases.build_hidden_cases(seed)


def public_cases() -> list[Case]:
    """The examples students get in public_examples.npz."""
    return rnn_cases.build_public_cases()
