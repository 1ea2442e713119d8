"""The ‖∂L/∂h_t‖ chart of a submission (lesson 04: vanishing and exploding gradients), as a self-contained SVG.

The student's rnn_backward returns dL/dh0. Called on the suffix of a sequence that starts at step s
(x[s:], h0 = h_s, h[s:], dy[s:]), it returns dL/dh_s of the whole sequence, because the steps before s do not
depend on h_s. So `chart_cases()` is one unscored backward case per suffix of two fixed PUBLIC sequences
(inputs drawn from fixed seeds, never hidden ones), and `chart()` turns the student's and the reference's
answers into two curves per sequence. The loss is taken at the last step only (dy = 0 before it), which is
the setting of lesson 04: how much of the last step's error reaches each earlier state.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any
from xml.sax.saxutils import escape

import numpy as np
from numpy.typing import NDArray

from grader.exercise import Case
from grader.result import Text
from reference.rnn import rnn_forward

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
    q, _ = np.linalg.qr(rng.standard_normal((H, H)))
    W_hh = q * s.radius
    b_h = rng.standard_normal(H) * (0.1 * s.x_scale)
    W_hy = rng.standard_normal((O, H)) / np.sqrt(H)
    b_y = rng.standard_normal(O)
    _, h = rnn_forward(x, h0, W_xh, W_hh, b_h, W_hy, b_y)
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


def chart(student_outputs: list[Any | None], reference_outputs: list[Any], cases: list[Case]) -> dict[str, object]:
    """Curves and the SVG, for Result.diagnostics. Everything here comes from public inputs."""
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
    return {
        "grad_norm_chart_svg": render_svg(series, available),
        "grad_norm_t": list(STEPS),
        "grad_norm_reference": series[0]["reference"],
        "grad_norm_student": series[0]["student"],
        "grad_norm_series": series,
        "grad_norm_student_available": available,
    }


# ---------------------------------------------------------------- SVG (server-rendered, no script)

WIDTH, HEIGHT = 770, 330
PANEL_W, PANEL_H = 300, 210
PANEL_X = (70, 450)
PANEL_Y = 74
REF_COLOR, STUDENT_COLOR = "#1f77b4", "#d62728"
MAX_DECADES = 14
_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _decade_label(k: int) -> str:
    return "10" + str(k).translate(_SUPERSCRIPT)


def _y_range(values: list[float]) -> tuple[int, int]:
    positive = [v for v in values if v > 0]
    if not positive:
        return -1, 1
    hi = int(np.ceil(np.log10(max(positive))))
    lo = int(np.floor(np.log10(min(positive))))
    lo = max(lo, hi - MAX_DECADES)
    return (lo, hi + 1) if hi == lo else (lo, hi)


def _polyline(points: list[tuple[float, float] | None], color: str, dashed: bool) -> list[str]:
    out: list[str] = []
    run: list[tuple[float, float]] = []
    dash = ' stroke-dasharray="6 4"' if dashed else ""
    for p in [*points, None]:
        if p is None:
            if len(run) > 1:
                coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
                out.append(f'<polyline points="{coords}" fill="none" stroke="{color}" stroke-width="2"{dash}/>')
            run = []
        else:
            run.append(p)
    return out


def _panel(x0: int, sr: dict[str, Any], title: str, show_student: bool) -> list[str]:
    ref = sr["reference"]
    stud = sr["student"] if show_student else [None] * len(ref)
    lo, hi = _y_range([v for v in [*ref, *stud] if v is not None])
    x_of = [x0 + PANEL_W * t / (T - 1) for t in STEPS]

    def y_of(v: float) -> tuple[float, bool]:
        """Pixel y and whether the value lies below the axis (zero, or tinier than the range)."""
        if v <= 0 or np.log10(v) < lo:
            return PANEL_Y + PANEL_H, True
        return PANEL_Y + PANEL_H * (hi - np.log10(v)) / (hi - lo), False

    mid = PANEL_Y + PANEL_H / 2
    out = [f'<text x="{x0 + PANEL_W / 2}" y="{PANEL_Y - 10}" text-anchor="middle" font-size="13">'
           f"{escape(title)}</text>",
           f'<text x="{x0 - 50}" y="{mid}" font-size="12" transform="rotate(-90 {x0 - 50} {mid})"'
           ' text-anchor="middle">‖∂L/∂h_t‖</text>',
           f'<rect x="{x0}" y="{PANEL_Y}" width="{PANEL_W}" height="{PANEL_H}" fill="none" stroke="#888"/>']
    step = 1 if hi - lo <= 7 else 2
    for k in range(lo, hi + 1):
        y = PANEL_Y + PANEL_H * (hi - k) / (hi - lo)
        out.append(f'<line x1="{x0}" y1="{y:.1f}" x2="{x0 + PANEL_W}" y2="{y:.1f}" stroke="#ddd"/>')
        if (k - lo) % step == 0:
            out.append(f'<text x="{x0 - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11">{_decade_label(k)}'
                       "</text>")
    for t in range(0, T, 5):
        x = x0 + PANEL_W * t / (T - 1)
        out.append(f'<text x="{x:.1f}" y="{PANEL_Y + PANEL_H + 16}" text-anchor="middle" font-size="11">{t}</text>')
    out.append(f'<text x="{x0 + PANEL_W / 2}" y="{PANEL_Y + PANEL_H + 34}" text-anchor="middle" font-size="12"'
               ' font-style="italic">t</text>')
    for values, color, dashed in ((ref, REF_COLOR, False), (stud, STUDENT_COLOR, True)):
        points: list[tuple[float, float] | None] = []
        for k, v in enumerate(values):
            if v is None:
                points.append(None)
                continue
            y, below = y_of(v)
            points.append((x_of[k], y))
            fill = "white" if below else color
            out.append(f'<circle cx="{x_of[k]:.1f}" cy="{y:.1f}" r="{3 if dashed else 2.5}" fill="{fill}"'
                       f' stroke="{color}"/>')
        out += _polyline(points, color, dashed)
    return out


def render_svg(series: list[dict[str, Any]], student_available: bool) -> str:
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}"'
        ' font-family="sans-serif" role="img" aria-label="‖∂L/∂h_t‖ over t">',
        "<title>‖∂L/∂h_t‖ — L: loss at the last step / 仅最后一步的损失</title>",
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
    ]
    # Legend.
    parts += [
        f'<line x1="70" y1="18" x2="100" y2="18" stroke="{REF_COLOR}" stroke-width="2"/>',
        '<text x="106" y="22" font-size="12">reference / 参考答案</text>',
        f'<line x1="270" y1="18" x2="300" y2="18" stroke="{STUDENT_COLOR}" stroke-width="2" stroke-dasharray="6 4"/>',
        '<text x="306" y="22" font-size="12">'
        + ("yours / 你的结果" if student_available
           else "yours: no valid dL/dh0 returned / 你的结果：没有返回有效的 dL/dh0")
        + "</text>",
        '<text x="70" y="40" font-size="11" fill="#555">hollow markers: 0 or below the axis / '
        "空心点：0 或低于坐标轴下限</text>",
    ]
    for x0, sr, s in zip(PANEL_X, series, SERIES, strict=True):
        title = f"ρ(W_hh) = {s.radius:g}: {s.en} / {s.zh}"
        parts += _panel(x0, sr, title, student_available)
    parts.append("</svg>")
    return "\n".join(parts)
