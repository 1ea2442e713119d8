"""A PyTorch oracle for exercise `rnn` (declared as the spec's `oracle`): torch.nn.RNN for the forward pass,
autograd for BPTT, torch.nn.utils.clip_grad_norm_ for clipping. `rnn-grader exercise validate` compares it with
reference.rnn on hidden cases when torch is installed. Trusted side only.

rnn_backward receives the forward's hidden states h, not b_h: it replays a forward pass whose states are exactly
h, each step s_t = h_t + (f - f.detach()) with f = tanh(W_xh x_t + W_hh s_{t-1} + b_h + c_t), where the constant
c_t = atanh(h_t) - W_xh x_t - W_hh h_{t-1} stands for the bias and b_h is a zero leaf that collects its gradient.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

Array = NDArray[np.float64]
# The problems are tiny: threads only cost here (on 2 busy cores, 20x slower than one).
torch.set_num_threads(1)


def _t(a: Any, grad: bool = False) -> torch.Tensor:
    return torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def _np(t: torch.Tensor | None) -> Array:
    assert t is not None
    out: Array = t.detach().numpy().astype(np.float64)
    return out


def rnn_forward(x: Array, h0: Array, W_xh: Array, W_hh: Array, b_h: Array, W_hy: Array,
                b_y: Array) -> tuple[Array, Array]:
    H, I = np.shape(W_xh)  # noqa: E741
    cell = torch.nn.RNN(I, H, nonlinearity="tanh", dtype=torch.float64)
    with torch.no_grad():
        # torch has two hidden biases; their sum plays b_h
        for name, value in (("weight_ih_l0", W_xh), ("weight_hh_l0", W_hh), ("bias_ih_l0", b_h),
                            ("bias_hh_l0", np.zeros(H))):
            getattr(cell, name).copy_(_t(value))
        h, _ = cell(_t(x), _t(h0).unsqueeze(0))
        y = h @ _t(W_hy).T + _t(b_y)
    return _np(y), _np(h)


def rnn_backward(dy: Array, x: Array, h0: Array, h: Array, W_xh: Array, W_hh: Array,
                 W_hy: Array) -> dict[str, Array]:
    leaves = {name: _t(v, grad=True) for name, v in (("x", x), ("h0", h0), ("W_xh", W_xh), ("W_hh", W_hh),
                                                     ("W_hy", W_hy))}
    leaves["b_h"] = torch.zeros(np.shape(W_hh)[0], dtype=torch.float64, requires_grad=True)
    leaves["b_y"] = torch.zeros(np.shape(W_hy)[0], dtype=torch.float64, requires_grad=True)
    h_t = _t(h)
    h_prev = torch.cat([_t(h0).unsqueeze(0), h_t[:-1]])
    with torch.no_grad():
        bias = torch.atanh(h_t) - _t(x) @ _t(W_xh).T - h_prev @ _t(W_hh).T
    states, prev = [], leaves["h0"]
    for t in range(h_t.shape[0]):
        f = torch.tanh(leaves["x"][t] @ leaves["W_xh"].T + prev @ leaves["W_hh"].T + leaves["b_h"] + bias[t])
        prev = h_t[t] + (f - f.detach())
        states.append(prev)
    y = torch.stack(states) @ leaves["W_hy"].T + leaves["b_y"]
    (y * _t(dy)).sum().backward()  # type: ignore[no-untyped-call]
    return {name: _np(leaves[name].grad) for name in ("W_xh", "W_hh", "b_h", "W_hy", "b_y", "x", "h0")}


def clip_grad_norm(grads: Mapping[str, Array], max_norm: float) -> tuple[dict[str, Array], float]:
    params = {name: torch.zeros(np.shape(g), dtype=torch.float64, requires_grad=True) for name, g in grads.items()}
    for name, p in params.items():
        p.grad = _t(grads[name])
    total = torch.nn.utils.clip_grad_norm_(list(params.values()), float(max_norm))
    return {name: _np(p.grad) for name, p in params.items()}, float(total)
