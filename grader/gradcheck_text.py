"""What `rnn-grader gradcheck` says, in English and Chinese (the completeness test reads CATALOG as it reads
grader.messages'). Parameters are names, symbolic shapes, sizes of the random cases, relative errors and time
steps: all from the student's own code on random inputs, never from a reference or a hidden case."""

from __future__ import annotations

from typing import Any

from grader.messages import render
from grader.result import Text

CATALOG: dict[str, dict[str, str]] = {
    # ---- the verdict (one line)
    "passed": {
        "en": "gradcheck passed: every gradient {backward}() returns agrees with central finite differences of "
        "your {forward}() (largest relative error {error}, tolerance {tol}, {cases} random cases).",
        "zh": "梯度检验通过：{backward}() 返回的每个梯度都与你的 {forward}() 的中心有限差分一致（最大相对误差 {error}，"
        "容差 {tol}，{cases} 个随机用例）。",
    },
    "failed": {
        "en": "gradcheck failed: {tensors} from {backward}() disagree with central finite differences of your "
        "{forward}(). First: {first}.",
        "zh": "梯度检验未通过：{backward}() 返回的 {tensors} 与你的 {forward}() 的中心有限差分不一致。首先出错的是："
        "{first}。",
    },
    "cannot_run": {
        "en": "gradcheck could not compare any gradient: {reason}",
        "zh": "梯度检验无法比较梯度：{reason}",
    },
    # ---- where the first disagreement is
    "first_step": {
        "en": "dL/d{tensor} in case {case}, time step t = {step} of T = {T}",
        "zh": "用例 {case} 中的 dL/d{tensor}，时间步 t = {step}（T = {T}）",
    },
    "first_step_backward": {
        "en": "dL/d{tensor} in case {case}, time step t = {step} of T = {T} (the backward pass meets the steps "
        "from t = T down to t = 1; the steps it met before agree)",
        "zh": "用例 {case} 中的 dL/d{tensor}，时间步 t = {step}（T = {T}）（反向传播从 t = T 倒推到 t = 1；"
        "在它之前经过的时间步都一致）",
    },
    "first_entry": {
        "en": "dL/d{tensor} in case {case}",
        "zh": "用例 {case} 中的 dL/d{tensor}",
    },
    # ---- one gradient that cannot be compared, or is nearly right
    "missing": {
        "en": "{backward}() returned no dL/d{tensor} (expected under the key \"{tensor}\").",
        "zh": "{backward}() 没有返回 dL/d{tensor}（应在键 \"{tensor}\" 下）。",
    },
    "not_array": {
        "en": "dL/d{tensor} is a {got}, not an array of numbers.",
        "zh": "dL/d{tensor} 是 {got}，而不是数值数组。",
    },
    "shape": {
        "en": "dL/d{tensor} has shape {got}; a gradient has the shape of its variable, ({symbols}) = {want}.",
        "zh": "dL/d{tensor} 的形状是 {got}；梯度的形状应与对应变量相同，即 ({symbols}) = {want}。",
    },
    "dtype": {
        "en": "dL/d{tensor} is {dtype}: compute in float64 (the grader's tolerances are far finer than float32).",
        "zh": "dL/d{tensor} 的类型是 {dtype}：请用 float64 计算（评分容差远小于 float32 的精度）。",
    },
    "not_finite": {
        "en": "dL/d{tensor} contains NaN or inf on these small, moderate inputs.",
        "zh": "在这些规模小、数值适中的输入上，dL/d{tensor} 含有 NaN 或 inf。",
    },
    "nearly": {
        "en": "dL/d{tensor} is close but not exact (relative error {error}): that is float32 rounding or an "
        "approximation somewhere, not float64 rounding.",
        "zh": "dL/d{tensor} 接近但不精确（相对误差 {error}）：这是某处的 float32 舍入或近似造成的，"
        "而不是 float64 舍入。",
    },
    # ---- why the check could not run (exit status 2)
    "forward_not_finite": {
        "en": "{forward}() returned NaN or inf on a small random case ({sizes}); finite differences need finite "
        "values. Fix {forward}() first (`rnn-grader check` runs its public examples).",
        "zh": "{forward}() 在一个小的随机用例（{sizes}）上返回了 NaN 或 inf；有限差分需要有限值。请先修正 "
        "{forward}()（`rnn-grader check` 会运行它的公开用例）。",
    },
    "forward_shape": {
        "en": "{forward}() returned {output} of shape {got}; expected ({symbols}) = {want} for the case {sizes}.",
        "zh": "{forward}() 返回的 {output} 形状为 {got}；对于用例 {sizes}，应为 ({symbols}) = {want}。",
    },
    "forward_structure": {
        "en": "{forward}() should return {expected}; it returned {got}.",
        "zh": "{forward}() 应返回 {expected}；实际返回了 {got}。",
    },
    "forward_dtype": {
        "en": "{forward}() returned {output} as {dtype}: finite differences need float64 throughout.",
        "zh": "{forward}() 返回的 {output} 类型为 {dtype}：有限差分要求全程使用 float64。",
    },
    "forward_perturbed": {
        "en": "{forward}() failed when entry {index} of {input} moved by {step} ({what}); finite differences call "
        "it on slightly changed inputs.",
        "zh": "当 {input} 的元素 {index} 变化 {step} 时，{forward}() 失败了（{what}）；有限差分需要在略微改变的输入上"
        "调用它。",
    },
    "forward_perturbed_what": {
        "en": "it raised an error or returned something else",
        "zh": "抛出了异常或返回了不同结构的结果",
    },
    "not_declared": {
        "en": "exercise {exercise} declares no forward/backward pair to check (its public examples file has no "
        "gradcheck section; fetch it again if the exercise has one now).",
        "zh": "练习 {exercise} 没有声明可检验的前向/反向函数对（其公开用例文件中没有 gradcheck 部分；如果该练习现在"
        "已有，请重新下载）。",
    },
    # ---- the table
    "col_gradient": {"en": "gradient", "zh": "梯度"},
    "col_shape": {"en": "shape", "zh": "形状"},
    "col_error": {"en": "max relative error", "zh": "最大相对误差"},
    "col_result": {"en": "result", "zh": "结果"},
    "col_where": {"en": "first wrong step / note", "zh": "首个出错的时间步 / 说明"},
    "ok": {"en": "agrees", "zh": "一致"},
    "wrong": {"en": "DISAGREES", "zh": "不一致"},
    "step_of": {"en": "t = {step} of {T}", "zh": "t = {step}（共 {T} 步）"},
    "cases_line": {
        "en": "{cases} random cases, float64, central differences (steps {step}, 2x, 4x, extrapolated); sizes: {sizes}",
        "zh": "{cases} 个随机用例，float64，中心差分（步长 {step}、2 倍、4 倍，外推）；尺寸：{sizes}",
    },
}


def text(key: str, **params: Any) -> Text:
    return render(CATALOG[key], **params)
