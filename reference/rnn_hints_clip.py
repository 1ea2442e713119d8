"""Levels 2 and 3 of the hints of exercise `rnn`'s clip mistakes (grader.hints): where the mistake sits in
clip_grad_norm, and a worked micro-example with two 1x1 gradients, a = 3 and b = 4, whose total norm is 5.
Level 1 is each mistake's `hint` (reference.rnn_mutants_clip).

Made-up inputs only, no code of the reference; every number is checked (tests/exercise/test_hint_levels.py).
"""

from __future__ import annotations

from grader.hints import HintLevels
from reference.rnn_variant import t

CLIP_HINT_LEVELS: dict[str, HintLevels] = {
    "clip.per_tensor_norm": HintLevels(
        where=t("In clip_grad_norm: compute ONE total norm before touching any array, total = sqrt(sum over every "
                "array of the sum of its squared entries), then ONE coef = min(1, max_norm / (total + 1e-6)), and "
                "multiply every array by that same coef.",
                "在 clip_grad_norm 中：先在改动任何数组之前算出唯一的总范数 total = sqrt(所有数组各自元素平方和之和)，"
                "再算出唯一的系数 coef = min(1, max_norm / (total + 1e-6))，然后把每个数组都乘以同一个 coef。"),
        example=t("Two 1x1 gradients a = 3, b = 4, max_norm = 1. total = sqrt(3^2 + 4^2) = 5 and coef = 1 / (5 + "
                  "1e-6) ≈ 0.2, so a → 0.6 and b → 0.8: the direction 3 : 4 is kept. Clipping each by its own norm "
                  "gives a → 3·(1/3) = 1 and b → 4·(1/4) = 1: the direction becomes 1 : 1.",
                  "两个 1x1 梯度 a = 3，b = 4，max_norm = 1。total = sqrt(3^2 + 4^2) = 5，coef = 1 / (5 + 1e-6) ≈ "
                  "0.2，所以 a → 0.6，b → 0.8：方向 3 : 4 保持不变。各自按自己的范数裁剪则得到 a → 3·(1/3) = 1，"
                  "b → 4·(1/4) = 1：方向变成了 1 : 1。"),
    ),
    "clip.elementwise": HintLevels(
        where=t("In clip_grad_norm, the line that builds the clipped arrays: every array is multiplied by the same "
                "coef = min(1, max_norm / (total + 1e-6)), with total the L2 norm over every entry of every array; "
                "no np.clip, no bound on single entries.",
                "在 clip_grad_norm 中生成裁剪后数组的那一行：每个数组都乘以同一个 coef = min(1, max_norm / (total + "
                "1e-6))，total 是所有数组所有元素的 L2 范数；不用 np.clip，也不限制单个元素。"),
        example=t("Two 1x1 gradients a = 3, b = 4, max_norm = 3.5. total = 5 and coef = 3.5 / (5 + 1e-6) ≈ 0.7, so "
                  "a → 2.1 and b → 2.8, whose total norm is 3.5. np.clip(g, -3.5, 3.5) gives a → 3 and b → 3.5: "
                  "their norm is sqrt(9 + 12.25) ≈ 4.61, still above max_norm, and the direction changed.",
                  "两个 1x1 梯度 a = 3，b = 4，max_norm = 3.5。total = 5，coef = 3.5 / (5 + 1e-6) ≈ 0.7，所以 "
                  "a → 2.1，b → 2.8，总范数为 3.5。np.clip(g, -3.5, 3.5) 得到 a → 3，b → 3.5：其范数为 "
                  "sqrt(9 + 12.25) ≈ 4.61，仍高于 max_norm，而且方向变了。"),
    ),
    "clip.always_rescales": HintLevels(
        where=t("In clip_grad_norm, the coefficient: coef = min(1, max_norm / (total + 1e-6)). The min with 1 is "
                "what leaves gradients below max_norm as they are.",
                "在 clip_grad_norm 中的系数：coef = min(1, max_norm / (total + 1e-6))。正是与 1 取最小值，才让低于 "
                "max_norm 的梯度保持原样。"),
        example=t("Two 1x1 gradients a = 3, b = 4, max_norm = 10. total = 5 < 10, so coef = min(1, 10 / 5.000001) = "
                  "1 and the gradients come back as 3 and 4. Without the min, coef ≈ 2 and they double to 6 and 8.",
                  "两个 1x1 梯度 a = 3，b = 4，max_norm = 10。total = 5 < 10，所以 coef = min(1, 10 / 5.000001) = 1，"
                  "返回的梯度仍是 3 和 4。没有取最小值时 coef ≈ 2，它们翻倍成 6 和 8。"),
    ),
    "clip.norm_after_clipping": HintLevels(
        where=t("In clip_grad_norm, the value returned as total_norm: compute it once, from the gradients as they "
                "came in, before clipping, and return that number; do not compute it again from the clipped "
                "arrays.",
                "在 clip_grad_norm 中作为 total_norm 返回的值：在裁剪之前，用传入的梯度计算一次，然后返回这个数；不要再"
                "用裁剪后的数组重新计算。"),
        example=t("Two 1x1 gradients a = 3, b = 4, max_norm = 1. total_norm = sqrt(9 + 16) = 5; the clipped arrays "
                  "are ≈ 0.6 and 0.8, whose norm is ≈ 1. The function returns 5, not 1.",
                  "两个 1x1 梯度 a = 3，b = 4，max_norm = 1。total_norm = sqrt(9 + 16) = 5；裁剪后的数组约为 0.6 和 "
                  "0.8，其范数约为 1。函数应返回 5，而不是 1。"),
    ),
    "clip.returns_max_norm": HintLevels(
        where=t("In the return of clip_grad_norm: total_norm is the total norm of the incoming gradients, "
                "sqrt(sum of all squared entries), the same number used in coef; max_norm is only the threshold.",
                "在 clip_grad_norm 的返回值中：total_norm 是传入梯度的总范数 sqrt(所有元素平方和)，也就是计算 coef 时"
                "用的那个数；max_norm 只是阈值。"),
        example=t("Two 1x1 gradients a = 3, b = 4. With max_norm = 2, total_norm = 5, and returning 2 is wrong. With "
                  "max_norm = 10 it is still 5: min(total, max_norm) happens to give 5 there, but with max_norm = 2 "
                  "it gives 2.",
                  "两个 1x1 梯度 a = 3，b = 4。max_norm = 2 时 total_norm = 5，返回 2 是错的。max_norm = 10 时它仍是 5"
                  "："
                  "min(total, max_norm) 在这里碰巧得到 5，但 max_norm = 2 时得到的是 2。"),
    ),
    "clip.max_norm_below_one_ignored": HintLevels(
        where=t("In clip_grad_norm, the coefficient line: coef = min(1, max_norm / (total + 1e-6)) with max_norm "
                "exactly as given; no max(max_norm, 1) or any other lower bound on max_norm or on coef.",
                "在 clip_grad_norm 计算系数的那一行：coef = min(1, max_norm / (total + 1e-6))，max_norm 按传入的值原样"
                "使用；不要用 max(max_norm, 1)，也不要给 max_norm 或 coef 设其他下限。"),
        example=t("Two 1x1 gradients a = 3, b = 4, max_norm = 0.5. total = 5 and coef = 0.5 / 5.000001 ≈ 0.1: "
                  "a → 0.3, b → 0.4, total norm 0.5. Raising max_norm to 1 first gives coef ≈ 0.2: a → 0.6, b → 0.8.",
                  "两个 1x1 梯度 a = 3，b = 4，max_norm = 0.5。total = 5，coef = 0.5 / 5.000001 ≈ 0.1：a → 0.3，"
                  "b → 0.4，总范数 0.5。若先把 max_norm 提高到 1，则 coef ≈ 0.2：a → 0.6，b → 0.8。"),
    ),
    "clip.norm_without_sqrt": HintLevels(
        where=t("In clip_grad_norm, the line that computes total: the square root of the sum of the squares of "
                "every entry of every array, sqrt(sum_k sum(g_k^2)). The sum of squares alone is the squared norm.",
                "在 clip_grad_norm 计算 total 的那一行：所有数组所有元素平方和的平方根 sqrt(sum_k sum(g_k^2))。只有平方"
                "和得到的是范数的平方。"),
        example=t("Two 1x1 gradients a = 3, b = 4. total = sqrt(9 + 16) = sqrt(25) = 5, not 25. With max_norm = 1: "
                  "coef ≈ 1/5 = 0.2 gives (0.6, 0.8); with 25 as the norm, coef ≈ 0.04 gives (0.12, 0.16).",
                  "两个 1x1 梯度 a = 3，b = 4。total = sqrt(9 + 16) = sqrt(25) = 5，而不是 25。max_norm = 1 时："
                  "coef ≈ 1/5 = 0.2 得到 (0.6, 0.8)；若把 25 当作范数，coef ≈ 0.04 得到 (0.12, 0.16)。"),
    ),
    "clip.sum_of_norms": HintLevels(
        where=t("In clip_grad_norm, the total: square each array's norm (or each entry), add, and take ONE square "
                "root at the end: total = sqrt(sum_k ||g_k||^2), not sum_k ||g_k||.",
                "在 clip_grad_norm 中的 total：把每个数组的范数（或每个元素）平方后相加，最后只开一次平方根："
                "total = sqrt(sum_k ||g_k||^2)，而不是 sum_k ||g_k||。"),
        example=t("Two 1x1 gradients a = 3, b = 4: ||a|| = 3 and ||b|| = 4. total = sqrt(3^2 + 4^2) = 5; adding the "
                  "norms gives 7. With max_norm = 1: coef ≈ 0.2 gives (0.6, 0.8), while 1/7 ≈ 0.1429 gives (0.4286, "
                  "0.5714).",
                  "两个 1x1 梯度 a = 3，b = 4：||a|| = 3，||b|| = 4。total = sqrt(3^2 + 4^2) = 5；把范数相加得到 7。"
                  "max_norm = 1 时：coef ≈ 0.2 得到 (0.6, 0.8)，而 1/7 ≈ 0.1429 得到 (0.4286, 0.5714)。"),
    ),
    "clip.no_epsilon": HintLevels(
        where=t("In clip_grad_norm, the denominator of the coefficient: coef = min(1, max_norm / (total + 1e-6)), "
                "with + 1e-6 inside the division, as torch.nn.utils.clip_grad_norm_ has it.",
                "在 clip_grad_norm 中系数的分母：coef = min(1, max_norm / (total + 1e-6))，+ 1e-6 在除法里面，与 "
                "torch.nn.utils.clip_grad_norm_ 一致。"),
        example=t("Two 1x1 gradients a = 3, b = 4, max_norm = 1. coef = 1 / (5 + 1e-6) = 0.19999996, so a → "
                  "0.59999988, not 0.6: a difference of 1.2e-7, far above this part's tolerance. And if every "
                  "gradient is 0, max_norm / total divides by zero, while with the 1e-6 the zeros stay zeros.",
                  "两个 1x1 梯度 a = 3，b = 4，max_norm = 1。coef = 1 / (5 + 1e-6) = 0.19999996，所以 a → "
                  "0.59999988，而不是 0.6：相差 1.2e-7，远大于本部分的容差。而且当所有梯度都为 0 时，max_norm / total "
                  "会除以零，加上 1e-6 则零梯度仍为零。"),
    ),
}
