"""The spec's tolerances separate right from wrong on the hidden cases.

Correct float64 code written differently from the reference (per-row loops, einsum, another tanh'
formula, a norm of norms) must pass every hidden case by a wide margin; the same code in float32 (cast back to
float64, so the dtype check cannot catch it), and a few classic mistakes, must fail. The comparison is the
spec's: np.allclose(student, reference, rtol, atol) on every returned array.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from grader.exercise import Case, Exercise, load_exercise

ROOT = Path(__file__).resolve().parents[2]
SEEDS = range(40)
# Correct variants must stay this far inside the tolerance: rounding, not luck, decides.
MARGIN = 10.0

Impl = dict[str, Callable[..., Any]]


@pytest.fixture(scope="module")
def exercise() -> Exercise:
    return load_exercise(ROOT / "exercises" / "rnn")


@pytest.fixture(scope="module")
def graded(exercise: Exercise) -> list[tuple[Case, Any]]:
    out = []
    for seed in SEEDS:
        for case in exercise.hidden_cases(seed):
            out.append((case, exercise.reference_function(exercise.spec.part(case.part))(*case.args)))
    return out


def leaves(value: Any) -> list[np.ndarray]:
    if isinstance(value, dict):
        return [leaf for k in sorted(value) for leaf in leaves(value[k])]
    if isinstance(value, tuple):
        return [leaf for v in value for leaf in leaves(v)]
    return [np.asarray(value, dtype=np.float64)]


def excess(got: Any, want: Any, rtol: float, atol: float) -> float:
    """max |got - want| / (atol + rtol |want|): <= 1 is exactly np.allclose passing."""
    return max(
        float(np.max(np.abs(g - w) / (atol + rtol * np.abs(w)), initial=0.0))
        for g, w in zip(leaves(got), leaves(want), strict=True)
    )


# ---------------------------------------------------------------- correct, differently written


def loop_forward(x, h0, W_xh, W_hh, b_h, W_hy, b_y, dtype=np.float64):
    x, h0, W_xh, W_hh, b_h, W_hy, b_y = (a.astype(dtype) for a in (x, h0, W_xh, W_hh, b_h, W_hy, b_y))
    T, B, _ = x.shape
    y = np.zeros((T, B, W_hy.shape[0]), dtype)
    h = np.zeros((T, B, W_hh.shape[0]), dtype)
    for b in range(B):
        prev = h0[b]
        for t in range(T):
            prev = np.tanh(W_xh @ x[t, b] + b_h + W_hh @ prev)
            h[t, b] = prev
            y[t, b] = W_hy @ prev + b_y
    return y.astype(np.float64), h.astype(np.float64)


def loop_backward(dy, x, h0, h, W_xh, W_hh, W_hy, dtype=np.float64):
    dy, x, h0, h, W_xh, W_hh, W_hy = (a.astype(dtype) for a in (dy, x, h0, h, W_xh, W_hh, W_hy))
    T, B, _ = x.shape
    g = {"W_xh": np.zeros_like(W_xh), "W_hh": np.zeros_like(W_hh), "b_h": np.zeros(W_hh.shape[0], dtype),
         "W_hy": np.zeros_like(W_hy), "b_y": np.zeros(W_hy.shape[0], dtype), "x": np.zeros_like(x),
         "h0": np.zeros_like(h0)}
    for b in range(B):
        da_next = np.zeros(W_hh.shape[0], dtype)
        for t in reversed(range(T)):
            da = (W_hy.T @ dy[t, b] + W_hh.T @ da_next) * (1 - h[t, b]) * (1 + h[t, b])
            g["W_xh"] += np.outer(da, x[t, b])
            g["W_hh"] += np.outer(da, h[t - 1, b] if t > 0 else h0[b])
            g["b_h"] += da
            g["W_hy"] += np.outer(dy[t, b], h[t, b])
            g["b_y"] += dy[t, b]
            g["x"][t, b] = W_xh.T @ da
            da_next = da
        g["h0"][b] = W_hh.T @ da_next
    return {k: v.astype(np.float64) for k, v in g.items()}


def einsum_forward(x, h0, W_xh, W_hh, b_h, W_hy, b_y, dtype=np.float64):
    x, h0, W_xh, W_hh, b_h, W_hy, b_y = (a.astype(dtype) for a in (x, h0, W_xh, W_hh, b_h, W_hy, b_y))
    hs, prev = [], h0
    for t in range(x.shape[0]):
        prev = np.tanh(np.einsum("hi,bi->bh", W_xh, x[t]) + np.einsum("hk,bk->bh", W_hh, prev) + b_h)
        hs.append(prev)
    h = np.stack(hs)
    return (np.einsum("oh,tbh->tbo", W_hy, h) + b_y).astype(np.float64), h.astype(np.float64)


def einsum_backward(dy, x, h0, h, W_xh, W_hh, W_hy, dtype=np.float64):
    dy, x, h0, h, W_xh, W_hh, W_hy = (a.astype(dtype) for a in (dy, x, h0, h, W_xh, W_hh, W_hy))
    da = np.zeros_like(h)
    for t in reversed(range(h.shape[0])):
        dh = np.einsum("oh,bo->bh", W_hy, dy[t])
        if t + 1 < h.shape[0]:
            dh = dh + np.einsum("kh,bk->bh", W_hh, da[t + 1])
        da[t] = dh * (1 - h[t] ** 2)
    return _grads_from_da(da, dy, x, h0, h, W_xh, W_hh)


def _grads_from_da(da, dy, x, h0, h, W_xh, W_hh):
    h_prev = np.concatenate([h0[None], h[:-1]])
    out = {"W_xh": np.einsum("tbh,tbi->hi", da, x), "W_hh": np.einsum("tbh,tbk->hk", da, h_prev),
           "b_h": np.einsum("tbh->h", da), "W_hy": np.einsum("tbo,tbh->oh", dy, h),
           "b_y": np.einsum("tbo->o", dy), "x": np.einsum("tbh,hi->tbi", da, W_xh),
           "h0": np.einsum("bh,hk->bk", da[0], W_hh)}
    return {k: v.astype(np.float64) for k, v in out.items()}


def other_clip(grads, max_norm, dtype=np.float64, eps=1e-6):
    gs = {k: v.astype(dtype) for k, v in grads.items()}
    total = np.linalg.norm(np.array([np.linalg.norm(g.ravel()) for g in gs.values()], dtype))
    coef = dtype(max_norm) / (total + dtype(eps))
    scaled = {k: (g * coef if coef < 1 else g.copy()).astype(np.float64) for k, g in gs.items()}
    return scaled, float(total)


LOOP: Impl = {"forward": loop_forward, "backward": loop_backward, "clip": other_clip}
EINSUM: Impl = {"forward": einsum_forward, "backward": einsum_backward, "clip": other_clip}
FLOAT32: Impl = {
    "forward": lambda *a: einsum_forward(*a, dtype=np.float32),
    "backward": lambda *a: einsum_backward(*a, dtype=np.float32),
    "clip": lambda g, m: other_clip(g, m, dtype=np.float32),
}


def worst(graded: list[tuple[Case, Any]], exercise: Exercise, impl: Impl) -> dict[str, float]:
    """Per case name, the largest excess over all seeds."""
    out: dict[str, float] = {}
    for case, want in graded:
        part = exercise.spec.part(case.part)
        got = impl[case.part](*case.args)
        out[case.name] = max(out.get(case.name, 0.0), excess(got, want, part.rtol, part.atol))
    return out


def best(graded: list[tuple[Case, Any]], exercise: Exercise, impl: Impl, part: str) -> dict[str, float]:
    """Per case name of `part`, the smallest excess over all seeds."""
    out: dict[str, float] = {}
    for case, want in graded:
        if case.part == part:
            p = exercise.spec.part(part)
            out[case.name] = min(out.get(case.name, np.inf), excess(impl[part](*case.args), want, p.rtol, p.atol))
    return out


@pytest.mark.parametrize("impl", [LOOP, EINSUM], ids=["loops", "einsum"])
def test_correct_float64_variants_pass_with_margin(
    graded: list[tuple[Case, Any]], exercise: Exercise, impl: Impl
) -> None:
    result = worst(graded, exercise, impl)
    assert max(result.values()) <= 1 / MARGIN, {k: v for k, v in result.items() if v > 1 / MARGIN}


@pytest.mark.parametrize("part", ["forward", "backward", "clip"])
def test_float32_fails_every_hidden_case(graded: list[tuple[Case, Any]], exercise: Exercise, part: str) -> None:
    result = best(graded, exercise, FLOAT32, part)
    assert min(result.values()) > 2.0, result


def test_clip_without_torchs_epsilon_fails_where_it_clips(graded: list[tuple[Case, Any]], exercise: Exercise) -> None:
    part = exercise.spec.part("clip")
    for case, want in graded:
        if case.part == "clip":
            got = other_clip(*case.args, eps=0.0)
            assert (excess(got, want, part.rtol, part.atol) > 1) == (case.facts["ratio"] > 1), case.name


def test_classic_mistakes_fail(graded: list[tuple[Case, Any]], exercise: Exercise) -> None:
    def untransposed(x, h0, W_xh, W_hh, b_h, W_hy, b_y):
        return loop_forward(x, h0, W_xh, W_hh.T, b_h, W_hy, b_y)  # W_hh h_{t-1} written as h @ W_hh

    def h_t_in_dW_hh(dy, x, h0, h, W_xh, W_hh, W_hy):
        da, carry = np.zeros_like(h), np.zeros_like(h0)
        for t in reversed(range(h.shape[0])):
            da[t] = (dy[t] @ W_hy + carry) * (1 - h[t] ** 2)
            carry = da[t] @ W_hh
        # dW_hh = sum_t da_t h_t^T instead of da_t h_{t-1}^T
        return _grads_from_da(da, dy, x, h0, h, W_xh, W_hh) | {"W_hh": np.einsum("tbh,tbk->hk", da, h)}

    def truncated(dy, x, h0, h, W_xh, W_hh, W_hy, window=20):
        # Classic truncated BPTT: dL/dy_s flows back at most `window` steps.
        da = np.zeros_like(h)
        for s in range(h.shape[0]):
            dh = dy[s] @ W_hy
            for t in range(s, max(-1, s - window), -1):
                da[t] += dh * (1 - h[t] ** 2)
                dh = (dh * (1 - h[t] ** 2)) @ W_hh
        return _grads_from_da(da, dy, x, h0, h, W_xh, W_hh)

    # Truncation is invisible where gradients vanish anyway: catching it is what long_exploding is for. On
    # the extreme case every state is +-1 whatever W_hh does: that case is there for overflow.
    mistakes = [("forward", untransposed, "all"), ("backward", h_t_in_dW_hh, "all"),
                ("backward", truncated, "long_exploding")]
    for part_name, fn, which in mistakes:
        part = exercise.spec.part(part_name)
        for case, want in graded:
            if case.facts["kind"] == "extreme":
                continue
            if case.part == part_name and which in ("all", case.facts["kind"]):
                assert excess(fn(*case.args), want, part.rtol, part.atol) > 1, (fn.__name__, case.name)


# ---------------------------------------------------------------- tanh written by hand


def formula_forward(tanh: Callable[[np.ndarray], np.ndarray]) -> Callable[..., Any]:
    def forward(x, h0, W_xh, W_hh, b_h, W_hy, b_y):
        hs, prev = [], h0
        for t in range(x.shape[0]):
            prev = tanh(x[t] @ W_xh.T + prev @ W_hh.T + b_h)
            hs.append(prev)
        h = np.stack(hs)
        return h @ W_hy.T + b_y, h

    return forward


# Right for every float64 input: exp may overflow to inf, but nothing divides inf by inf.
STABLE_TANH = {
    "1 - 2/(exp(2a)+1)": lambda a: 1 - 2 / (np.exp(2 * a) + 1),
    "2/(1+exp(-2a)) - 1": lambda a: 2 / (1 + np.exp(-2 * a)) - 1,
    "sign-split exp(-2|a|)": lambda a: np.sign(a) * (1 - np.exp(-2 * np.abs(a))) / (1 + np.exp(-2 * np.abs(a))),
}
# inf / inf = NaN once |a| is past ~355 (exp(2a)) or ~709 (exp(a)), in one sign or both.
OVERFLOWING_TANH = {
    "(exp(2a)-1)/(exp(2a)+1)": lambda a: (np.exp(2 * a) - 1) / (np.exp(2 * a) + 1),
    "(1-exp(-2a))/(1+exp(-2a))": lambda a: (1 - np.exp(-2 * a)) / (1 + np.exp(-2 * a)),
    "(exp(a)-exp(-a))/(exp(a)+exp(-a))": lambda a: (np.exp(a) - np.exp(-a)) / (np.exp(a) + np.exp(-a)),
    "sinh/cosh": lambda a: np.sinh(a) / np.cosh(a),
}


@pytest.mark.parametrize("name", sorted(STABLE_TANH))
def test_a_stable_hand_written_tanh_passes_every_forward_case(
    graded: list[tuple[Case, Any]], exercise: Exercise, name: str
) -> None:
    part = exercise.spec.part("forward")
    forward = formula_forward(STABLE_TANH[name])
    with np.errstate(over="ignore"):
        result = {case.name: excess(forward(*case.args), want, part.rtol, part.atol)
                  for case, want in graded if case.part == "forward"}
    assert max(result.values()) <= 1 / MARGIN, {k: v for k, v in result.items() if v > 1 / MARGIN}


@pytest.mark.parametrize("name", sorted(OVERFLOWING_TANH))
def test_an_overflowing_tanh_fails_the_extreme_case_of_every_seed(
    graded: list[tuple[Case, Any]], exercise: Exercise, name: str
) -> None:
    forward = formula_forward(OVERFLOWING_TANH[name])
    extreme = [(case, want) for case, want in graded if case.facts["kind"] == "extreme"]
    assert len(extreme) == len(SEEDS)
    for case, _want in extreme:
        with np.errstate(over="ignore", invalid="ignore"):
            y, h = forward(*case.args)
        assert not np.all(np.isfinite(h)), case.name  # NaN where the reference is exactly +-1
