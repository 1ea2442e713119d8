"""Feedback that teaches, for exercise `rnn`: its hooks (grader.hooks.ExerciseHooks), built on the generic
matcher (grader.mutants) and part summaries (grader.patterns); what is here is the exercise's own knowledge.

Trusted side only; nothing here is sent into the sandbox.
  explain(part, case, student, reference)  per failing test: NaN/overflow hints
  name_mistakes(part, observations)         per part: the catalogued mistake (reference.rnn_mutants) whose
                                            mutant explains every failing test and passes where the student
                                            passes (grader.mutants.MutantMatcher), else none
  explain_part(part, cases, tests)          per part: patterns across tests ("passes T=1, fails T>1", ...)
  chart_cases() / chart(...)                the ‖∂L/∂h_t‖ chart on public inputs (reference.rnn_chart)
  misconception_catalogue()                 names, titles and hints, for the teacher view
Every text comes from CATALOG or the misconception catalogue, in English and Chinese, and carries no number
from a hidden input or a reference output.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from grader.exercise import Case, Part
from grader.hooks import Observation
from grader.mutants import MutantMatcher
from grader.patterns import PartSummary, numeric_symptoms
from grader.result import Outcome, TestResult, Text
from reference.rnn_chart import chart, chart_cases
from reference.rnn_mutants import MISCONCEPTIONS, Variant

__all__ = ["CATALOG", "chart", "chart_cases", "explain", "explain_part", "misconception_catalogue", "name_mistakes"]

# Matching a failing output to the catalogued mistakes of reference.rnn_mutants (generic: grader.mutants).
MATCHER = MutantMatcher(MISCONCEPTIONS)

LONG_KINDS = ("long_vanishing", "long_exploding")
BELOW_KINDS = ("far_below", "just_below")
ABOVE_KINDS = ("just_above", "far_above", "single_array", "mixed_shapes")
THRESHOLD_KINDS = ("just_below", "just_above")
LAYOUT_KINDS = ("single_array", "mixed_shapes")

CATALOG: dict[str, dict[str, str]] = {
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
    "pattern_extreme_only": {
        "en": "Pattern: only the case with extreme pre-activations fails (magnitudes in the thousands, where "
        "tanh is exactly +-1). Something overflows for large inputs: use np.tanh rather than a formula built "
        "from np.exp.",
        "zh": "规律：只有极端预激活值的用例失败（幅度达数千，tanh 恰为 +-1）。某处在输入很大时溢出：请使用 "
        "np.tanh，而不是用 np.exp 自己拼公式。",
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


def misconception_catalogue() -> list[dict[str, Any]]:
    """Every named mistake, for the teacher view (labels for counts of TestResult.misconceptions)."""
    return [
        # What the mistake looks like in code (its first variant's patches), for teachers.
        {**m.entry(), "example": [{"function": v.function, "old": old, "new": new}
                                  for v in m.variants[:1] if isinstance(v, Variant) for old, new in v.patches]}
        for m in MISCONCEPTIONS
    ]


def _numeric_hints(part: Part, case: Case, student: Any, reference: Any) -> list[Text]:
    non_finite, blowup = numeric_symptoms(student, reference)
    kind = case.facts.get("kind")
    if non_finite:
        if kind in ("saturated", "extreme"):  # exp of a large pre-activation overflows
            return [text("nan_saturated")]
        if kind == "long_exploding" and part.name == "backward":
            return [text("nan_exploding")]
        return [text("nan_generic")]
    return [text("blowup")] if blowup else []


def explain(part: Part, case: Case, student: Any, reference: Any) -> tuple[list[Text], list[str]]:
    """grader.procedure.Explainer: the numeric hints about this test's values. Mistakes are named per part
    (`name_mistakes`), never from one test alone."""
    if not case.scored:
        return [], []  # chart cases: the chart says it
    return _numeric_hints(part, case, student, reference), []


def name_mistakes(part: Part, observations: Sequence[Observation]) -> list[list[str]]:
    """grader.hooks.ExerciseHooks.name_mistakes: the catalogued mistakes whose fingerprint explains the part.
    Each name's title and hint are said once per part by the grader (grader.mistakes, from
    misconception_catalogue()), not on every test it explains."""
    return MATCHER.name_part(part, observations)


# ---------------------------------------------------------------- patterns across one part's tests

def explain_part(part: Part, cases: Sequence[Case], tests: Sequence[TestResult]) -> list[Text]:
    """grader.procedure.PartExplainer: at most two patterns, from case facts (sizes, kinds) and outcomes."""
    summary = PartSummary.of(cases, tests)
    if not summary.failed:
        return []
    keys: list[str] = []
    if part.name in ("forward", "backward"):
        keys = _rnn_patterns(part, summary)
    elif part.name == "clip":
        keys = _clip_patterns(summary.kinds_failed, summary.kinds_passed)
    return [text(k) for k in keys[:2]]


def _rnn_patterns(part: Part, summary: PartSummary) -> list[str]:
    """A failure confined to one kind of case names that kind; otherwise T=1 against T>1 says whether the
    recurrence or a single step is wrong."""
    passed, kinds_failed, kinds_passed = summary.passed, summary.kinds_failed, summary.kinds_passed
    keys: list[str] = []
    if passed and kinds_failed <= set(LONG_KINDS):
        if all(t.outcome is Outcome.time_limit for t in summary.failed_tests):
            keys.append("pattern_slow_long")
        elif kinds_failed == {"long_exploding"}:
            keys.append("pattern_exploding_only")
        elif kinds_failed == {"long_vanishing"}:
            keys.append("pattern_vanishing_only")
        else:
            keys.append("pattern_long_only")
    for kind in ("saturated", "extreme", "non_square", "zero_h0"):
        if passed and kinds_failed == {kind}:
            keys.append(f"pattern_{kind}_only")
    # Every state of the extreme case is +-1, whatever the recurrence does: it passes many wrong recurrences.
    if kinds_passed - {"extreme"} == {"zero_h0"}:
        keys.append("pattern_only_zero_h0_passes")
    if keys:
        return keys
    single_failed = 1 in summary.facts("T", of_failed=True)
    single_passed = 1 in summary.facts("T", of_failed=False)
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
