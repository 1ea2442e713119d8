"""Test inputs for exercise `rnn`: the hidden cases of one submission (from its seed) and the public examples.

Every case targets one way an implementation goes wrong: T=1/B=1 edge shapes, long sequences where the
recurrence dominates (W_hh scaled to a chosen spectral radius below or above 1), saturated tanh, extreme
pre-activations where a tanh written with exp overflows, a zero h0,
non-square sizes (I, H, O all different, so a transposed weight cannot pass by accident), and clipping right
at its threshold. Descriptions and facts carry sizes and kinds only, never input values.

All arrays are float64 and C-contiguous; the only randomness is `np.random.default_rng(seed)` (and, for the
cases added later, `np.random.default_rng([seed, EXTRA_STREAM])`). Every value is computed with
`reference.portable` (never BLAS, LAPACK or NumPy's per-CPU tanh), so a seed gives the same bits on every
machine with FMA (NumPy's normal draws call the C library's log/exp in their rare tails, whose non-FMA versions
can differ by an ulp: docs/architecture.md): W_hh gets its spectral radius by construction, and the hidden
states that backward cases receive come from `hidden_states`, this module's own forward in portable arithmetic.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from grader.exercise import Case
from grader.result import Text
from reference import portable

Array = NDArray[np.float64]

PUBLIC_SEED = 20_260_402
# Each clip case gets a different one, so every seed has several thresholds besides the usual 5.0.
MAX_NORMS = (0.25, 0.5, 1.0, 5.0, 17.3, 40.0)
# Long sequences are redrawn when a perturbation of h0 grows more than MAX_GROWTH times, and exploding ones
# also when it has shrunk below MIN_END_GROWTH by the last step (see _rnn_inputs).
MAX_GROWTH = 100.0
MIN_END_GROWTH = 0.1
MAX_DRAWS = 100


@dataclass(frozen=True)
class Sizes:
    T: int
    B: int
    I: int  # noqa: E741  (the course's notation)
    H: int
    O: int  # noqa: E741

    def en(self) -> str:
        return f"T={self.T}, B={self.B}, I={self.I}, H={self.H}, O={self.O}"

    def facts(self) -> dict[str, int]:
        return {"T": self.T, "B": self.B, "I": self.I, "H": self.H, "O": self.O}


@dataclass(frozen=True)
class RnnKind:
    """One family of RNN cases: how to draw sizes and weights, and how to describe it."""

    name: str
    en: str
    zh: str
    x_scale: float = 1.0  # std of the pre-activation contributed by W_xh x_t
    radius: tuple[float, float] | None = None  # W_hh spectral radius is drawn from this range
    zero_h0: bool = False
    # Long sequences only: a perturbation of h0 must still be this large after T steps (see _rnn_inputs).
    min_end_growth: float = 0.0


# Pre-activations: W_xh x_t has std `x_scale`; W_hh h has std ~0.9 |h| unless a radius is imposed.
# Exploding: small inputs keep tanh near its linear range, so a radius > 1 really carries gradients back
# through time; see _rnn_inputs for how such draws are kept away from chaos.
SINGLE = RnnKind("single_step", "single step of a single sequence", "单个序列的单个时间步")
VANISHING = RnnKind(
    "long_vanishing", "long sequence, W_hh spectral radius {r} (vanishing gradients)",
    "长序列，W_hh 谱半径 {r}（梯度消失）", radius=(0.5, 0.9),
)
EXPLODING = RnnKind(
    "long_exploding", "long sequence, W_hh spectral radius {r} (exploding gradients)",
    "长序列，W_hh 谱半径 {r}（梯度爆炸）", x_scale=0.2, radius=(1.1, 1.5), min_end_growth=MIN_END_GROWTH,
)
SATURATED = RnnKind(
    "saturated", "saturated tanh (pre-activations of magnitude ~5-20)",
    "tanh 饱和（预激活值的幅度约为 5-20）", x_scale=10.0,
)
ZERO_H0 = RnnKind("zero_h0", "zero initial hidden state h0", "初始隐状态 h0 全为零", zero_h0=True)
NON_SQUARE = RnnKind("non_square", "non-square sizes (I, H, O all different)", "非方阵尺寸（I、H、O 互不相同）")
RANDOM = RnnKind("random", "random mid-size case", "随机中等规模用例")
# Pre-activations in the thousands, the range a network reaches when its weights explode: tanh is exactly
# +-1 there, and a tanh written with exp overflows (exp(2a) is inf from a > 355, exp(a) from a > 709). With
# std 3000, 4 in 5 entries are past 709 in magnitude, half of each sign: even the smallest case (40 entries
# per step) has both signs far past the overflow, whatever the seed.
EXTREME = RnnKind(
    "extreme", "extreme pre-activations (magnitudes in the thousands, as after exploding gradients)",
    "极端预激活值（幅度达数千，如梯度爆炸之后）", x_scale=3000.0,
)


def _sizes(rng: np.random.Generator, kind: RnnKind, public: bool) -> Sizes:
    def draw(lo: int, hi: int) -> int:
        return int(rng.integers(lo, hi + 1))

    while True:
        if kind is SINGLE:
            s = Sizes(1, 1, draw(2, 5), draw(3, 8), draw(2, 5))
        elif public:
            s = Sizes(draw(3, 6), draw(2, 3), draw(2, 4), draw(4, 6), draw(2, 3))
        elif kind.radius is not None:
            s = Sizes(draw(64, 80), draw(2, 4), draw(4, 10), draw(16, 32), draw(2, 6))
        else:
            s = Sizes(draw(5, 24), draw(2, 8), draw(3, 16), draw(4, 32), draw(2, 9))
        if kind is not NON_SQUARE or len({s.I, s.H, s.O}) == 3:
            return s


def _draw_rnn_inputs(rng: np.random.Generator, kind: RnnKind, s: Sizes) -> tuple[tuple[Array, ...], float]:
    """(x, h0, W_xh, W_hh, b_h, W_hy, b_y) for one draw of `kind`, and the imposed radius (or 0)."""
    x = rng.standard_normal((s.T, s.B, s.I))
    h0 = np.zeros((s.B, s.H)) if kind.zero_h0 else rng.uniform(-0.9, 0.9, (s.B, s.H))
    W_xh = rng.standard_normal((s.H, s.I)) * (kind.x_scale / np.sqrt(s.I))
    radius = 0.0
    if kind.radius is None:
        W_hh = rng.standard_normal((s.H, s.H)) * (0.9 / np.sqrt(s.H))
    else:
        radius = round(float(rng.uniform(*kind.radius)), 2)
        W_hh = portable.with_spectral_radius(rng, s.H, radius)
        h0 *= 0.1
    b_h = rng.standard_normal(s.H) * (0.1 * kind.x_scale)
    W_hy = rng.standard_normal((s.O, s.H)) / np.sqrt(s.H)
    b_y = rng.standard_normal(s.O)
    return (x, h0, W_xh, W_hh, b_h, W_hy, b_y), radius


def hidden_states(x: Array, h0: Array, W_xh: Array, W_hh: Array, b_h: Array) -> Array:
    """The forward's h (T, B, H), h_t = tanh(W_xh x_t + W_hh h_{t-1} + b_h), in portable arithmetic: within a few
    units in the last place of the reference's, and the same bits on every machine."""
    a_in = portable.matmul(x, W_xh.T) + b_h
    recurrent = portable.linear(W_hh)
    h = np.empty(a_in.shape)
    prev = h0
    for t in range(x.shape[0]):
        prev = h[t] = portable.tanh(a_in[t] + recurrent(prev))
    return h


def growth(W_hh: Array, h: Array) -> Array:
    """Per step t, max |(dh_t/dh0) 1|: how many times a small perturbation of h0 has grown by step t.

    The Jacobian product is applied to the all-ones direction in the forward's own recurrence,
    v_t = (1 - h_t^2) * (W_hh v_{t-1}). Rounding errors made along the sequence grow alike, so its maximum
    bounds how far two correct float64 implementations can drift apart.
    """
    slope = 1.0 - h * h
    v = np.empty_like(h)
    prev = np.ones(h.shape[1:])
    recurrent = portable.linear(W_hh)
    for t in range(h.shape[0]):
        prev = v[t] = slope[t] * recurrent(prev)
    out: Array = np.max(np.abs(v), axis=(1, 2))
    return out


def _rnn_inputs(rng: np.random.Generator, kind: RnnKind, s: Sizes) -> tuple[tuple[Array, ...], float, Array | None]:
    """A draw of `kind`, its radius, and its forward h if computing it was needed to accept the draw.

    A radius above 1 can land near the edge of chaos: measured over 2000 draws of `long_exploding` (W_hh from
    portable.with_spectral_radius), the median growth is 10, 11% exceed 100 and the worst reach 7e3, where two
    correct float64 implementations start to differ by ~1e-12, too close to the tolerances. It can also land
    where tanh saturates enough that little reaches back (16% of draws end below MIN_END_GROWTH, the worst at
    ~1e-6), which would not test long-range BPTT. About 3 in 4 draws fall within [MIN_END_GROWTH, MAX_GROWTH]
    (every `long_vanishing` draw does: median 1.3, worst 3.3); redrawing keeps the case a function of the seed.
    """
    for _ in range(MAX_DRAWS):
        args, radius = _draw_rnn_inputs(rng, kind, s)
        if kind.radius is None:
            return args, radius, None
        h = hidden_states(*args[:5])
        g = growth(args[3], h)
        if g.max() <= MAX_GROWTH and g[-1] >= kind.min_end_growth:
            return args, radius, h
    raise RuntimeError(f"no well-conditioned {kind.name} case in {MAX_DRAWS} draws")


@dataclass(frozen=True)
class _Sequence:
    """One draw of an RNN case's sizes and inputs (and its forward h, when accepting it needed one)."""

    sizes: Sizes
    args: tuple[Array, ...]
    radius: float
    h: Array | None


def _sequence(rng: np.random.Generator, kind: RnnKind, public: bool) -> _Sequence:
    s = _sizes(rng, kind, public)
    args, radius, h = _rnn_inputs(rng, kind, s)
    return _Sequence(s, args, radius, h)


def _rnn_case(rng: np.random.Generator, part: str, kind: RnnKind, *, label: str, public: bool,
              long_sequences: dict[str, _Sequence]) -> Case:
    """A case of `kind` for `part`. A long sequence is drawn once and serves both parts (its forward pass,
    which decides whether the draw is accepted, is the costly step of making cases)."""
    if kind.radius is None:
        seq = _sequence(rng, kind, public)
    else:
        if label not in long_sequences:
            long_sequences[label] = _sequence(rng, kind, public)
        seq = long_sequences[label]
    s, radius, h = seq.sizes, seq.radius, seq.h
    x, h0, W_xh, W_hh, b_h, W_hy, b_y = seq.args
    facts: dict[str, Any] = {"kind": kind.name, **s.facts()}
    r = ""
    if kind.radius is not None:
        facts["spectral_radius"] = radius
        r = f"{radius:.2f}"
    description = Text(en=f"{kind.en.format(r=r)}: {s.en()}", zh=f"{kind.zh.format(r=r)}：{s.en()}")
    args: tuple[Any, ...]
    if part == "forward":
        args = (x, h0, W_xh, W_hh, b_h, W_hy, b_y)
    else:
        # Backward gets the forward's h, so a wrong forward costs no backward points.
        if h is None:
            h = hidden_states(x, h0, W_xh, W_hh, b_h)
        dy = rng.standard_normal((s.T, s.B, s.O))
        args = (dy, x, h0, h, W_xh, W_hh, W_hy)
    return Case(part=part, name=f"{part}/{label}", description=description, args=_contiguous(args), facts=facts)


@dataclass(frozen=True)
class ClipKind:
    name: str
    en: str
    zh: str
    ratio: tuple[float, float]  # total norm / max_norm is drawn from this range
    layout: str  # "rnn": the seven RNN gradients; "single": one matrix; "mixed": matrix, vector, 3-d


CLIP_KINDS = (
    ClipKind("far_below", "total norm far below max_norm, 7 arrays", "总范数远小于 max_norm，7 个数组",
             (0.01, 0.5), "rnn"),
    ClipKind("just_below", "total norm just below max_norm (0.999x), 7 arrays",
             "总范数略小于 max_norm（0.999 倍），7 个数组", (0.999, 0.999), "rnn"),
    ClipKind("just_above", "total norm just above max_norm (1.001x), 7 arrays",
             "总范数略大于 max_norm（1.001 倍），7 个数组", (1.001, 1.001), "rnn"),
    ClipKind("far_above", "total norm far above max_norm, 7 arrays", "总范数远大于 max_norm，7 个数组",
             (5.0, 100.0), "rnn"),
    ClipKind("single_array", "a single array above max_norm", "单个数组，范数大于 max_norm", (1.5, 10.0), "single"),
    ClipKind("mixed_shapes", "matrix, vector and 3-d array of very different magnitudes, above max_norm",
             "矩阵、向量与三维数组，量级相差很大，范数大于 max_norm", (1.5, 10.0), "mixed"),
)


def _clip_arrays(rng: np.random.Generator, layout: str, public: bool) -> dict[str, Array]:
    big = 2 if public else 6
    T, B, I, H, O = (int(v) for v in rng.integers(2, big + 1, size=5))  # noqa: E741
    if layout == "single":
        return {"W_hh": rng.standard_normal((H, H))}
    if layout == "mixed":
        # Magnitudes 1e-3 .. 1e2: an implementation that drops or double-counts an array shows.
        return {
            "matrix": rng.standard_normal((H, I)) * 1e2,
            "vector": rng.standard_normal(O) * 1e-3,
            "tensor": rng.standard_normal((T, B, I)),
        }
    return {
        "W_xh": rng.standard_normal((H, I)),
        "W_hh": rng.standard_normal((H, H)),
        "b_h": rng.standard_normal(H),
        "W_hy": rng.standard_normal((O, H)),
        "b_y": rng.standard_normal(O),
        "x": rng.standard_normal((T, B, I)),
        "h0": rng.standard_normal((B, H)),
    }


def _clip_case(rng: np.random.Generator, kind: ClipKind, max_norm: float, *, label: str, public: bool) -> Case:
    grads = _clip_arrays(rng, kind.layout, public)
    lo, hi = kind.ratio
    ratio = lo if lo == hi else round(float(rng.uniform(lo, hi)), 3)
    total = math.sqrt(portable.sum_of_squares(list(grads.values())))
    grads = {k: g * (ratio * max_norm / total) for k, g in grads.items()}
    return Case(
        part="clip",
        name=f"clip/{label}",
        description=Text(en=kind.en, zh=kind.zh),
        args=_contiguous((grads, float(max_norm))),
        facts={"kind": kind.name, "arrays": len(grads), "ratio": ratio},
    )


def _contiguous(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return np.ascontiguousarray(value, dtype=np.float64)
    if isinstance(value, dict):
        return {k: _contiguous(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return tuple(_contiguous(v) for v in value)
    return value


HIDDEN_RNN_KINDS = (
    (SINGLE, "single_step"),
    (VANISHING, "long_vanishing"),
    (EXPLODING, "long_exploding"),
    (SATURATED, "saturated"),
    (ZERO_H0, "zero_h0"),
    (NON_SQUARE, "non_square"),
    (RANDOM, "random_1"),
    (RANDOM, "random_2"),
)
# Forward only (backward gets h, and 1 - h^2 has nothing to overflow). Drawn from its own stream of the seed
# and added after the others, so every case a seed had before this kind existed is unchanged.
EXTRA_FORWARD_KINDS = ((EXTREME, "extreme"),)
EXTRA_STREAM = 1
PUBLIC_RNN_KINDS = ((SINGLE, "example_single_step"), (RANDOM, "example_small"), (NON_SQUARE, "example_non_square"))
PUBLIC_CLIP_KINDS = ("far_below", "just_above", "mixed_shapes")


def build_hidden_cases(seed: int) -> list[Case]:
    """23 cases: 9 forward, 8 backward (the same kinds but `extreme`), 6 clip."""
    rng = np.random.default_rng(seed)
    long_sequences: dict[str, _Sequence] = {}
    cases = [
        _rnn_case(rng, part, kind, label=label, public=False, long_sequences=long_sequences)
        for part in ("forward", "backward")
        for kind, label in HIDDEN_RNN_KINDS
    ]
    norms = rng.permutation(MAX_NORMS)
    cases += [
        _clip_case(rng, kind, float(norm), label=kind.name, public=False)
        for kind, norm in zip(CLIP_KINDS, norms, strict=True)
    ]
    extra = np.random.default_rng([seed, EXTRA_STREAM])
    cases[len(HIDDEN_RNN_KINDS):len(HIDDEN_RNN_KINDS)] = [
        _rnn_case(extra, "forward", kind, label=label, public=False, long_sequences={})
        for kind, label in EXTRA_FORWARD_KINDS
    ]
    return cases


def build_public_cases() -> list[Case]:
    """A small fixed set, 3 per part, for public_examples.npz and students' own checks."""
    rng = np.random.default_rng(PUBLIC_SEED)
    cases = [
        _rnn_case(rng, part, kind, label=label, public=True, long_sequences={})
        for part in ("forward", "backward")
        for kind, label in PUBLIC_RNN_KINDS
    ]
    by_name = {k.name: k for k in CLIP_KINDS}
    cases += [
        _clip_case(rng, by_name[name], norm, label=f"example_{name}", public=True)
        for name, norm in zip(PUBLIC_CLIP_KINDS, (5.0, 1.0, 0.5), strict=True)
    ]
    return cases
