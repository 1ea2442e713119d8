"""Feedback that teaches, for exercise `rnn`: the grader's optional hooks (see grader.procedure, grader.grade).

Trusted side only; nothing here is sent into the sandbox.
  explain(part, case, student, reference)  per failing test: which catalogued mistake (reference.rnn_mutants)
                                            reproduces the student's output, plus NaN/overflow hints
  explain_part(part, cases, tests)          per part: patterns across tests ("passes T=1, fails T>1", ...)
  chart_cases() / chart(...)                the ‖∂L/∂h_t‖ chart on public inputs (reference.rnn_chart)
  misconception_catalogue()                 names, titles and hints, for the teacher view
Every text comes from CATALOG or the misconception catalogue, in English and Chinese, and carries no number
from a hidden input or a reference output.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from grader.compare import relative_error
from grader.exercise import Case, Part, copy_value
from grader.result import Outcome, TestResult, Text
from reference.rnn_chart import chart, chart_cases
from reference.rnn_mutants import MISCONCEPTIONS, Misconception, Variant, variants_for

__all__ = ["CATALOG", "chart", "chart_cases", "explain", "explain_part", "misconception_catalogue"]

log = logging.getLogger(__name__)

# An exact mistake's mutant is the same computation written differently: it agrees with a student who made
# that mistake about as well as two correct solutions agree (the spec measured <0.2% of the tolerance).
EXACT_TOLERANCE_FACTOR = 10.0
# float32 rounding, amplified along long sequences, stays far below this.
LOOSE_RTOL = 2e-3
LOOSE_ATOL_FRACTION = 1e-4  # of the largest reference entry of the compared output
MAX_REPORTED = 2
# Stop trying mutants on one test after this much CPU time of this thread (a slow explainer must not slow
# grading down). CPU time, not wall time: a loaded machine must not change which mistake a student is told.
EXPLAIN_BUDGET_S = 0.1

OUTPUT_NAMES = {"rnn_forward": ("y", "h"), "clip_grad_norm": ("clipped", "total_norm")}
LONG_KINDS = ("long_vanishing", "long_exploding")
BELOW_KINDS = ("far_below", "just_below")
ABOVE_KINDS = ("just_above", "far_above", "single_array", "mixed_shapes")
THRESHOLD_KINDS = ("just_below", "just_above")
LAYOUT_KINDS = ("single_array", "mixed_shapes")

CATALOG: dict[str, dict[str, str]] = {
    "misconception": {
        "en": "Likely mistake: {title}. {hint}",
        "zh": "可能的错误：{title}。{hint}",
    },
    # ---- per-test numeric hints
    "nan_saturated": {
        "en": "Non-finite values on the saturated case: exp of a large pre-activation overflows. Use np.tanh "
        "rather than a formula built from np.exp.",
        "zh": "饱和用例中出现非有限值：大预激活值的 exp 会溢出。请使用 np.tanh，而不是用 np.exp 自己拼公式。",
    },
    "nan_exploding": {
        "en": "Non-finite values on an exploding-gradient case. Gradients here grow roughly like the spectral "
        "radius of W_hh to the power of the distance in time (lesson 04), yet they stay finite: something "
        "overflows, such as an explicit power of W_hh, a product of Jacobians, or a sum that is never reset.",
        "zh": "梯度爆炸用例中出现非有限值。这里梯度大致按 W_hh 谱半径的“时间距离”次幂增长（第 04 课），但仍是有限值："
        "有某处溢出了，例如显式计算 W_hh 的幂、雅可比矩阵的连乘，或从不清零的累加。",
    },
    "nan_generic": {
        "en": "Non-finite values: look for a division by zero, np.sqrt or np.log of a negative number, or an "
        "overflowing np.exp.",
        "zh": "出现非有限值：请检查除以零、对负数求 np.sqrt 或 np.log，或溢出的 np.exp。",
    },
    "blowup": {
        "en": "Some of your values are orders of magnitude larger than the correct ones: something amplifies at "
        "every step (a missing tanh or tanh derivative, a sign error, or a state added instead of replaced).",
        "zh": "你的部分数值比正确值大几个数量级：某处在每一步都被放大（缺少 tanh 或其导数、符号错误，或状态被累加"
        "而不是替换）。",
    },
    # ---- per-part patterns: forward and backward
    "pattern_recurrence_forward": {
        "en": "Pattern: every single-step test (T=1) passes but longer sequences fail. One step is right; the link "
        "between steps is not. Check that h_t becomes h_{t-1} of the next step and enters through W_hh: "
        "h_t = tanh(W_xh x_t + W_hh h_{t-1} + b_h) (lesson 02).",
        "zh": "规律：单步测试（T=1）全部通过，更长的序列失败。单步计算正确，步与步之间的连接有误。"
        "请检查 h_t 是否成为下一步的 h_{t-1}，并通过 W_hh 进入计算："
        "h_t = tanh(W_xh x_t + W_hh h_{t-1} + b_h)（第 02 课）。",
    },
    "pattern_recurrence_backward": {
        "en": "Pattern: every single-step test (T=1) passes but longer sequences fail. The per-step derivatives "
        "are right and the recurrence of BPTT is wrong: check what flows from step t back to step t-1, "
        "dh_{t-1} gets W_hh^T (dh_t * (1 - h_t^2)) on top of W_hy^T dy_{t-1} (lesson 03).",
        "zh": "规律：单步测试（T=1）全部通过，更长的序列失败。每一步的导数正确，BPTT 的递推有误：请检查从第 t 步回传到"
        "第 t-1 步的量，dh_{t-1} 除了 W_hy^T dy_{t-1} 之外还要加上 W_hh^T (dh_t * (1 - h_t^2))（第 03 课）。",
    },
    "pattern_local_backward": {
        "en": "Pattern: even the single-step test (T=1) fails, where BPTT has no recurrence at all. The error is "
        "in one step's derivatives (da_t = dh_t * (1 - h_t^2), the weight and bias sums, dx_t, dh0), not only in "
        "the time loop (lesson 03).",
        "zh": "规律：连单步测试（T=1）也失败，而这时 BPTT 根本没有递推。错误在单步的导数中（da_t = dh_t * (1 - h_t^2)、"
        "权重与偏置的求和、dx_t、dh0），而不只是在时间循环里（第 03 课）。",
    },
    "pattern_long_only": {
        "en": "Pattern: only the long sequences fail; the short ones pass. Small errors grow along a long "
        "sequence (lesson 04): look for float32 somewhere, an approximate tanh, or a value computed once and "
        "reused when it should be recomputed at every step.",
        "zh": "规律：只有长序列失败，短序列都通过。小误差会沿长序列放大（第 04 课）：请检查是否有 float32、近似的 "
        "tanh，或本应每步重新计算却只算一次并重复使用的值。",
    },
    "pattern_exploding_only": {
        "en": "Pattern: only the case with W_hh's spectral radius above 1 fails (exploding gradients, lesson 04). "
        "The correct gradients are large there but finite and exact: do not clip, normalise or round inside "
        "rnn_backward, do not form powers of W_hh, and keep float64.",
        "zh": "规律：只有 W_hh 谱半径大于 1 的用例失败（梯度爆炸，第 04 课）。这里正确的梯度很大，但有限且精确："
        "不要在 rnn_backward 中裁剪、归一化或舍入，不要计算 W_hh 的幂，并保持 float64。",
    },
    "pattern_vanishing_only": {
        "en": "Pattern: only the case with W_hh's spectral radius below 1 fails (vanishing gradients, lesson 04). "
        "Gradients from distant steps are tiny but still count: do not drop small values or stop the loop early.",
        "zh": "规律：只有 W_hh 谱半径小于 1 的用例失败（梯度消失，第 04 课）。远处时间步传来的梯度很小但仍然有用："
        "不要丢弃小数值，也不要提前结束循环。",
    },
    "pattern_slow_long": {
        "en": "Pattern: only the long sequences run out of time. Loop over time steps only; one matrix product "
        "handles the whole batch.",
        "zh": "规律：只有长序列超时。只对时间步循环；一次矩阵乘法即可处理整个批次。",
    },
    "pattern_saturated_only": {
        "en": "Pattern: only the saturated case fails (large pre-activations). If you compute tanh from np.exp, "
        "it overflows there: use np.tanh. In the backward pass, take 1 - h_t^2 from the h you were given.",
        "zh": "规律：只有饱和用例失败（预激活值很大）。如果你用 np.exp 计算 tanh，这里会溢出：请使用 np.tanh。"
        "反向传播中请用传入的 h 计算 1 - h_t^2。",
    },
    "pattern_non_square_only": {
        "en": "Pattern: only the non-square case fails (I, H and O all different). When sizes are equal a "
        "transposed matrix still has the right shape and hides the bug: check the orientation of every product "
        "against W_xh (H, I), W_hh (H, H), W_hy (O, H).",
        "zh": "规律：只有非方阵用例失败（I、H、O 互不相同）。尺寸相同时，转置的矩阵形状依然正确，错误被掩盖：请对照 "
        "W_xh (H, I)、W_hh (H, H)、W_hy (O, H) 检查每个乘积的方向。",
    },
    "pattern_zero_h0_only": {
        "en": "Pattern: only the zero-h0 case fails. h0 = 0 is an ordinary initial state: do not treat it "
        "specially, and dL/dh0 = W_hh^T da_1 is still computed as usual.",
        "zh": "规律：只有 h0 为零的用例失败。h0 = 0 是普通的初始状态：不要特殊处理；dL/dh0 = W_hh^T da_1 仍照常计算。",
    },
    "pattern_only_zero_h0_passes": {
        "en": "Pattern: only the zero-h0 case passes, where h0 contributes nothing. Check how h0 enters: "
        "h_1 = tanh(W_xh x_1 + W_hh h0 + b_h) in the forward pass; h0 is h_{t-1} of the first step in dW_hh, "
        "and dL/dh0 = W_hh^T da_1.",
        "zh": "规律：只有 h0 为零的用例通过，而那里 h0 不起作用。请检查 h0 如何参与计算：前向中 "
        "h_1 = tanh(W_xh x_1 + W_hh h0 + b_h)；在 dW_hh 中 h0 是第一步的 h_{t-1}；dL/dh0 = W_hh^T da_1。",
    },
    # ---- per-part patterns: clip
    "pattern_clip_below_only": {
        "en": "Pattern: only the tests whose total norm is below max_norm fail. Below the threshold the "
        "gradients come back with unchanged values (coef = min(1, ...)), still as new arrays.",
        "zh": "规律：只有总范数低于 max_norm 的测试失败。低于阈值时梯度数值保持不变（coef = min(1, ...)），但仍要返回"
        "新数组。",
    },
    "pattern_clip_above_only": {
        "en": "Pattern: only the tests whose total norm exceeds max_norm fail: deciding whether to clip is right, "
        "the rescaling is not. Every array is multiplied by the same coef = max_norm / (total + 1e-6).",
        "zh": "规律：只有总范数超过 max_norm 的测试失败：是否裁剪的判断正确，缩放有误。所有数组乘以同一个 "
        "coef = max_norm / (total + 1e-6)。",
    },
    "pattern_clip_threshold": {
        "en": "Pattern: only the tests right at the threshold fail (total norm within 0.1% of max_norm). Check "
        "the comparison and the 1e-6: coef = min(1, max_norm / (total + 1e-6)).",
        "zh": "规律：只有紧贴阈值的测试失败（总范数与 max_norm 相差 0.1% 以内）。请检查比较方式和 1e-6："
        "coef = min(1, max_norm / (total + 1e-6))。",
    },
    "pattern_clip_layout": {
        "en": "Pattern: only the tests with unusual layouts fail (a single array, or arrays of different shapes "
        "and magnitudes). The total norm covers every entry of every array, whatever its shape and name.",
        "zh": "规律：只有布局特殊的测试失败（单个数组，或形状和量级各异的数组）。总范数要覆盖每个数组的每个元素，"
        "与数组的形状和名字无关。",
    },
}


def text(key: str) -> Text:
    entry = CATALOG[key]
    return Text(en=entry["en"], zh=entry["zh"])


def misconception_text(m: Misconception) -> Text:
    entry = CATALOG["misconception"]
    return Text(
        en=entry["en"].format(title=m.title.en, hint=m.hint.en),
        zh=entry["zh"].format(title=m.title.zh, hint=m.hint.zh),
    )


def misconception_catalogue() -> list[dict[str, Any]]:
    """Every named mistake, for the teacher view (labels for counts of TestResult.misconceptions)."""
    return [
        {
            "name": m.name,
            "part": m.part,
            "title": m.title.model_dump(),
            "hint": m.hint.model_dump(),
            "detected_by": "harness" if m.by_harness else "mutant",
            # What the mistake looks like in code (first variant), for teachers.
            "example": [{"function": v.function, "old": old, "new": new}
                        for v in m.variants[:1] for old, new in v.patches],
        }
        for m in MISCONCEPTIONS
    ]


# ---------------------------------------------------------------- matching a student's output to a mutant

_MISSING = object()


def _get(value: Any, function: str, path: str) -> Any:
    """One top-level output of a contract function's return value, or _MISSING."""
    names = OUTPUT_NAMES.get(function)
    if names is not None:
        if not isinstance(value, tuple | list) or len(value) != len(names) or path not in names:
            return _MISSING
        return value[names.index(path)]
    if isinstance(value, dict):
        return value.get(path, _MISSING)
    return _MISSING


def _leaves(value: Any) -> list[np.ndarray[Any, Any]] | None:
    """Numeric leaves as float64 arrays, dict keys in a fixed order; None if something is not numeric. Dtypes
    are ignored on purpose: matching looks at values, and compare already reports a float32 result."""
    if isinstance(value, dict):
        out: list[np.ndarray[Any, Any]] = []
        for k in sorted(value, key=str):
            sub = _leaves(value[k])
            if sub is None:
                return None
            out += sub
        return out
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
        return [value.astype(np.float64)]
    if isinstance(value, int | float | np.number) and not isinstance(value, bool | complex):
        return [np.asarray(value, dtype=np.float64)]
    return None


def _magnitude(value: Any) -> float:
    leaves = _leaves(value) or []
    finite = [np.abs(a[np.isfinite(a)]) for a in leaves if a.size]
    return max((float(f.max()) for f in finite if f.size), default=0.0)


def _distance(a: Any, b: Any, atol: float) -> float:
    """max relative error between two outputs of the same structure and shapes, else inf."""
    if isinstance(a, dict) != isinstance(b, dict) or (isinstance(a, dict) and set(a) != set(b)):
        return float("inf")
    la, lb = _leaves(a), _leaves(b)
    if la is None or lb is None or len(la) != len(lb) or any(x.shape != y.shape for x, y in zip(la, lb, strict=True)):
        return float("inf")
    with np.errstate(all="ignore"):
        errors = [relative_error(x, y, atol) for x, y in zip(la, lb, strict=True)]
    worst = max(errors, default=0.0)
    return worst if np.isfinite(worst) else float("inf")


def _close(a: Any, b: Any, rtol: float, atol: float) -> bool:
    """grader.compare's verdict without its messages (this runs ~50 times per failing test): same structure,
    every key of `b` present in `a`, numeric leaves of equal shape, np.allclose(a, b, rtol, atol) with `b` as
    the reference and NaN never close. Dtypes are ignored: compare already reports them. Missing in both
    counts as equal."""
    if a is _MISSING or b is _MISSING:
        return a is b
    if isinstance(b, dict):
        return isinstance(a, dict) and all(k in a and _close(a[k], v, rtol, atol) for k, v in b.items())
    if isinstance(b, tuple | list):
        return (isinstance(a, tuple | list) and len(a) == len(b)
                and all(_close(x, y, rtol, atol) for x, y in zip(a, b, strict=True)))
    la, lb = _leaves(a), _leaves(b)
    if not la or not lb or isinstance(a, dict | tuple | list) or la[0].shape != lb[0].shape:
        return False
    with np.errstate(all="ignore"):
        return bool(np.allclose(la[0], lb[0], rtol=rtol, atol=atol, equal_nan=False))


def _float32_evidence(student: Any) -> bool:
    """float32 arrays, or float64 values that are exactly float32 numbers (computed in float32, cast back)."""
    leaves: list[Any] = []

    def walk(v: Any) -> None:
        if isinstance(v, dict):
            for x in v.values():
                walk(x)
        elif isinstance(v, tuple | list):
            for x in v:
                walk(x)
        else:
            leaves.append(v)

    walk(student)
    arrays = [a for a in leaves if isinstance(a, np.ndarray | np.floating | float) and not isinstance(a, bool)]
    if any(isinstance(a, np.ndarray | np.floating) and a.dtype == np.float32 for a in arrays):
        return True
    values = np.concatenate([np.ravel(np.asarray(a, dtype=np.float64)) for a in arrays]) if arrays else np.zeros(0)
    values = values[np.isfinite(values) & (values != 0)]
    if values.size == 0:
        return False
    with np.errstate(all="ignore"):
        exact = values.astype(np.float32).astype(np.float64) == values
    return bool(exact.mean() >= 0.9)


@dataclasses.dataclass
class _Match:
    misconception: Misconception
    distance: float
    # The outputs the student got wrong that this mutant's whole output reproduces.
    explained: frozenset[str]


class _Diagnosis:
    """One failing test: the student's and the reference's outputs, split into the function's named outputs."""

    def __init__(self, part: Part, case: Case, student: Any, reference: Any) -> None:
        self.part, self.case = part, case
        self.function = part.function
        self.student, self.reference = student, reference
        names = OUTPUT_NAMES.get(self.function)
        self.all_paths: tuple[str, ...] = names or (tuple(reference) if isinstance(reference, dict) else ())
        self.wrong = frozenset(p for p in self.all_paths if not self.right(p))
        self.outputs: dict[str, Any] = {}

    def right(self, path: str) -> bool:
        s = _get(self.student, self.function, path)
        ref = _get(self.reference, self.function, path)
        return s is not _MISSING and _close(s, ref, self.part.rtol, self.part.atol)

    def run(self, variant: Variant) -> Any:
        """The mutant's output on copies of the case's inputs (once per distinct source), or _MISSING."""
        if variant.source not in self.outputs:
            try:
                with np.errstate(all="ignore"):
                    self.outputs[variant.source] = variant.run(*copy_value(self.case.args))
            except Exception:  # the mutant may fail on some shapes: that variant simply does not apply
                self.outputs[variant.source] = _MISSING
        return self.outputs[variant.source]

    def tolerance(self, m: Misconception, ref: Any) -> tuple[float, float]:
        if m.loose:
            return LOOSE_RTOL, LOOSE_ATOL_FRACTION * _magnitude(ref) + self.part.atol
        return self.part.rtol * EXACT_TOLERANCE_FACTOR, self.part.atol * EXACT_TOLERANCE_FACTOR

    def try_variant(self, m: Misconception, variant: Variant) -> _Match | None:
        fn = self.function
        paths = variant.paths or self.all_paths
        # An exact mistake changes every output it is matched on; float32 rounding might spare one.
        if not paths or not (set(paths) & self.wrong if m.loose else set(paths) <= self.wrong):
            return None
        out = self.run(variant)
        if out is _MISSING:
            return None
        refs = {p: _get(self.reference, fn, p) for p in self.all_paths}
        muts = {p: _get(out, fn, p) for p in self.all_paths}
        studs = {p: _get(self.student, fn, p) for p in self.all_paths}
        if all(_close(muts[p], refs[p], self.part.rtol, self.part.atol) for p in paths):
            return None  # coincides with the reference on this case: says nothing
        if m.loose and not _float32_evidence([studs[p] for p in paths]):
            return None
        tols = {p: self.tolerance(m, refs[p]) for p in self.all_paths}
        if not all(_close(studs[p], muts[p], *tols[p]) for p in paths):
            return None
        shown = [p for p in paths if studs[p] is not _MISSING]
        to_mutant = max((_distance(studs[p], muts[p], tols[p][1]) for p in shown), default=0.0)
        to_reference = max((_distance(studs[p], refs[p], self.part.atol) for p in shown),
                           default=float("inf"))
        if to_mutant >= to_reference:
            return None
        explained = frozenset(p for p in self.wrong if _close(studs[p], muts[p], *tols[p]))
        return _Match(m, to_mutant, explained)


def diagnose(part: Part, case: Case, student: Any, reference: Any) -> list[Misconception]:
    """The catalogued mistakes whose mutant reproduces `student` on this case, most likely first (at most 2).

    A variant counts only if (1) its output differs from the reference on the outputs it is matched on (so a
    mutant that coincides with the reference here, e.g. no_dh_next at T=1, is never reported), (2) the
    student's output equals the mutant's on every one of them, within a tolerance a bit wider than the real
    one (float32 variants: a loose one, and only when no exact mistake matches), and (3) the student's output
    is closer to the mutant's than to the reference's. The mistake whose whole output reproduces more of the
    student's wrong outputs ranks first; a second one is reported only if it explains something the first
    does not, or exactly the same outputs (then the case cannot tell them apart and both are named).
    """
    d = _Diagnosis(part, case, student, reference)
    if not d.wrong:
        return []
    started = time.thread_time()
    matches: dict[str, _Match] = {}
    # Once a mistake reproduces every wrong output, only a tie can still be named beside it: look for one
    # among the variants matched on the same outputs only (saves most of the mutant runs).
    complete: tuple[str, ...] | None = None
    for m, variant in variants_for(part.function):
        if m.name in matches or (complete is not None and variant.paths != complete):
            continue
        if m.loose and matches:
            break  # an exact mistake explains the output better than rounding does
        if time.thread_time() - started > EXPLAIN_BUDGET_S:
            log.warning("explain budget used up on %s", case.name)
            break
        found = d.try_variant(m, variant)
        if found is not None:
            matches[m.name] = found
            if complete is None and found.explained == d.wrong:
                complete = variant.paths
    ranked = sorted(matches.values(), key=lambda x: (-len(x.explained), x.distance))
    if not ranked:
        return []
    first = ranked[0]
    report = [first] + [x for x in ranked[1:] if not x.explained < first.explained][: MAX_REPORTED - 1]
    return [x.misconception for x in report]


def _pairs(student: Any, reference: Any) -> list[tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]]:
    """(student, reference) numeric leaves at the same place and of the same shape."""
    if isinstance(reference, dict):
        if not isinstance(student, dict):
            return []
        return [p for k in reference if k in student for p in _pairs(student[k], reference[k])]
    if isinstance(reference, tuple):
        if not isinstance(student, tuple | list) or len(student) != len(reference):
            return []
        return [p for s, r in zip(student, reference, strict=True) for p in _pairs(s, r)]
    if isinstance(student, dict | tuple | list):
        return []
    s_leaves, r_leaves = _leaves(student), _leaves(reference)
    if not s_leaves or not r_leaves or s_leaves[0].shape != r_leaves[0].shape:
        return []
    return [(s_leaves[0], r_leaves[0])]


def _numeric_hints(part: Part, case: Case, student: Any, reference: Any) -> list[Text]:
    non_finite = blowup = False
    with np.errstate(all="ignore"):
        for s, r in _pairs(student, reference):
            if np.any(~np.isfinite(s) & np.isfinite(r)):
                non_finite = True
            elif s.size and np.max(np.abs(s)) > 1e6 * max(float(np.max(np.abs(r))), 1.0):
                blowup = True
    kind = case.facts.get("kind")
    if non_finite:
        if kind == "saturated":
            return [text("nan_saturated")]
        if kind == "long_exploding" and part.name == "backward":
            return [text("nan_exploding")]
        return [text("nan_generic")]
    return [text("blowup")] if blowup else []


def explain(part: Part, case: Case, student: Any, reference: Any) -> tuple[list[Text], list[str]]:
    """grader.procedure.Explainer: texts naming the mistake (with a hint) and the misconception names."""
    if not case.scored:
        return [], []  # chart cases: the chart says it
    found = diagnose(part, case, student, reference)
    texts = [misconception_text(m) for m in found] + _numeric_hints(part, case, student, reference)
    return texts, [m.name for m in found]


# ---------------------------------------------------------------- patterns across one part's tests

def _failed(test: TestResult) -> bool:
    return test.outcome not in (Outcome.passed, Outcome.internal_error)


def explain_part(part: Part, cases: Sequence[Case], tests: Sequence[TestResult]) -> list[Text]:
    """grader.procedure.PartExplainer: at most two patterns, from case facts (sizes, kinds) and outcomes."""
    pairs = [(c, t) for c, t in zip(cases, tests, strict=True) if t.outcome is not Outcome.internal_error]
    failed = [c for c, t in pairs if _failed(t)]
    passed = [c for c, t in pairs if not _failed(t)]
    if not failed:
        return []
    kinds_failed = {c.facts.get("kind") for c in failed}
    kinds_passed = {c.facts.get("kind") for c in passed}
    keys: list[str] = []
    if part.name in ("forward", "backward"):
        keys = _rnn_patterns(part, failed, passed, kinds_failed, kinds_passed,
                             [t for _, t in pairs if _failed(t)])
    elif part.name == "clip":
        keys = _clip_patterns(kinds_failed, kinds_passed)
    return [text(k) for k in keys[:2]]


def _rnn_patterns(part: Part, failed: list[Case], passed: list[Case], kinds_failed: set[Any],
                  kinds_passed: set[Any], failed_tests: list[TestResult]) -> list[str]:
    """A failure confined to one kind of case names that kind; otherwise T=1 against T>1 says whether the
    recurrence or a single step is wrong."""
    keys: list[str] = []
    if passed and kinds_failed <= set(LONG_KINDS):
        if all(t.outcome is Outcome.time_limit for t in failed_tests):
            keys.append("pattern_slow_long")
        elif kinds_failed == {"long_exploding"}:
            keys.append("pattern_exploding_only")
        elif kinds_failed == {"long_vanishing"}:
            keys.append("pattern_vanishing_only")
        else:
            keys.append("pattern_long_only")
    for kind in ("saturated", "non_square", "zero_h0"):
        if passed and kinds_failed == {kind}:
            keys.append(f"pattern_{kind}_only")
    if kinds_passed == {"zero_h0"}:
        keys.append("pattern_only_zero_h0_passes")
    if keys:
        return keys
    single_failed = any(c.facts.get("T") == 1 for c in failed)
    single_passed = any(c.facts.get("T") == 1 for c in passed)
    if single_passed and not single_failed:
        return [f"pattern_recurrence_{part.name}"]
    if single_failed and part.name == "backward":
        return ["pattern_local_backward"]
    return []


def _clip_patterns(kinds_failed: set[Any], kinds_passed: set[Any]) -> list[str]:
    if not kinds_passed:
        return []
    if kinds_failed <= set(THRESHOLD_KINDS):
        return ["pattern_clip_threshold"]
    if kinds_failed <= set(BELOW_KINDS):
        return ["pattern_clip_below_only"]
    if kinds_failed <= set(LAYOUT_KINDS):
        return ["pattern_clip_layout"]
    if kinds_failed <= set(ABOVE_KINDS):
        return ["pattern_clip_above_only"]
    return []
