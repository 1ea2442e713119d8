"""Feedback for exercise `rnn_gradients`: its hooks (grader.hooks.ExerciseHooks), on the generic matcher
(grader.mutants) and part summaries (grader.patterns). Trusted side only; nothing here enters the sandbox.

  explain(part, case, student, reference)  per failing test: numeric hints (NaN, values far too large)
  name_mistakes(part, observations)         per part: the catalogued mistakes (reference.gradients_mutants) whose
                                            mutant explains every failing test and passes the passing ones
  explain_part(part, cases, tests)          per part: patterns across tests ("only T not a multiple of k fails")
  chart_cases() / chart(...)                ||dL/dh_t|| against the distance in time (reference.gradients_chart)
  misconception_catalogue()                 names, titles and hints, for the teacher view
Every text is in English and Chinese and carries no number from a hidden input or a reference output.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from grader.exercise import Case, Part
from grader.hooks import Observation
from grader.mutant_patches import PatchedVariant
from grader.mutants import MutantMatcher
from grader.patterns import PartSummary, numeric_symptoms
from grader.result import TestResult, Text  # a part's test results; every message
from reference.gradients_chart import chart, chart_cases
from reference.gradients_mutants import MISCONCEPTIONS

__all__ = ["CATALOG", "chart", "chart_cases", "explain", "explain_part", "misconception_catalogue", "name_mistakes"]

MATCHER = MutantMatcher(MISCONCEPTIONS)

CATALOG: dict[str, dict[str, str]] = {
    "nan_exploding": {
        "en": "Non-finite values on an exploding case. The correct values are large here but finite: something "
        "overflows, such as an explicit power of W_hh or a product of full Jacobian matrices.",
        "zh": "梯度爆炸用例中出现非有限值。这里正确的数值很大但有限：某处溢出了，例如显式计算 W_hh 的幂，"
        "或完整雅可比矩阵的连乘。",
    },
    "nan_generic": {
        "en": "Non-finite values: look for a division by zero, or np.sqrt or np.log of a negative number.",
        "zh": "出现非有限值：请检查除以零，或对负数求 np.sqrt、np.log。",
    },
    "blowup": {
        "en": "Some values are orders of magnitude larger than the correct ones: something amplifies at every step "
        "that should not (a missing tanh derivative, or a gradient added instead of replaced).",
        "zh": "部分数值比正确值大几个数量级：某处在每一步都被不应有地放大（缺少 tanh 导数，或梯度被累加而不是替换）。",
    },
    "pattern_single_step_only": {
        "en": "Pattern: the single-step test (T=1) passes and longer sequences fail. One step is right; the link "
        "between steps is not: what flows from step t to step t-1 (or, forwards, from h_{t-1} to h_t).",
        "zh": "规律：单步测试（T=1）通过，更长的序列失败。单步是对的，步与步之间的连接有误：检查从第 t 步传到第 t-1 步"
        "的量（前向则是从 h_{t-1} 到 h_t）。",
    },
    "pattern_exploding_only": {
        "en": "Pattern: only the case with W_hh's spectral radius above 1 and tanh nearly linear fails. The values "
        "there are large (exploding gradients) but exact: keep float64, and do not clip or normalise.",
        "zh": "规律：只有 W_hh 谱半径大于 1 且 tanh 近似线性的用例失败。那里的数值很大（梯度爆炸）但精确：请保持 "
        "float64，不要裁剪或归一化。",
    },
    "pattern_vanishing_only": {
        "en": "Pattern: only the long case with W_hh's spectral radius below 1 fails. The values there are tiny "
        "(vanishing gradients) and still count: do not round them to zero or stop early.",
        "zh": "规律：只有 W_hh 谱半径小于 1 的长序列用例失败。那里的数值极小（梯度消失）但仍然有效："
        "不要把它们舍入为零，也不要提前停止。",
    },
    "pattern_saturated_only": {
        "en": "Pattern: only the saturated case fails (|h| close to 1, so tanh' = 1 - h^2 is tiny). Check that "
        "every step multiplies by 1 - h_t^2 of that very step.",
        "zh": "规律：只有饱和用例失败（|h| 接近 1，tanh' = 1 - h^2 极小）。请检查每一步是否乘了本步的 1 - h_t^2。",
    },
    "pattern_non_normal_only": {
        "en": "Pattern: only the non-normal case fails, where ||W_hh|| is far above its spectral radius. "
        "Eigenvalues and norms agree for symmetric-like matrices only: the bound needs the spectral norm.",
        "zh": "规律：只有非正规矩阵的用例失败，那里 ||W_hh|| 远大于谱半径。只有对类似对称的矩阵，特征值与范数才一致："
        "上界需要谱范数。",
    },
    "pattern_k_remainder": {
        "en": "Pattern: the truncated cases fail only when T is not a multiple of k. The chunks start at step 1 "
        "(1..k, k+1..2k, ...), so only the last chunk may be shorter.",
        "zh": "规律：截断用例只在 T 不是 k 的倍数时失败。片段从第 1 步开始（1..k、k+1..2k、……），"
        "所以只有最后一段可能较短。",
    },
    "pattern_truncation_only": {
        "en": "Pattern: the cases with k >= T (full BPTT) pass and the truncated ones fail: the backward pass is "
        "right, the cuts between chunks are not.",
        "zh": "规律：k >= T（完整 BPTT）的用例通过，截断的用例失败：反向传播本身正确，片段之间的切分有误。",
    },
}


def text(key: str) -> Text:
    return Text(en=CATALOG[key]["en"], zh=CATALOG[key]["zh"])


def misconception_catalogue() -> list[dict[str, Any]]:
    """Every named mistake, for the teacher view, with what it looks like in code (its first variant)."""
    return [
        {**m.entry(), "example": [{"function": v.function, "old": old, "new": new}
                                  for v in m.variants[:1] if isinstance(v, PatchedVariant) for old, new in v.patches]}
        for m in MISCONCEPTIONS
    ]


def explain(part: Part, case: Case, student: Any, reference: Any) -> tuple[list[Text], list[str]]:
    """Numeric hints about this test's values. Mistakes are named per part (`name_mistakes`), never from one
    test alone."""
    if not case.scored:
        return [], []
    non_finite, blowup = numeric_symptoms(student, reference)
    if non_finite:
        return [text("nan_exploding" if case.facts.get("kind") == "long_exploding" else "nan_generic")], []
    return ([text("blowup")] if blowup else []), []


def name_mistakes(part: Part, observations: Sequence[Observation]) -> list[list[str]]:
    """The catalogued mistakes whose fingerprint explains the whole part (grader.mutants.MutantMatcher)."""
    return MATCHER.name_part(part, observations)


ONLY = {"long_exploding": "pattern_exploding_only", "long_vanishing": "pattern_vanishing_only",
        "saturated": "pattern_saturated_only", "non_normal": "pattern_non_normal_only"}


def _cut(case: Case) -> bool:
    """A truncated case where the truncation matters (k < T)."""
    return int(case.facts.get("k", 0)) < int(case.facts.get("T", 0))


def _uneven(case: Case) -> bool:
    return _cut(case) and int(case.facts["T"]) % int(case.facts["k"]) != 0


def explain_part(part: Part, cases: Sequence[Case], tests: Sequence[TestResult]) -> list[Text]:
    """At most two patterns, from the cases' facts (kind, T, k) and which tests failed."""
    summary = PartSummary.of(cases, tests)
    if not summary.failed or not summary.passed:
        return []
    keys = []
    failed_kinds = summary.kinds_failed
    if len(failed_kinds) == 1 and next(iter(failed_kinds)) in ONLY:
        keys.append(ONLY[next(iter(failed_kinds))])
    if part.name == "truncated":
        if all(_uneven(c) for c in summary.failed) and any(_cut(c) for c in summary.passed):
            keys.append("pattern_k_remainder")
        elif all(_cut(c) for c in summary.failed) and not any(_cut(c) for c in summary.passed):
            keys.append("pattern_truncation_only")
    elif 1 in summary.facts("T", of_failed=False) and 1 not in summary.facts("T", of_failed=True):
        keys.append("pattern_single_step_only")
    return [text(k) for k in keys[:2]]
