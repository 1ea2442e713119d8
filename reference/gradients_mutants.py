"""Named mistakes of exercise `rnn_gradients`, each one a mutant of a correct student-style solution.

Trusted side only. `BASE_SOURCE` is a plain, correct, loop-based solution written the way students write it
(NumPy only). Every mistake is a small textual patch of one of its functions (grader.mutant_patches), so each
mutant is at once a function the matcher runs on a failing test's inputs (grader.mutants.MutantMatcher) and a
student submission the tests and `rnn-grader exercise validate` send through the real sandbox. Each `hint` is
level 1 of the mistake's hint; levels 2 (where) and 3 (a worked example) are in reference.gradients_hints_norms
and reference.gradients_hints_truncated (grader.hints).
"""

from __future__ import annotations

from grader.mutant_patches import PatchedVariant
from grader.mutants import Misconception, with_hint_levels
from grader.result import Text
from reference.gradients_hints_norms import NORMS_HINT_LEVELS
from reference.gradients_hints_truncated import TRUNCATED_HINT_LEVELS

BASE_SOURCE = '''import numpy as np


def rnn_states(a, h0, W_hh):
    hs = []
    h_prev = h0
    for t in range(a.shape[0]):
        h_t = np.tanh(a[t] + h_prev @ W_hh.T)
        hs.append(h_t)
        h_prev = h_t
    return np.stack(hs)


def grad_norms(g, h, W_hh):
    T = h.shape[0]
    norms = np.zeros((T + 1, h.shape[1]))
    dh = g
    norms[T] = np.sqrt(np.sum(dh ** 2, axis=1))
    for t in range(T, 0, -1):
        da = dh * (1.0 - h[t - 1] ** 2)
        dh = da @ W_hh
        norms[t - 1] = np.sqrt(np.sum(dh ** 2, axis=1))
    return norms


def jacobian_bound(h, W_hh):
    T, B = h.shape[0], h.shape[1]
    jac = np.zeros((T, B))
    for t in range(T):
        for b in range(B):
            J = (1.0 - h[t, b] ** 2)[:, None] * W_hh
            jac[t, b] = np.linalg.norm(J, 2)
    bound = np.ones((T + 1, B))
    for t in range(T - 1, -1, -1):
        bound[t] = bound[t + 1] * jac[t]
    return jac, bound


def truncated_bptt(dh, h0, h, W_hh, k):
    T = h.shape[0]
    da = np.zeros_like(h)
    dW_hh = np.zeros_like(W_hh)
    carry = np.zeros_like(h0)
    for t in range(T - 1, -1, -1):
        h_prev = h[t - 1] if t > 0 else h0
        da[t] = (dh[t] + carry) * (1.0 - h[t] ** 2)
        dW_hh += da[t].T @ h_prev
        carry = da[t] @ W_hh
        if t % k == 0 and t > 0:
            carry = np.zeros_like(h0)
    return {"a": da, "W_hh": dW_hh, "h0": carry}
'''

STATES, NORMS, BOUND, TRUNCATED = "rnn_states", "grad_norms", "jacobian_bound", "truncated_bptt"
PART_OF = {STATES: "states", NORMS: "norms", BOUND: "bound", TRUNCATED: "truncated"}


def _v(function: str, *patches: tuple[str, str], paths: tuple[str, ...] = ()) -> PatchedVariant:
    return PatchedVariant(BASE_SOURCE, function, tuple(patches), paths)


def _t(en: str, zh: str) -> Text:
    return Text(en=en, zh=zh)


_F32 = {
    STATES: ("W_hh):\n", "W_hh):\n    a, h0, W_hh = (np.asarray(v, dtype=np.float32) for v in (a, h0, W_hh))\n"),
    NORMS: ("W_hh):\n", "W_hh):\n    g, h, W_hh = (np.asarray(v, dtype=np.float32) for v in (g, h, W_hh))\n"),
    TRUNCATED: ("k):\n", "k):\n    dh, h0, h, W_hh = (np.asarray(v, dtype=np.float32) for v in (dh, h0, h, W_hh))\n"),
}

MISCONCEPTIONS: tuple[Misconception, ...] = with_hint_levels((
    # ------------------------------------------------------------------ states (notebook 02)
    Misconception(
        "states.no_recurrence", "states",
        _t("The recurrent term W_hh h_{t-1} is missing", "缺少循环项 W_hh h_{t-1}"),
        _t("Each state depends on the previous one: h_t = tanh(a_t + W_hh h_{t-1}). Without it there is no path "
           "back through time, and nothing to vanish or explode (notebook 02).",
           "每个状态都依赖前一个状态：h_t = tanh(a_t + W_hh h_{t-1})。没有这一项就没有随时间回传的路径，"
           "也就谈不上梯度消失或爆炸（第 02 课）。"),
        (_v(STATES, (" + h_prev @ W_hh.T", "")),),
    ),
    Misconception(
        "states.w_hh_not_transposed", "states",
        _t("W_hh is not transposed in the recurrence", "循环项中的 W_hh 没有转置"),
        _t("With the batch stored as rows, W_hh h_{t-1} is h_prev @ W_hh.T; W_hh is square, so leaving out .T "
           "keeps the shape and changes the values.",
           "批次按行存放时，W_hh h_{t-1} 写作 h_prev @ W_hh.T；W_hh 是方阵，少了 .T 形状不变但数值错误。"),
        (_v(STATES, ("h_prev @ W_hh.T", "h_prev @ W_hh")),),
    ),
    Misconception(
        "states.h_prev_not_updated", "states",
        _t("h_{t-1} is never updated: every step starts from h0", "h_{t-1} 没有更新：每一步都从 h0 出发"),
        _t("After computing h_t it must become the previous state of the next step.",
           "算出 h_t 之后，它必须成为下一步的前一状态。"),
        (_v(STATES, ("        h_prev = h_t\n", "")),),
    ),
    Misconception(
        "states.includes_h0", "states",
        _t("The states also contain h0 (T+1 states instead of T)", "状态中多包含了 h0（T+1 个而不是 T 个）"),
        _t("Return h_1 .. h_T only: h has shape (T, B, H) with h[t-1] = h_t; h0 is an input.",
           "只返回 h_1 .. h_T：h 的形状为 (T, B, H)，h[t-1] = h_t；h0 是输入。"),
        (_v(STATES, ("hs = []", "hs = [h0]")),),
    ),
    # ------------------------------------------------------------------ norms (notebook 04)
    Misconception(
        "norms.missing_tanh_derivative", "norms",
        _t("The tanh derivative (1 - h_t^2) is missing from the step back", "回传一步时缺少 tanh 的导数 (1 - h_t^2)"),
        _t("dL/dh_{t-1} = W_hh^T (dL/dh_t * (1 - h_t^2)): the gradient passes the tanh of step t before W_hh. "
           "Without 1 - h_t^2 the norms follow W_hh alone, and saturation no longer makes them vanish.",
           "dL/dh_{t-1} = W_hh^T (dL/dh_t * (1 - h_t^2))：梯度先经过第 t 步的 tanh 再经过 W_hh。缺少 1 - h_t^2 时，"
           "范数只随 W_hh 变化，饱和也不再让梯度消失。"),
        (_v(NORMS, ("da = dh * (1.0 - h[t - 1] ** 2)", "da = dh")),),
    ),
    Misconception(
        "norms.derivative_after_w_hh", "norms",
        _t("The tanh derivative is applied after W_hh instead of before", "tanh 的导数在乘 W_hh 之后才乘，顺序错误"),
        _t("Going back from h_t to h_{t-1}, first the tanh of step t (multiply by 1 - h_t^2), then W_hh^T: "
           "dL/dh_{t-1} = W_hh^T (dL/dh_t * (1 - h_t^2)). The other order uses the derivative of the wrong step.",
           "从 h_t 回到 h_{t-1}，先经过第 t 步的 tanh（乘以 1 - h_t^2），再乘 W_hh^T：dL/dh_{t-1} = W_hh^T "
           "(dL/dh_t * (1 - h_t^2))。顺序反过来就用了错误时间步的导数。"),
        (_v(NORMS, ("da = dh * (1.0 - h[t - 1] ** 2)\n        dh = da @ W_hh",
                    "dh = (dh @ W_hh) * (1.0 - h[t - 1] ** 2)")),),
    ),
    Misconception(
        "norms.w_hh_transposed", "norms",
        _t("W_hh is transposed the wrong way in the step back", "回传时 W_hh 的转置方向错误"),
        _t("The forward pass computes h_prev @ W_hh.T, so the gradient going back is da @ W_hh (that is, "
           "W_hh^T da for a column), without .T: transposes swap between the two passes.",
           "前向计算的是 h_prev @ W_hh.T，因此回传的梯度是 da @ W_hh（列向量形式即 W_hh^T da），不带 .T："
           "前向与反向之间转置会互换。"),
        (_v(NORMS, ("dh = da @ W_hh", "dh = da @ W_hh.T")),),
    ),
    Misconception(
        "norms.squared", "norms",
        _t("The squared norm is returned", "返回的是范数的平方"),
        _t("||v|| = sqrt(sum of v_i^2), per batch row: np.linalg.norm(v, axis=1). On a log scale the square "
           "doubles every slope, so vanishing and exploding look twice as fast.",
           "||v|| = sqrt(v_i^2 之和)，按批次行计算：np.linalg.norm(v, axis=1)。在对数坐标下平方会让斜率加倍，"
           "梯度消失和爆炸看起来快了一倍。"),
        (_v(NORMS, ("norms[T] = np.sqrt(np.sum(dh ** 2, axis=1))", "norms[T] = np.sum(dh ** 2, axis=1)"),
            ("norms[t - 1] = np.sqrt(np.sum(dh ** 2, axis=1))", "norms[t - 1] = np.sum(dh ** 2, axis=1)")),),
    ),
    Misconception(
        "norms.indexed_by_distance", "norms",
        _t("The norms are in reverse order (by distance, not by time step)", "范数的顺序反了（按距离而不是按时间步）"),
        _t("norms[t] is ||dL/dh_t|| for t = 0 .. T: norms[T] is ||g|| at the last step and norms[0] is at h0. "
           "Plot against the distance T - t if you like, but return them indexed by t.",
           "norms[t] 是 t = 0 .. T 时的 ||dL/dh_t||：norms[T] 是最后一步的 ||g||，norms[0] 对应 h0。"
           "画图时可以用距离 T - t，但返回时要按 t 排列。"),
        (_v(NORMS, ("    return norms", "    return norms[::-1]")),),
    ),
    # ------------------------------------------------------------------ bound (notebook 04)
    Misconception(
        "bound.frobenius_norm", "bound",
        _t("The Frobenius norm is used instead of the spectral norm", "用了 Frobenius 范数而不是谱范数"),
        _t("np.linalg.norm(J) of a matrix is the Frobenius norm; the bound needs the spectral norm, the largest "
           "singular value: np.linalg.norm(J, 2). The Frobenius norm is larger, so the bound is looser.",
           "矩阵的 np.linalg.norm(J) 是 Frobenius 范数；上界需要谱范数，即最大奇异值：np.linalg.norm(J, 2)。"
           "Frobenius 范数更大，上界会更松。"),
        (_v(BOUND, ("np.linalg.norm(J, 2)", "np.linalg.norm(J)")),),
    ),
    Misconception(
        "bound.spectral_radius", "bound",
        _t("The spectral radius is used where the norm is needed", "在需要范数的地方用了谱半径"),
        _t("The largest |eigenvalue| decides the long run, but it does not bound a step: for a non-normal matrix "
           "||J v|| can exceed rho(J) ||v||, and gradients can grow for a while although rho < 1. The bound uses "
           "the spectral norm, np.linalg.norm(J, 2).",
           "最大的 |特征值| 决定长期行为，却不能界定单步：对非正规矩阵，||J v|| 可以超过 rho(J) ||v||，即使 rho < 1，"
           "梯度也可能暂时增长。上界要用谱范数 np.linalg.norm(J, 2)。"),
        (_v(BOUND, ("np.linalg.norm(J, 2)", "np.max(np.abs(np.linalg.eigvals(J)))")),),
    ),
    Misconception(
        "bound.missing_tanh_derivative", "bound",
        _t("The Jacobian lacks the tanh derivative: ||W_hh|| at every step",
           "雅可比矩阵缺少 tanh 的导数：每一步都是 ||W_hh||"),
        _t("dh_t/dh_{t-1} = diag(1 - h_t^2) W_hh: each row of W_hh is scaled by 1 - h_{t,i}^2 of this step. "
           "Saturated units (|h| near 1) shrink the Jacobian, which is why gradients vanish even when rho > 1.",
           "dh_t/dh_{t-1} = diag(1 - h_t^2) W_hh：W_hh 的每一行乘以本步的 1 - h_{t,i}^2。饱和单元（|h| 接近 1）"
           "会缩小雅可比矩阵，这就是 rho > 1 时梯度仍会消失的原因。"),
        (_v(BOUND, ("J = (1.0 - h[t, b] ** 2)[:, None] * W_hh", "J = W_hh")),),
    ),
    Misconception(
        "bound.derivative_on_columns", "bound",
        _t("The tanh derivative scales the columns of W_hh instead of its rows",
           "tanh 的导数乘在了 W_hh 的列上而不是行上"),
        _t("h_{t,i} = tanh(a_{t,i} + sum_j W_ij h_{t-1,j}), so dh_{t,i}/dh_{t-1,j} = (1 - h_{t,i}^2) W_ij: row i "
           "is scaled, diag(1 - h_t^2) W_hh, not W_hh diag(1 - h_t^2). With the batch as rows that is "
           "(1 - h_t^2)[:, None] * W_hh.",
           "h_{t,i} = tanh(a_{t,i} + sum_j W_ij h_{t-1,j})，所以 dh_{t,i}/dh_{t-1,j} = (1 - h_{t,i}^2) W_ij："
           "缩放的是第 i 行，即 diag(1 - h_t^2) W_hh，而不是 W_hh diag(1 - h_t^2)。写作 (1 - h_t^2)[:, None] * W_hh。"),
        (_v(BOUND, ("J = (1.0 - h[t, b] ** 2)[:, None] * W_hh", "J = W_hh * (1.0 - h[t, b] ** 2)[None, :]")),),
    ),
    Misconception(
        "bound.product_wrong_direction", "bound",
        _t("The product runs forward from the first step", "乘积是从第一步向后累乘的"),
        _t("bound[t] bounds how much dL/dh_T can grow on its way back to h_t: the product of the Jacobian norms of "
           "the steps between them, s = t+1 .. T. So bound[T] = 1 and the product grows towards t = 0.",
           "bound[t] 界定 dL/dh_T 回传到 h_t 时最多增长多少：即两者之间各步（s = t+1 .. T）雅可比范数的乘积。"
           "因此 bound[T] = 1，乘积向 t = 0 方向累积。"),
        (_v(BOUND, ("for t in range(T - 1, -1, -1):\n        bound[t] = bound[t + 1] * jac[t]",
                    "for t in range(T):\n        bound[t + 1] = bound[t] * jac[t]"), paths=("bound",)),),
    ),
    # ------------------------------------------------------------------ truncated (notebook 04)
    Misconception(
        "truncated.no_truncation", "truncated",
        _t("k is ignored: the gradient flows back through every step", "忽略了 k：梯度回传经过了所有时间步"),
        _t("Truncated BPTT cuts the sequence into chunks of k steps (1..k, k+1..2k, ...). At the first step of "
           "each chunk the state it starts from is treated as a constant, so nothing flows further back: reset "
           "the carried gradient there.",
           "截断的 BPTT 把序列切成长度为 k 的片段（1..k、k+1..2k、……）。在每个片段的第一步，它的起始状态被视为常数，"
           "梯度不再继续回传：要在那里把传递的梯度清零。"),
        (_v(TRUNCATED, ("        if t % k == 0 and t > 0:\n            carry = np.zeros_like(h0)\n", "")),),
    ),
    Misconception(
        "truncated.chunks_from_the_end", "truncated",
        _t("The chunks are counted from the last step", "片段是从最后一步开始划分的"),
        _t("The chunks start at step 1: 1..k, k+1..2k, ..., and the last one may be shorter. That is what "
           "detaching the state every k steps of the forward pass gives. Counted from the end, the cuts land "
           "elsewhere whenever T is not a multiple of k.",
           "片段从第 1 步开始：1..k、k+1..2k、……，最后一段可能较短；这正是前向传播中每 k 步 detach 一次状态的效果。"
           "如果从末尾开始划分，当 T 不是 k 的倍数时，切点位置就不同了。"),
        (_v(TRUNCATED, ("if t % k == 0 and t > 0:", "if (T - t) % k == 0 and t > 0:")),),
    ),
    Misconception(
        "truncated.cut_one_step_late", "truncated",
        _t("Each cut is one step off", "每个切点都错了一步"),
        _t("With k = 2 the chunks are steps 1-2, 3-4, ...: the gradient of step 3 must not reach h_2, the state "
           "that chunk starts from. Check your condition on the smallest case, T = 3 and k = 2.",
           "k = 2 时片段为第 1-2 步、第 3-4 步……：第 3 步的梯度不能传到 h_2（该片段的起始状态）。请用最小的例子 "
           "T = 3、k = 2 检查你的条件。"),
        (_v(TRUNCATED, ("if t % k == 0 and t > 0:", "if (t + 1) % k == 0 and t + 1 < T:")),),
    ),
    Misconception(
        "truncated.only_last_k_steps", "truncated",
        _t("Only the last k steps get a gradient", "只有最后 k 步得到了梯度"),
        _t("Truncation limits how far back each chunk's gradient flows; it does not drop the earlier steps: every "
           "step's own loss term dh_t still counts, and every chunk is backpropagated.",
           "截断限制的是每个片段的梯度能回传多远，并不丢弃前面的时间步：每一步自己的损失项 dh_t 仍然有效，"
           "每个片段都要反向传播。"),
        (_v(TRUNCATED, ("for t in range(T - 1, -1, -1):", "for t in range(T - 1, max(T - k, 0) - 1, -1):")),),
    ),
    Misconception(
        "truncated.dw_hh_uses_h_t", "truncated",
        _t("dW_hh uses h_t where h_{t-1} belongs", "dW_hh 在应使用 h_{t-1} 的地方用了 h_t"),
        _t("The pre-activation of step t is a_t + W_hh h_{t-1}, so dW_hh = sum_t da_t^T h_{t-1}, with h0 at the "
           "first step, also at the first step of a chunk (the state is detached, but its value is used).",
           "第 t 步的预激活是 a_t + W_hh h_{t-1}，因此 dW_hh = sum_t da_t^T h_{t-1}，第一步用 h0；片段的第一步也一样"
           "（状态被 detach，但它的值仍然参与计算）。"),
        (_v(TRUNCATED, ("dW_hh += da[t].T @ h_prev", "dW_hh += da[t].T @ h[t]"), paths=("W_hh",)),),
    ),
    Misconception(
        "truncated.missing_tanh_derivative", "truncated",
        _t("The tanh derivative (1 - h_t^2) is missing", "缺少 tanh 的导数 (1 - h_t^2)"),
        _t("da_t = (dh_t + the gradient carried from step t+1) * (1 - h_t^2): the gradient reaches the "
           "pre-activation through the tanh.",
           "da_t = (dh_t + 从第 t+1 步传来的梯度) * (1 - h_t^2)：梯度要经过 tanh 才到达预激活。"),
        (_v(TRUNCATED, ("da[t] = (dh[t] + carry) * (1.0 - h[t] ** 2)", "da[t] = dh[t] + carry")),),
    ),
    # ------------------------------------------------------------------ any part
    Misconception(
        "float32_precision", "any",
        _t("Computed in float32", "用 float32 计算"),
        _t("float32 keeps about 7 significant digits, far coarser than the tolerances, and a long product of "
           "Jacobians amplifies its rounding: keep every array float64.",
           "float32 只有约 7 位有效数字，远粗于容差，而雅可比矩阵的长乘积会放大它的舍入误差："
           "请让所有数组保持 float64。"),
        tuple(_v(function, patch) for function, patch in _F32.items()),
        loose=True,
    ),
    Misconception(
        "mutates_inputs", "any",
        _t("Changes its input arrays in place", "原地修改了输入数组"),
        _t("Operations such as dh[t] += ... change the caller's arrays, which the rest of training still needs. "
           "Build new arrays or work on copies (.copy()).",
           "dh[t] += ... 这样的操作会修改调用者的数组，而训练的其余部分仍需要原值。"
           "请生成新数组或在副本（.copy()）上计算。"),
        (_v(TRUNCATED, ("da[t] = (dh[t] + carry) * (1.0 - h[t] ** 2)",
                        "dh[t] += carry\n        da[t] = dh[t] * (1.0 - h[t] ** 2)")),),
        by_harness=True,
    ),
), {**NORMS_HINT_LEVELS, **TRUNCATED_HINT_LEVELS})  # levels 2 and 3 (grader.hints)

BY_NAME = {m.name: m for m in MISCONCEPTIONS}
