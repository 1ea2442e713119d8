"""A PyTorch oracle for exercise `rnn_gradients` (declared as the spec's `oracle`): the four functions computed by
torch, the gradients by autograd rather than by the formulas of reference.gradients. `rnn-grader exercise
validate` compares the two on hidden cases when torch is installed. Trusted side only; torch is imported here
and nowhere in the grader.

The functions that receive hidden states h (not the inputs that made them) rebuild a forward pass whose states
are exactly h and whose derivatives are tanh's: with the drive a_t = atanh(h_t) - W_hh h_{t-1}, each step is
s_t = h_t + (f - f.detach()) for f = tanh(a_t + W_hh s_{t-1}). Its value is h_t itself (a forward pass replayed
through an exploding W_hh would drift from h), and autograd differentiates f.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

Array = NDArray[np.float64]
# The problems are tiny: threads only cost here (on 2 busy cores, 20x slower than one).
torch.set_num_threads(1)


def _t(a: Any, grad: bool = False) -> torch.Tensor:
    return torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def _np(t: torch.Tensor) -> Array:
    out: Array = t.detach().numpy().astype(np.float64)
    return out


def rnn_states(a: Array, h0: Array, W_hh: Array) -> Array:
    a_t, prev, W = _t(a), _t(h0), _t(W_hh)
    states = []
    for t in range(a_t.shape[0]):
        prev = torch.tanh(a_t[t] + prev @ W.T)
        states.append(prev)
    return _np(torch.stack(states))


def _replay(h: Array, h0: Array, W: torch.Tensor, start: torch.Tensor, drive: torch.Tensor | None = None,
            k: int = 0) -> list[torch.Tensor]:
    """States s_1..s_T with the values of h, as functions of `start` (s_0), W and the drive; detached every k
    steps if k > 0."""
    h_t = _t(h)
    if drive is None:
        h_prev = _t(np.concatenate([h0[np.newaxis], h[:-1]], axis=0))
        drive = torch.atanh(h_t) - h_prev @ W.detach().T
    states, prev = [], start
    for t in range(h_t.shape[0]):
        if k and t % k == 0 and t > 0:
            prev = prev.detach()
        f = torch.tanh(drive[t] + prev @ W.T)
        prev = h_t[t] + (f - f.detach())
        prev.retain_grad()
        states.append(prev)
    return states


def grad_norms(g: Array, h: Array, W_hh: Array) -> Array:
    h = np.asarray(h, dtype=np.float64)
    start = torch.zeros(h.shape[1:], dtype=torch.float64, requires_grad=True)
    states = _replay(h, np.zeros(h.shape[1:]), _t(W_hh), start)
    (states[-1] * _t(g)).sum().backward()  # type: ignore[no-untyped-call]
    grads = [start.grad, *(s.grad for s in states)]
    return np.stack([np.linalg.norm(_np(x), axis=1) for x in grads if x is not None])


def jacobian_bound(h: Array, W_hh: Array) -> tuple[Array, Array]:
    slope = 1.0 - _t(h) ** 2
    norms = torch.linalg.matrix_norm(slope.unsqueeze(-1) * _t(W_hh), ord=2)
    ones = torch.ones((1, norms.shape[1]), dtype=torch.float64)
    suffix = torch.flip(torch.cumprod(torch.flip(norms, [0]), dim=0), [0])  # prod over s >= t, s = 0..T-1
    return _np(norms), _np(torch.cat([suffix, ones]))


def truncated_bptt(dh: Array, h0: Array, h: Array, W_hh: Array, k: int) -> dict[str, Array]:
    h, h0 = np.asarray(h, dtype=np.float64), np.asarray(h0, dtype=np.float64)
    W, start = _t(W_hh, grad=True), _t(h0, grad=True)
    h_prev = np.concatenate([h0[np.newaxis], h[:-1]], axis=0)
    drive = _t(np.arctanh(h) - h_prev @ np.asarray(W_hh, dtype=np.float64).T, grad=True)
    states = _replay(h, h0, W, start, drive, int(k))
    (torch.stack(states) * _t(dh)).sum().backward()  # type: ignore[no-untyped-call]
    assert drive.grad is not None and W.grad is not None and start.grad is not None
    return {"a": _np(drive.grad), "W_hh": _np(W.grad), "h0": _np(start.grad)}
