"""Trusted reference for exercise `rnn_gradients` (course module 4.2, notebook 04: vanishing and exploding gradients).

A tanh RNN's state recurrence, h_t = tanh(a_t + W_hh h_{t-1}), where a_t = W_xh x_t + b_h is the input's
drive, and how a gradient travels back along it: dL/dh_{t-1} = W_hh^T (dL/dh_t * (1 - h_t^2)). Time-major
arrays with the batch as rows, float64, as in exercise 01 (h[t-1] is h_t). Every function reads its arguments
and never writes to them. `hidden_cases` / `public_cases` live in reference.gradients_cases.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from grader.exercise import Case
from reference import gradients_cases

Array = NDArray[np.float64]


def _f64(a: Any) -> Array:
    return np.asarray(a, dtype=np.float64)


def rnn_states(a: Array, h0: Array, W_hh: Array) -> Array:
    """a (T, B, H), h0 (B, H), W_hh (H, H) -> h (T, B, H), h[t-1] = h_t = tanh(a_t + W_hh h_{t-1})."""
    a, h0, W_hh = map(_f64, (a, h0, W_hh))
    h = np.empty(a.shape, dtype=np.float64)
    prev = h0
    for t in range(a.shape[0]):
        prev = np.tanh(a[t] + prev @ W_hh.T)
        h[t] = prev
    return h


def _back_one_step(g: Array, h_t: Array, W_hh: Array) -> Array:
    """dL/dh_{t-1} from dL/dh_t (rows are batch entries): W_hh^T (g * tanh'(a_t)), tanh'(a_t) = 1 - h_t^2."""
    out: Array = (g * (1.0 - h_t * h_t)) @ W_hh
    return out


def grad_norms(g: Array, h: Array, W_hh: Array) -> Array:
    """g = dL/dh_T (B, H) with L depending on h_T only -> norms (T + 1, B): norms[t, b] = ||dL/dh_t|| of row b,
    for t = 0 .. T (norms[T] is ||g||, norms[0] the norm at the initial state h0)."""
    g, h, W_hh = map(_f64, (g, h, W_hh))
    T = h.shape[0]
    norms = np.empty((T + 1, h.shape[1]), dtype=np.float64)
    norms[T] = np.linalg.norm(g, axis=1)
    for t in range(T, 0, -1):
        g = _back_one_step(g, h[t - 1], W_hh)
        norms[t - 1] = np.linalg.norm(g, axis=1)
    return norms


def jacobian_bound(h: Array, W_hh: Array) -> tuple[Array, Array]:
    """The per-step Jacobians dh_t/dh_{t-1} = diag(1 - h_t^2) W_hh and the bound they give.

    jacobian_norms (T, B): jacobian_norms[t-1, b] = ||diag(1 - h_t^2) W_hh||_2 (largest singular value) of row b.
    bound (T + 1, B): bound[t] = prod_{s = t+1 .. T} jacobian_norms[s-1], so ||dh_T/dh_t||_2 <= bound[t]
    and ||dL/dh_t|| <= bound[t] ||dL/dh_T||; bound[T] = 1.
    """
    h, W_hh = map(_f64, (h, W_hh))
    scaled = (1.0 - h * h)[..., np.newaxis] * W_hh  # (T, B, H, H): row i of W_hh times 1 - h_{t,i}^2
    jacobian_norms: Array = np.linalg.norm(scaled, ord=2, axis=(-2, -1))
    bound = np.ones((h.shape[0] + 1, h.shape[1]), dtype=np.float64)
    for t in range(h.shape[0] - 1, -1, -1):
        bound[t] = bound[t + 1] * jacobian_norms[t]
    return jacobian_norms, bound


def truncated_bptt(dh: Array, h0: Array, h: Array, W_hh: Array, k: int) -> dict[str, Array]:
    """Truncated BPTT with chunks of k steps from the start (steps 1..k, k+1..2k, ...), as when the state is
    detached every k steps (PyTorch's `h = h.detach()`): no gradient flows from a chunk into the state it starts
    from. dh = dL/dh_t from each step's own loss term (T, B, H); L = sum_t <dh_t, h_t>.

    Returns {"a": dL/da_t (T, B, H), "W_hh": (H, H), "h0": (B, H)}; with k >= T this is the exact gradient.
    """
    dh, h0, h, W_hh = map(_f64, (dh, h0, h, W_hh))
    k = int(k)
    h_prev = np.concatenate([h0[np.newaxis], h[:-1]], axis=0)
    da = np.empty(h.shape, dtype=np.float64)
    carry = np.zeros(h0.shape, dtype=np.float64)
    for t in range(h.shape[0] - 1, -1, -1):
        da[t] = (dh[t] + carry) * (1.0 - h[t] * h[t])
        # Step t+1 (1-based) starts a chunk when t is a multiple of k: its input state is detached.
        carry = np.zeros(h0.shape) if t % k == 0 and t > 0 else da[t] @ W_hh
    return {"a": da, "W_hh": np.tensordot(da, h_prev, axes=([0, 1], [0, 1])), "h0": carry}


def hidden_cases(seed: int) -> list[Case]:
    """This submission's hidden tests: same seed, same cases."""
    return gradients_cases.build_hidden_cases(seed)


def public_cases() -> list[Case]:
    """The examples students get in rnn_gradients_public_examples.npz."""
    return gradients_cases.build_public_cases()
