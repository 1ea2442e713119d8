"""Test inputs for exercise `rnn_gradients`: the hidden cases of one submission (from its seed) and the public ones.

Every value that feeds a case is made by elementwise NumPy from `np.random.default_rng`: no matrix product,
no eigen- or singular-value routine, no transcendental function of ours, so a seed gives the same bits under
every BLAS kernel and on every CPU with FMA (the generator's normal draws call the C library's log/exp in their
rare tails: docs/architecture.md). The hidden states h are drawn directly (any h in (-1, 1) is tanh of some
pre-activation; the functions of this exercise take h as given), so no forward pass feeds a case.

W_hh has an exactly known spectral radius by construction (`recurrent_matrix`): block upper-triangular with
2x2 rotation-scalings r_k [[c, -s], [s, c]] (c = (1 - u^2) / (1 + u^2), s = 2u / (1 + u^2), so c^2 + s^2 = 1)
on the diagonal, whose eigenvalues r_k e^{+-i theta} are the whole matrix's; the largest r_k is the radius.
A strictly upper part (the coupling) makes W_hh non-normal, so its norm exceeds its radius, as in a trained
network; rows and columns are then permuted together (a similarity: same eigenvalues, no visible structure).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from grader.exercise import Case
from grader.result import Text

Array = NDArray[np.float64]
PUBLIC_SEED = 20_260_404
CHART_SEED = 4_204_2


def recurrent_matrix(rng: np.random.Generator, H: int, radius: float, coupling: float) -> Array:  # noqa: N803
    """An (H, H) matrix with spectral radius `radius` (to rounding), built elementwise."""
    blocks = [(i, 2) for i in range(0, H - 1, 2)] + ([(H - 1, 1)] if H % 2 else [])
    moduli = rng.uniform(0.5, 1.0, len(blocks))
    moduli[int(rng.integers(len(blocks)))] = 1.0
    W = np.zeros((H, H))
    block_of = np.zeros(H, dtype=np.int64)
    for k, ((i, size), m) in enumerate(zip(blocks, moduli * radius, strict=True)):
        block_of[i : i + size] = k
        if size == 1:
            W[i, i] = m if rng.uniform() < 0.5 else -m
            continue
        u = rng.uniform(-1.0, 1.0)
        c, s = (1.0 - u * u) / (1.0 + u * u), 2.0 * u / (1.0 + u * u)
        W[i, i], W[i, i + 1], W[i + 1, i], W[i + 1, i + 1] = m * c, -m * s, m * s, m * c
    upper = block_of[np.newaxis, :] > block_of[:, np.newaxis]  # strictly above the diagonal blocks
    W = W + np.where(upper, rng.standard_normal((H, H)) * (coupling / np.sqrt(H)), 0.0)
    order = rng.permutation(H)
    out: Array = W[order][:, order]
    return out


def hidden_states(rng: np.random.Generator, shape: tuple[int, ...], kind: str) -> Array:
    """h in (-1, 1): "moderate" |h| < 0.9, "small" |h| < 0.3 (tanh nearly linear: the gradient follows W_hh),
    "saturated" 1 - |h| in (2^-9, 2^-3] (tanh' = 1 - h^2 is tiny), "mixed" half the units saturated."""
    if kind == "moderate":
        return rng.uniform(-0.9, 0.9, shape)
    if kind == "small":
        return rng.uniform(-0.3, 0.3, shape)
    sign = np.where(rng.uniform(size=shape) < 0.5, -1.0, 1.0)
    saturated = sign * (1.0 - np.ldexp(rng.uniform(1.0, 2.0, shape), -rng.integers(4, 10, shape)))
    if kind == "saturated":
        return saturated
    return np.where(rng.uniform(size=shape) < 0.5, saturated, rng.uniform(-0.9, 0.9, shape))


@dataclass(frozen=True)
class Kind:
    """One family of cases: sizes, W_hh, hidden states, and a description without any value."""

    name: str
    en: str
    zh: str
    T: tuple[int, int]
    radius: tuple[float, float]
    states: str = "moderate"
    coupling: float = 0.3
    drive: float = 1.0  # std of the input drive a (rnn_states)
    k: str = ""  # truncated_bptt: "one", "full", "divides", "remainder"


R = "W_hh spectral radius {r}"
R_ZH = "W_hh 谱半径 {r}"
SINGLE = Kind("single_step", "single step (T=1)", "单个时间步（T=1）", (1, 1), (0.8, 1.2))
SHORT = Kind("short", f"short sequence, {R}", f"短序列，{R_ZH}", (3, 8), (0.8, 1.2))
VANISHING = Kind("long_vanishing", f"long sequence, {R} (vanishing gradients)", f"长序列，{R_ZH}（梯度消失）",
                 (40, 60), (0.5, 0.9))
EXPLODING = Kind("long_exploding", f"long sequence, {R}, tanh nearly linear (exploding gradients)",
                 f"长序列，{R_ZH}，tanh 近似线性（梯度爆炸）", (40, 60), (1.1, 1.4), states="small")
SATURATED = Kind("saturated", f"saturated tanh units, {R} (above 1, yet the gradient vanishes)",
                 f"tanh 单元饱和，{R_ZH}（大于 1，梯度却消失）", (8, 16), (1.1, 1.4), states="saturated")
NON_NORMAL = Kind("non_normal", f"non-normal W_hh, {R}, norm far above the radius (transient growth)",
                  f"非正规 W_hh，{R_ZH}，范数远大于谱半径（暂时增长）", (20, 30), (0.7, 0.9), coupling=2.0)
MIXED = Kind("mixed", f"half the units saturated, {R}", f"一半单元饱和，{R_ZH}", (10, 20), (0.9, 1.3),
             states="mixed")
# rnn_states: long exploding sequences stay short enough that the forward map is not chaotic.
STATES_EXPLODING = Kind("exploding", f"{R}, small inputs", f"{R_ZH}，输入较小", (10, 16), (1.1, 1.3), drive=0.1)
STATES_SATURATED = Kind("saturated", "large inputs: saturated tanh", "输入很大：tanh 饱和", (6, 12), (0.8, 1.2),
                        drive=10.0)
STATES_VANISHING = Kind("long_vanishing", f"long sequence, {R}", f"长序列，{R_ZH}", (30, 40), (0.5, 0.9))
K_SINGLE = Kind("single_step", "single step (T=1), k={k}", "单个时间步（T=1），k={k}", (1, 1), (0.8, 1.2), k="divides")
K_ONE = Kind("k_one", "k=1: no gradient crosses a step", "k=1：梯度不跨越任何时间步", (4, 8), (0.8, 1.2), k="one")
K_FULL = Kind("k_full", "k >= T: full BPTT", "k >= T：完整的 BPTT", (5, 10), (0.8, 1.2), k="full")
K_DIVIDES = Kind("k_divides", "T a multiple of k={k}", "T 是 k={k} 的倍数", (2, 4), (0.8, 1.2), k="divides")
K_REMAINDER = Kind("k_remainder", "T not a multiple of k={k} (a shorter last chunk)",
                   "T 不是 k={k} 的倍数（最后一段较短）", (7, 13), (0.8, 1.2), k="remainder")
K_EXPLODING = Kind("long_exploding", f"long sequence, {R}, k={{k}}", f"长序列，{R_ZH}，k={{k}}", (30, 40), (1.1, 1.3),
                   states="small", k="remainder")
K_VANISHING = Kind("long_vanishing", f"long sequence, {R}, k={{k}}", f"长序列，{R_ZH}，k={{k}}", (30, 40),
                   (0.5, 0.9), k="remainder")

PART_KINDS: dict[str, tuple[Kind, ...]] = {
    "states": (SINGLE, SHORT, STATES_VANISHING, STATES_EXPLODING, STATES_SATURATED),
    "norms": (SINGLE, SHORT, VANISHING, EXPLODING, SATURATED, NON_NORMAL, MIXED),
    "bound": (SINGLE, SHORT, VANISHING, EXPLODING, SATURATED, NON_NORMAL),
    "truncated": (K_SINGLE, K_ONE, K_FULL, K_DIVIDES, K_REMAINDER, K_EXPLODING, K_VANISHING),
}
PUBLIC_KINDS: dict[str, tuple[Kind, ...]] = {
    "states": (SINGLE, SHORT), "norms": (SHORT, SATURATED), "bound": (SHORT, NON_NORMAL),
    "truncated": (K_FULL, K_REMAINDER),
}


def _draw_int(rng: np.random.Generator, bounds: tuple[int, int]) -> int:
    return int(rng.integers(bounds[0], bounds[1] + 1))


def _length_and_k(rng: np.random.Generator, kind: Kind) -> tuple[int, int]:
    """T and k for a truncated case; (T, 0) for the other parts."""
    if kind.k == "divides":
        k = _draw_int(rng, (2, 4))
        return (1 if kind.T == (1, 1) else k * _draw_int(rng, kind.T)), k
    T = _draw_int(rng, kind.T)
    if kind.k == "one":
        return T, 1
    if kind.k == "full":
        return T, T + _draw_int(rng, (0, 3))
    if kind.k == "remainder":
        k = _draw_int(rng, (3, 5) if T < 20 else (5, 9))
        while T % k == 0:
            T += 1
        return T, k
    return T, 0


def _case(rng: np.random.Generator, part: str, kind: Kind, label: str, public: bool) -> Case:
    T, k = _length_and_k(rng, kind)
    B = _draw_int(rng, (2, 2) if public else (1, 4))
    H = _draw_int(rng, (3, 5) if public else (4, 16))
    radius = round(float(rng.uniform(*kind.radius)), 2)
    W_hh = recurrent_matrix(rng, H, radius, kind.coupling)
    facts: dict[str, Any] = {"kind": kind.name, "T": T, "B": B, "H": H, "spectral_radius": radius}
    args: tuple[Any, ...]
    if part == "states":
        a = rng.standard_normal((T, B, H)) * kind.drive
        args = (a, rng.uniform(-0.9, 0.9, (B, H)), W_hh)
    else:
        h = hidden_states(rng, (T, B, H), kind.states)
        if part == "norms":
            args = (rng.standard_normal((B, H)), h, W_hh)
        elif part == "bound":
            args = (h, W_hh)
        else:
            facts["k"] = k
            args = (rng.standard_normal((T, B, H)), rng.uniform(-0.9, 0.9, (B, H)), h, W_hh, k)
    sizes = f"T={T}, B={B}, H={H}"
    en = kind.en.format(r=f"{radius:.2f}", k=k)
    zh = kind.zh.format(r=f"{radius:.2f}", k=k)
    return Case(part=part, name=f"{part}/{label}", description=Text(en=f"{en}: {sizes}", zh=f"{zh}：{sizes}"),
                args=tuple(np.ascontiguousarray(v) if isinstance(v, np.ndarray) else v for v in args), facts=facts)


def build_hidden_cases(seed: int) -> list[Case]:
    """25 cases: 5 for rnn_states, 7 for grad_norms, 6 for jacobian_bound, 7 for truncated_bptt."""
    rng = np.random.default_rng(seed)
    return [_case(rng, part, kind, kind.name, public=False) for part, kinds in PART_KINDS.items() for kind in kinds]


def build_public_cases() -> list[Case]:
    """A small fixed set, 2 per part, for the public examples and students' own checks."""
    rng = np.random.default_rng(PUBLIC_SEED)
    return [_case(rng, part, kind, f"example_{kind.name}", public=True)
            for part, kinds in PUBLIC_KINDS.items() for kind in kinds]
