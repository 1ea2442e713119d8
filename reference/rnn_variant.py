"""The correct base solution of exercise `rnn` and how a mistake is written into it (`Variant`).

Trusted side only. `BASE_SOURCE` is a plain, correct, loop-based solution written the way students write it
(NumPy only). Every catalogued mistake (reference.rnn_mutants) is a small textual patch of one of its
functions, so each mutant is at once
  - a function with the contract's signature that computes the mistaken result (compiled here, run by
    grader.mutants.MutantMatcher on copies of a failing test's inputs), and
  - student source text (`Variant.source`), which the tests submit through the real grader.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from grader.result import Text

BASE_SOURCE = '''import numpy as np


def rnn_forward(x, h0, W_xh, W_hh, b_h, W_hy, b_y):
    hs, ys = [], []
    h_prev = h0
    for t in range(x.shape[0]):
        a_t = x[t] @ W_xh.T + h_prev @ W_hh.T + b_h
        h_t = np.tanh(a_t)
        ys.append(h_t @ W_hy.T + b_y)
        hs.append(h_t)
        h_prev = h_t
    return np.stack(ys), np.stack(hs)


def rnn_backward(dy, x, h0, h, W_xh, W_hh, W_hy):
    dW_xh = np.zeros_like(W_xh)
    dW_hh = np.zeros_like(W_hh)
    db_h = np.zeros(W_hh.shape[0])
    dW_hy = np.zeros_like(W_hy)
    db_y = np.zeros(W_hy.shape[0])
    dx = np.zeros_like(x)
    dh_next = np.zeros_like(h0)
    for t in reversed(range(x.shape[0])):
        h_prev = h[t - 1] if t > 0 else h0
        dW_hy += dy[t].T @ h[t]
        db_y += dy[t].sum(axis=0)
        dh = dy[t] @ W_hy + dh_next
        da = dh * (1.0 - h[t] ** 2)
        dW_xh += da.T @ x[t]
        dW_hh += da.T @ h_prev
        db_h += da.sum(axis=0)
        dx[t] = da @ W_xh
        dh_next = da @ W_hh
    return {"W_xh": dW_xh, "W_hh": dW_hh, "b_h": db_h, "W_hy": dW_hy, "b_y": db_y, "x": dx, "h0": dh_next}


def clip_grad_norm(grads, max_norm):
    total = float(np.sqrt(sum(np.sum(g ** 2) for g in grads.values())))
    coef = min(max_norm / (total + 1e-6), 1.0)
    clipped = {k: g * coef for k, g in grads.items()}
    return clipped, total
'''

FORWARD, BACKWARD, CLIP = "rnn_forward", "rnn_backward", "clip_grad_norm"
PART_OF = {FORWARD: "forward", BACKWARD: "backward", CLIP: "clip"}


def base_function_source(function: str) -> str:
    """One top-level function of BASE_SOURCE, from its `def` line to the next blank-line-separated def."""
    for chunk in BASE_SOURCE.split("\n\n\n"):
        if chunk.startswith(f"def {function}("):
            return chunk.rstrip("\n") + "\n"
    raise KeyError(function)


@dataclass(frozen=True)
class Variant:
    """One way of writing a mistake (a grader.mutants.Mutant): `patches` are (old, new) replacements in one
    BASE_SOURCE function, each `old` occurring exactly once there (applied in order)."""

    function: str
    patches: tuple[tuple[str, str], ...]
    paths: tuple[str, ...] = ()

    @cached_property
    def source(self) -> str:
        text = base_function_source(self.function)
        for old, new in self.patches:
            if text.count(old) != 1:
                raise ValueError(f"patch {old!r} must occur once in {self.function}")
            text = text.replace(old, new)
        return text

    @cached_property
    def run(self) -> Callable[..., Any]:
        """The compiled mutant (our own constant code, compiled in the trusted process)."""
        namespace: dict[str, Any] = {"np": np}
        exec(compile(self.source, f"<mutant {self.function}>", "exec"), namespace)
        fn: Callable[..., Any] = namespace[self.function]
        return fn


def t(en: str, zh: str) -> Text:
    return Text(en=en, zh=zh)


