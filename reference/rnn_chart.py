"""The ‖∂L/∂h_t‖ chart of a submission (lesson 04: vanishing and exploding gradients), as data the server draws.

The student's rnn_backward returns dL/dh0. Called on the suffix of a sequence that starts at step s
(x[s:], h0 = h_s, h[s:], dy[s:]), it returns dL/dh_s of the whole sequence, because the steps before s do not
depend on h_s. So `chart_cases()` is one unscored backward case per suffix of two fixed PUBLIC sequences
(inputs drawn from fixed seeds, never hidden ones), and `chart()` turns the student's and the reference's
answers into two curves per sequence (a grader.diagnostics.Chart). The loss is taken at the last step only
(dy = 0 before it), which is the setting of lesson 04: how much of the last step's error reaches each earlier state.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from grader.diagnostics import Chart, Diagnostics, Panel
from grader.diagnostics import Series as ChartSeries
from grader.exercise import Case
from grader.result import Text
from reference import portable
from reference.rnn_cases import hidden_states

Array = NDArray[np.float64]

CHART_SEED = 4_204  # module 4.2, lesson 04
T, B, I, H, O = 21, 2, 3, 8, 2  # noqa: E741  (the course's notation)
# Every fourth step is enough to see a geometric trend on a log axis. Each plotted step is one more call in
# the sandbox, which costs ~1 ms of grading time (encoding, the child's work, decoding, comparing).
STEPS = tuple(range(0, T, 4))


@dataclass(frozen=True)
class Series:
    name: str
    en: str
    zh: str
    radius: float  # W_hh is this times an orthogonal matrix: every singular value equals it
    x_scale: float
    h0_scale: float


SERIES = (
    Series("vanishing", "vanishing", "梯度消失", 0.7, 1.0, 1.0),
    # Small inputs keep tanh in its linear range, so the radius above 1 really amplifies going back in time.
    Series("exploding", "exploding", "梯度爆炸", 1.3, 0.005, 0.01),
)


@cache
def public_sequence(k: int) -> dict[str, Array]:
    """Series k's inputs (x, h0, W_xh, W_hh, b_h, W_hy, b_y), the forward's h, and dy (zero but at the last step)."""
    s = SERIES[k]
    rng = np.random.default_rng(CHART_SEED + k)
    x = rng.standard_normal((T, B, I))
    h0 = rng.uniform(-0.9, 0.9, (B, H)) * s.h0_scale
    W_xh = rng.standard_normal((H, I)) * (s.x_scale / np.sqrt(I))
    # Portable arithmetic (no LAPACK QR, no BLAS forward), like the hidden cases: the same chart on every machine.
    W_hh = portable.orthogonal(rng, H) * s.radius
    b_h = rng.standard_normal(H) * (0.1 * s.x_scale)
    W_hy = rng.standard_normal((O, H)) / np.sqrt(H)
    b_y = rng.standard_normal(O)
    h = hidden_states(x, h0, W_xh, W_hh, b_h)
    dy = np.zeros((T, B, O))
    dy[-1] = rng.standard_normal((B, O))
    return {"x": x, "h0": h0, "W_xh": W_xh, "W_hh": W_hh, "b_h": b_h, "W_hy": W_hy, "b_y": b_y, "h": h, "dy": dy}


def chart_cases() -> list[Case]:
    """Unscored backward cases, one per plotted suffix of each public sequence: 2 x len(STEPS) tiny calls."""
    cases = []
    for k, s in enumerate(SERIES):
        seq = public_sequence(k)
        dy, x, h0, h, W_xh, W_hh, W_hy = (seq[n] for n in ("dy", "x", "h0", "h", "W_xh", "W_hh", "W_hy"))
        for t in STEPS:
            start = h0 if t == 0 else h[t - 1]
            arrays = (dy[t:], x[t:], start, h[t:], W_xh, W_hh, W_hy)
            args = tuple(np.array(a, dtype=np.float64, order="C") for a in arrays)
            cases.append(Case(
                part="backward",
                name=f"chart/{s.name}/t{t:02d}",
                description=Text(en=f"gradient-norm chart ({s.en}), sequence from step {t}",
                                 zh=f"梯度范数图（{s.zh}），从第 {t} 步开始的序列"),
                args=args,
                facts={"kind": "chart", "series": s.name, "t": t, "T": T - t, "B": B, "I": I, "H": H, "O": O},
                scored=False,
            ))
    return cases


def _norm(value: Any, shape: tuple[int, ...]) -> float | None:
    """‖dL/dh0‖ from one backward answer, or None if it is not a finite array of the right shape."""
    if not isinstance(value, dict):
        return None
    g = value.get("h0")
    if not isinstance(g, np.ndarray) or g.shape != shape or g.dtype.kind not in "fiu":
        return None
    with np.errstate(all="ignore"):
        n = float(np.linalg.norm(g.astype(np.float64)))
    return n if np.isfinite(n) else None


def chart(student_outputs: list[Any | None], reference_outputs: list[Any], cases: list[Case]) -> Diagnostics:
    """The chart as data (the server draws it in the reader's language) and the curves as values, for
    Result.diagnostics. Everything here comes from public inputs."""
    series: list[dict[str, Any]] = []
    for s in SERIES:
        ref: list[float | None] = [None] * len(STEPS)
        stud: list[float | None] = [None] * len(STEPS)
        for case, got, want in zip(cases, student_outputs, reference_outputs, strict=True):
            if case.facts.get("series") != s.name:
                continue
            k = STEPS.index(int(case.facts["t"]))
            ref[k] = _norm(want, (B, H))
            stud[k] = _norm(got, (B, H))
        series.append({"kind": s.name, "spectral_radius": s.radius, "reference": ref, "student": stud})
    available = any(v is not None for sr in series for v in sr["student"])
    return Diagnostics(
        charts=[_chart(series, available)],
        values={
            "grad_norm_t": list(STEPS),
            "grad_norm_reference": series[0]["reference"],
            "grad_norm_student": series[0]["student"],
            "grad_norm_series": series,
            "grad_norm_student_available": available,
        },
    )


def _chart(series: list[dict[str, Any]], student_available: bool) -> Chart:
    yours = (Text(en="yours", zh="你的结果") if student_available
             else Text(en="yours: no valid dL/dh0 returned", zh="你的结果：没有返回有效的 dL/dh0"))
    return Chart(
        name="grad_norm",
        title=Text(en="Gradient norm ‖∂L/∂h_t‖ over time (public inputs)",
                   zh="梯度范数 ‖∂L/∂h_t‖ 随时间变化（公开输入）"),
        x_label=Text(en="t", zh="t"),
        y_label=Text(en="‖∂L/∂h_t‖", zh="‖∂L/∂h_t‖"),
        x=[float(t) for t in STEPS],
        y_scale="log",
        panels=[
            Panel(
                title=Text(en=f"ρ(W_hh) = {s.radius:g}: {s.en}", zh=f"ρ(W_hh) = {s.radius:g}：{s.zh}"),
                series=[
                    ChartSeries(label=Text(en="reference", zh="参考答案"), role="reference", y=sr["reference"]),
                    ChartSeries(label=yours, role="student", y=sr["student"]),
                ],
            )
            for s, sr in zip(SERIES, series, strict=True)
        ],
        notes=[Text(en="L: the loss at the last step only", zh="L：仅最后一步的损失")],
    )
