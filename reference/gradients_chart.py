"""The chart of exercise `rnn_gradients`: ||dL/dh_t|| against the distance T - t from the loss (notebook 04), as data
the server draws in the reader's language.

`chart_cases()` are unscored grad_norms cases on three fixed PUBLIC sequences (drawn from CHART_SEED, never a
hidden seed): W_hh's spectral radius below 1, above 1 with tanh nearly linear, and above 1 with saturated
units. `chart()` turns the student's answers and the reference's into one panel per sequence, on a log axis
where a geometric decay or growth is a straight line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from grader.diagnostics import Chart, Diagnostics, Panel
from grader.diagnostics import Series as ChartSeries
from grader.exercise import Case
from grader.result import Text
from reference.gradients_cases import CHART_SEED, hidden_states, recurrent_matrix

T, B, H = 30, 1, 8


@dataclass(frozen=True)
class ChartSequence:
    name: str
    en: str
    zh: str
    radius: float
    states: str


SEQUENCES = (
    ChartSequence("vanishing", "vanishing", "梯度消失", 0.8, "moderate"),
    ChartSequence("exploding", "exploding", "梯度爆炸", 1.2, "small"),
    ChartSequence("saturated", "saturated units", "单元饱和", 1.2, "saturated"),
)


def chart_cases() -> list[Case]:
    """One unscored grad_norms case per sequence: the whole curve comes from one call."""
    cases = []
    for k, s in enumerate(SEQUENCES):
        rng = np.random.default_rng([CHART_SEED, k])
        W_hh = recurrent_matrix(rng, H, s.radius, 0.3)
        h = hidden_states(rng, (T, B, H), s.states)
        g = rng.standard_normal((B, H))
        cases.append(Case(
            part="norms", name=f"chart/{s.name}",
            description=Text(en=f"gradient-norm chart ({s.en})", zh=f"梯度范数图（{s.zh}）"),
            args=(g, h, W_hh), facts={"kind": "chart", "series": s.name, "T": T, "B": B, "H": H}, scored=False,
        ))
    return cases


def _by_distance(value: Any) -> list[float | None]:
    """Row 0 of a norms answer, by distance d = T - t (d = 0 at the loss); None where it is not usable."""
    if not isinstance(value, np.ndarray) or value.shape != (T + 1, B) or value.dtype.kind not in "fiu":
        return [None] * (T + 1)
    column = value[::-1, 0].astype(np.float64)
    return [float(v) if np.isfinite(v) and v > 0 else None for v in column]


def chart(student_outputs: list[Any | None], reference_outputs: list[Any], cases: list[Case]) -> Diagnostics:
    series = []
    for s in SEQUENCES:
        k = next(i for i, c in enumerate(cases) if c.facts.get("series") == s.name)
        series.append((s, _by_distance(reference_outputs[k]), _by_distance(student_outputs[k])))
    available = any(v is not None for _, _, stud in series for v in stud)
    yours = (Text(en="yours", zh="你的结果") if available
             else Text(en="yours: no valid norms returned", zh="你的结果：没有返回有效的范数"))
    drawn = Chart(
        name="grad_norm_distance",
        title=Text(en="Gradient norm ‖∂L/∂h_t‖ against the distance T − t from the loss (public inputs)",
                   zh="梯度范数 ‖∂L/∂h_t‖ 随与损失的距离 T − t 的变化（公开输入）"),
        x_label=Text(en="distance in time T − t", zh="时间距离 T − t"),
        y_label=Text(en="‖∂L/∂h_t‖", zh="‖∂L/∂h_t‖"),
        x=[float(d) for d in range(T + 1)],
        y_scale="log",
        panels=[Panel(title=Text(en=f"ρ(W_hh) = {s.radius:g}: {s.en}", zh=f"ρ(W_hh) = {s.radius:g}：{s.zh}"),
                      series=[ChartSeries(label=Text(en="reference", zh="参考答案"), role="reference", y=ref),
                              ChartSeries(label=yours, role="student", y=stud)])
                for s, ref, stud in series],
        notes=[Text(en="L depends on the last state h_T only", zh="L 只依赖最后一个状态 h_T")],
    )
    return Diagnostics(charts=[drawn], values={
        "distance": list(range(T + 1)),
        "norms_by_distance": {s.name: {"reference": ref, "student": stud} for s, ref, stud in series},
        "student_available": available,
    })
