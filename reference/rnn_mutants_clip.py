"""Named misconceptions of exercise `rnn`'s part `clip` (lesson 04, FAQ Q2), part of reference.rnn_mutants.

Each is written into the base solution's clip_grad_norm (reference.rnn_variant). Elementwise clipping
(`np.clip`, the most common clipping in published code) and clipping each array by its own norm both
change `clipped` only when the total norm is above max_norm; they differ on which cases and by how much, which
is what tells them apart (tests/exercise/test_named_mistakes.py).
"""

from __future__ import annotations

from grader.mutants import Misconception
from reference.rnn_variant import CLIP, Variant, t

CLIP_MISCONCEPTIONS: tuple[Misconception, ...] = (
    Misconception(
        "clip.per_tensor_norm", "clip",
        t("Each array is clipped by its own norm", "每个数组按各自的范数裁剪"),
        t("clip_grad_norm uses one total norm over all arrays, total = sqrt(sum of the squares of every entry of "
          "every array), and one coefficient for all of them, so the direction of the whole gradient is kept "
          "(lesson 04).",
          "clip_grad_norm 对所有数组使用同一个总范数 total = sqrt(所有数组所有元素的平方和)，并对它们使用同一个"
          "系数，从而保持整体梯度的方向（第 04 课）。"),
        (Variant(CLIP, (("g * coef for", "g * min(max_norm / (float(np.sqrt(np.sum(g ** 2))) + 1e-6), 1.0) for"),),
                 ("clipped",)),),
    ),
    Misconception(
        "clip.elementwise", "clip",
        t("Each entry is clipped to [-max_norm, max_norm] (np.clip)",
          "每个元素被截断到 [-max_norm, max_norm]（np.clip）"),
        t("np.clip(g, -max_norm, max_norm) clips values one by one (what torch calls clip_grad_value_): it changes "
          "the direction of the gradient and leaves a large gradient made of small entries unchanged. "
          "clip_grad_norm rescales every array by one coefficient, coef = min(1, max_norm / (total + 1e-6)), with "
          "total the L2 norm over every entry of every array (lesson 04).",
          "np.clip(g, -max_norm, max_norm) 逐个截断数值（即 torch 的 clip_grad_value_）：它改变梯度的方向，"
          "而由许多小元素组成的大梯度反而不变。clip_grad_norm 用同一个系数 "
          "coef = min(1, max_norm / (total + 1e-6)) 缩放所有数组，total 是所有数组所有元素的 L2 范数（第 04 课）。"),
        (Variant(CLIP, (("g * coef for", "np.clip(g, -max_norm, max_norm) for"),), ("clipped",)),),
    ),
    Misconception(
        "clip.always_rescales", "clip",
        t("Gradients are rescaled even when the norm is below max_norm", "总范数低于 max_norm 时仍然缩放"),
        t("coef = min(1, max_norm / (total + 1e-6)): when the total norm is already below max_norm the "
          "gradients keep their values (lesson 04).",
          "coef = min(1, max_norm / (total + 1e-6))：总范数已低于 max_norm 时梯度保持原值（第 04 课）。"),
        (Variant(CLIP, (("min(max_norm / (total + 1e-6), 1.0)", "max_norm / (total + 1e-6)"),), ("clipped",)),),
    ),
    Misconception(
        "clip.norm_after_clipping", "clip",
        t("The returned norm is the norm after clipping", "返回的是裁剪后的范数"),
        t("total_norm is the norm before clipping, as torch.nn.utils.clip_grad_norm_ returns it; it is what you "
          "monitor to see gradients explode (lesson 04).",
          "total_norm 是裁剪前的范数，与 torch.nn.utils.clip_grad_norm_ 的返回值一致；监控梯度爆炸看的就是它"
          "（第 04 课）。"),
        (Variant(CLIP, (("return clipped, total",
                         "return clipped, float(np.sqrt(sum(np.sum(g ** 2) for g in clipped.values())))"),),
                 ("total_norm",)),),
    ),
    Misconception(
        "clip.returns_max_norm", "clip",
        t("The returned total norm is max_norm", "返回的总范数是 max_norm"),
        t("total_norm is the norm of the gradients before clipping, whatever max_norm is, as "
          "torch.nn.utils.clip_grad_norm_ returns it: it is what you monitor to see gradients explode, and "
          "max_norm or min(total, max_norm) hides exactly that (lesson 04).",
          "total_norm 是裁剪前梯度的范数，与 max_norm 无关，与 torch.nn.utils.clip_grad_norm_ 的返回值一致："
          "监控梯度爆炸看的就是它，返回 max_norm 或 min(total, max_norm) 恰好把它掩盖了（第 04 课）。"),
        (
            Variant(CLIP, (("return clipped, total", "return clipped, max_norm"),), ("total_norm",)),
            Variant(CLIP, (("return clipped, total", "return clipped, min(total, max_norm)"),), ("total_norm",)),
        ),
    ),
    Misconception(
        "clip.max_norm_below_one_ignored", "clip",
        t("A max_norm below 1 is not honoured", "max_norm 小于 1 时没有生效"),
        t("max_norm can be any positive number, also below 1: coef = min(1, max_norm / (total + 1e-6)), with "
          "no other bound on max_norm or on the coefficient.",
          "max_norm 可以是任何正数，也可以小于 1：coef = min(1, max_norm / (total + 1e-6))，对 max_norm 或系数"
          "没有其他限制。"),
        (Variant(CLIP, (("min(max_norm / (total", "min(max(max_norm, 1.0) / (total"),), ("clipped",)),),
    ),
    Misconception(
        "clip.norm_without_sqrt", "clip",
        t("The total norm lacks the square root", "总范数缺少平方根"),
        t("The L2 norm is the square root of the sum of squares: total = sqrt(sum of g^2 over every entry of "
          "every array).",
          "L2 范数是平方和的平方根：total = sqrt(所有数组所有元素 g^2 之和)。"),
        (
            Variant(CLIP, (("float(np.sqrt(sum(np.sum(g ** 2) for g in grads.values())))",
                            "float(sum(np.sum(g ** 2) for g in grads.values()))"),), ("total_norm",)),
            Variant(CLIP, (("float(np.sqrt(sum(np.sum(g ** 2) for g in grads.values())))",
                            "float(sum(np.sum(g ** 2) for g in grads.values()))"),), ("clipped",)),
        ),
    ),
    Misconception(
        "clip.sum_of_norms", "clip",
        t("The total norm is the sum of the arrays' norms", "总范数被算成各数组范数之和"),
        t("Norms combine like Pythagoras: total = sqrt(sum_k ||g_k||^2), not sum_k ||g_k||.",
          "范数按勾股定理合并：total = sqrt(sum_k ||g_k||^2)，而不是 sum_k ||g_k||。"),
        (
            Variant(CLIP, (("float(np.sqrt(sum(np.sum(g ** 2) for g in grads.values())))",
                            "float(sum(np.sqrt(np.sum(g ** 2)) for g in grads.values()))"),), ("total_norm",)),
            Variant(CLIP, (("float(np.sqrt(sum(np.sum(g ** 2) for g in grads.values())))",
                            "float(sum(np.sqrt(np.sum(g ** 2)) for g in grads.values()))"),), ("clipped",)),
        ),
    ),
    Misconception(
        "clip.no_epsilon", "clip",
        t("The 1e-6 in the denominator is missing", "分母中缺少 1e-6"),
        t("torch divides by (total + 1e-6), so that a zero gradient stays zero; keep it: coef = min(1, max_norm / "
          "(total + 1e-6)). The tolerance of this part is tight enough to see the difference.",
          "torch 除以 (total + 1e-6)，保证零梯度仍为零；请保留它：coef = min(1, max_norm / (total + 1e-6))。"
          "本部分的容差足以区分这一差别。"),
        (Variant(CLIP, (("max_norm / (total + 1e-6)", "max_norm / total"),), ("clipped",)),),
    ),
)
