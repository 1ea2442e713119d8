"""Named misconceptions of exercise `rnn`, each one a mutant of a correct student-style solution.

Trusted side only. Every mistake is a small textual patch of one function of the base solution
(reference.rnn_variant: `BASE_SOURCE`, `Variant`), so each mutant is at once the mistaken computation
(run by grader.mutants.MutantMatcher on copies of a test's inputs) and student source text that the tests
submit through the real grader. A misconception may have several variants (the same mistake written in
different ways, or affecting one output or another). `paths` names the outputs a variant is meant to change:
("h",) for forward's hidden states, ("b_h", "x") for two of backward's gradients, ("clipped",) or
("total_norm",) for clip; () means all. The clip part's mistakes are in reference.rnn_mutants_clip. Each
`hint` is level 1 of the mistake's hint; levels 2 (where) and 3 (a worked 1x1 example) are in
reference.rnn_hints_forward, _backward and _clip (grader.hints).
"""

from __future__ import annotations

from grader.mutants import Misconception, with_hint_levels
from reference.rnn_hints_backward import BACKWARD_HINT_LEVELS
from reference.rnn_hints_clip import CLIP_HINT_LEVELS
from reference.rnn_hints_forward import FORWARD_HINT_LEVELS
from reference.rnn_mutants_clip import CLIP_MISCONCEPTIONS
from reference.rnn_variant import (
    BACKWARD,
    BASE_SOURCE,
    CLIP,
    FORWARD,
    PART_OF,
    Variant,
    base_function_source,
    t,
)

__all__ = ["BACKWARD", "BASE_SOURCE", "BY_NAME", "CLIP", "FORWARD", "MISCONCEPTIONS", "PART_OF", "Misconception",
          "Variant", "base_function_source"]

_F32_FORWARD = (
    "b_y):\n",
    "b_y):\n    x, h0, W_xh, W_hh, b_h, W_hy, b_y = [np.asarray(a, dtype=np.float32) for a in (x, h0, W_xh, W_hh, "
    "b_h, W_hy, b_y)]\n",
)
_F32_BACKWARD = (
    "W_hy):\n",
    "W_hy):\n    dy, x, h0, h, W_xh, W_hh, W_hy = [np.asarray(a, dtype=np.float32) for a in (dy, x, h0, h, W_xh, "
    "W_hh, W_hy)]\n",
)
_F32_CAST_BACK = "return np.stack(ys).astype(np.float64), np.stack(hs).astype(np.float64)"
_F32_CLIP = ("max_norm):\n", "max_norm):\n    grads = {k: np.asarray(g, dtype=np.float32) for k, g in grads.items()}\n")
_BACKWARD_RETURN = '{"W_xh": dW_xh, "W_hh": dW_hh, "b_h": db_h, "W_hy": dW_hy, "b_y": db_y, "x": dx, "h0": dh_next}'
_H_PREV = "h_prev = h[t - 1] if t > 0 else h0"
# The time loop of the base backward, from its first line to the return.
_BASE_BACKWARD = base_function_source(BACKWARD)
_BACKWARD_LOOP = _BASE_BACKWARD[_BASE_BACKWARD.index("    for t in reversed"):_BASE_BACKWARD.index("    return {")]
# How far back truncated BPTT lets a gradient flow: the values tutorials and students pick. A k not listed
# is not recognised (precision first: see docs/feedback.md).
TRUNCATION_STEPS = (1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 15, 16, 20, 25, 30, 32, 40, 50, 64)


def _truncated_loop(k: int) -> str:
    """The time loop of truncated BPTT: the gradient of y_t reaches steps t, t-1, ..., t-k (and h0 through
    step 1 when t <= k), as in the double loop `for s in range(t, max(-1, t - k - 1), -1)` of tutorials.
    Written a depth at a time over every t at once, so that trying it on a long sequence stays cheap."""
    return f"""    T = x.shape[0]
    h_before = np.concatenate([h0[None], h[:-1]])
    dW_hy += np.einsum("tbo,tbh->oh", dy, h)
    db_y += dy.sum(axis=(0, 1))
    carry = dy @ W_hy
    for back in range(min({k}, T - 1) + 1):
        n = T - back
        da = carry * (1.0 - h[:n] ** 2)
        dW_xh += np.einsum("sbh,sbi->hi", da, x[:n])
        dW_hh += np.einsum("sbh,sbk->hk", da, h_before[:n])
        db_h += da.sum(axis=(0, 1))
        dx[:n] += da @ W_xh
        dh_next = dh_next + da[0] @ W_hh
        carry = da[1:] @ W_hh
"""

MISCONCEPTIONS: tuple[Misconception, ...] = with_hint_levels((
    # ------------------------------------------------------------------ forward (lesson 02)
    Misconception(
        "forward.w_hh_not_transposed", "forward",
        t("W_hh is not transposed in the recurrence", "循环项中的 W_hh 没有转置"),
        t("With the batch stored as rows, W_hh h_{t-1} is h_prev @ W_hh.T. W_hh is square, so the product "
          "without .T has the right shape and the wrong values. Re-derive h_t = tanh(W_xh x_t + W_hh h_{t-1} "
          "+ b_h) in row form (lesson 02).",
          "批次按行存放时，W_hh h_{t-1} 应写作 h_prev @ W_hh.T。W_hh 是方阵，少了 .T 形状依然正确，但数值错误。"
          "请按行的形式重新推导 h_t = tanh(W_xh x_t + W_hh h_{t-1} + b_h)（第 02 课）。"),
        (Variant(FORWARD, (("h_prev @ W_hh.T", "h_prev @ W_hh"),), ("h",)),),
    ),
    Misconception(
        "forward.h_prev_not_updated", "forward",
        t("h_{t-1} is never updated: every step starts from h0", "h_{t-1} 没有更新：每一步都从 h0 出发"),
        t("After computing h_t it must become the previous state of the next step; check which variable "
          "holds h_{t-1} inside your loop. The hidden state is the RNN's memory (lessons 01-02).",
          "算出 h_t 之后，它必须成为下一步的前一状态；请检查循环中保存 h_{t-1} 的变量。隐状态就是 RNN 的"
          "“记忆”（第 01-02 课）。"),
        (Variant(FORWARD, (("        h_prev = h_t\n", ""),), ("h",)),),
    ),
    Misconception(
        "forward.no_recurrence", "forward",
        t("The recurrent term W_hh h_{t-1} is missing", "缺少循环项 W_hh h_{t-1}"),
        t("Each step needs the previous hidden state: h_t = tanh(W_xh x_t + W_hh h_{t-1} + b_h). Without "
          "W_hh h_{t-1} the network has no memory (lesson 02).",
          "每一步都需要前一隐状态：h_t = tanh(W_xh x_t + W_hh h_{t-1} + b_h)。没有 W_hh h_{t-1}，"
          "网络就没有记忆（第 02 课）。"),
        (Variant(FORWARD, ((" + h_prev @ W_hh.T", ""),), ("h",)),),
    ),
    Misconception(
        "forward.missing_b_h", "forward",
        t("The hidden bias b_h is missing", "缺少隐层偏置 b_h"),
        t("b_h is added inside the tanh at every step: h_t = tanh(W_xh x_t + W_hh h_{t-1} + b_h); it "
          "broadcasts over the batch rows (lesson 02).",
          "每一步都要在 tanh 内加上 b_h：h_t = tanh(W_xh x_t + W_hh h_{t-1} + b_h)，它会沿批次广播（第 02 课）。"),
        (Variant(FORWARD, (("W_hh.T + b_h", "W_hh.T"),), ("h",)),),
    ),
    Misconception(
        "forward.missing_b_y", "forward",
        t("The output bias b_y is missing", "缺少输出偏置 b_y"),
        t("y_t = W_hy h_t + b_y: add b_y to every step's output (lesson 02).",
          "y_t = W_hy h_t + b_y：每一步的输出都要加上 b_y（第 02 课）。"),
        (Variant(FORWARD, (("W_hy.T + b_y", "W_hy.T"),), ("y",)),),
    ),
    Misconception(
        "forward.h_includes_h0", "forward",
        t("h also contains h0 (T+1 states instead of T)", "h 中多包含了 h0（T+1 个状态而不是 T 个）"),
        t("Return only h_1 .. h_T: h has shape (T, B, H) with h[t-1] = h_t. h0 is an input, not an output.",
          "只返回 h_1 .. h_T：h 的形状为 (T, B, H)，h[t-1] = h_t。h0 是输入，不是输出。"),
        (Variant(FORWARD, (("hs, ys = [], []", "hs, ys = [h0], []"),), ("h",)),),
    ),
    Misconception(
        "forward.wrong_activation", "forward",
        t("The activation is not tanh", "激活函数不是 tanh"),
        t("The vanilla RNN of this course uses tanh: h_t = tanh(a_t). Sigmoid or ReLU give other states, "
          "and BPTT's 1 - h_t^2 only holds for tanh (lesson 02).",
          "本课程的基础 RNN 使用 tanh：h_t = tanh(a_t)。sigmoid 或 ReLU 得到的状态不同，而 BPTT 中的 "
          "1 - h_t^2 只对 tanh 成立（第 02 课）。"),
        (
            Variant(FORWARD, (("np.tanh(a_t)", "1.0 / (1.0 + np.exp(-a_t))"),), ("h",)),
            Variant(FORWARD, (("np.tanh(a_t)", "np.maximum(a_t, 0.0)"),), ("h",)),
        ),
    ),
    Misconception(
        "forward.tanh_overflows", "forward",
        t("tanh is written with np.exp and overflows", "用 np.exp 手写的 tanh 溢出了"),
        t("Use np.tanh; this formula overflows: exp(2a) is inf once a > 355 (exp(a) once a > 709), and "
          "inf / inf is NaN, which then spreads to every later step. Pre-activations that large are what "
          "exploding weights produce (lesson 04). np.tanh is right for every float64 input; a formula that "
          "never divides inf by inf, such as 1 - 2 / (exp(2a) + 1), also stays finite.",
          "请使用 np.tanh；这个公式会溢出：a > 355 时 exp(2a) 为 inf（a > 709 时 exp(a) 亦然），inf / inf "
          "得到 NaN，并传到之后的每一步。权重爆炸时预激活值正会这么大（第 04 课）。np.tanh 对任何 float64 "
          "输入都正确；不会出现 inf / inf 的公式（例如 1 - 2 / (exp(2a) + 1)）也不会溢出。"),
        (
            Variant(FORWARD, (("np.tanh(a_t)", "(np.exp(2 * a_t) - 1) / (np.exp(2 * a_t) + 1)"),), ("h",)),
            Variant(FORWARD, (("np.tanh(a_t)", "(1 - np.exp(-2 * a_t)) / (1 + np.exp(-2 * a_t))"),), ("h",)),
            Variant(FORWARD, (("np.tanh(a_t)", "(np.exp(a_t) - np.exp(-a_t)) / (np.exp(a_t) + np.exp(-a_t))"),),
                    ("h",)),
            Variant(FORWARD, (("np.tanh(a_t)", "np.sinh(a_t) / np.cosh(a_t)"),), ("h",)),
        ),
        non_finite_only=True,
    ),
    Misconception(
        "forward.y_from_h_prev", "forward",
        t("y_t is computed from h_{t-1} instead of h_t", "y_t 用 h_{t-1} 而不是 h_t 计算"),
        t("Update the state first, then read it out: y_t = W_hy h_t + b_y uses this step's new h_t (lesson 02).",
          "先更新状态再输出：y_t = W_hy h_t + b_y 使用本步新得到的 h_t（第 02 课）。"),
        (Variant(FORWARD, (("ys.append(h_t @ W_hy.T", "ys.append(h_prev @ W_hy.T"),), ("y",)),),
    ),
    # ------------------------------------------------------------------ backward (lesson 03)
    Misconception(
        "backward.missing_tanh_derivative", "backward",
        t("The tanh derivative (1 - h_t^2) is missing", "缺少 tanh 的导数 (1 - h_t^2)"),
        t("Between dh_t and the pre-activation comes da_t = dh_t * (1 - h_t^2), because tanh'(a) = 1 - tanh(a)^2 "
          "= 1 - h_t^2. The gradients of W_xh, W_hh, b_h, x and h0 all use da_t (lesson 03).",
          "从 dh_t 到预激活要经过 da_t = dh_t * (1 - h_t^2)，因为 tanh'(a) = 1 - tanh(a)^2 = 1 - h_t^2。"
          "W_xh、W_hh、b_h、x 和 h0 的梯度都用 da_t（第 03 课）。"),
        (Variant(BACKWARD, (("da = dh * (1.0 - h[t] ** 2)", "da = dh"),), ("b_h", "x")),),
    ),
    Misconception(
        "backward.tanh_derivative_wrong_value", "backward",
        t("The tanh derivative is evaluated at the wrong value", "tanh 的导数用错了自变量"),
        t("h_t is already tanh(a_t), so the derivative is 1 - h_t^2 with this step's h_t: not 1 - tanh(h_t)^2, "
          "and not 1 - h_{t-1}^2 (lesson 03).",
          "h_t 已经是 tanh(a_t)，所以导数是用本步 h_t 计算的 1 - h_t^2：既不是 1 - tanh(h_t)^2，也不是 "
          "1 - h_{t-1}^2（第 03 课）。"),
        (
            Variant(BACKWARD, (("(1.0 - h[t] ** 2)", "(1.0 - np.tanh(h[t]) ** 2)"),), ("b_h", "x")),
            Variant(BACKWARD, (("(1.0 - h[t] ** 2)", "(1.0 - h_prev ** 2)"),), ("b_h", "x")),
        ),
    ),
    Misconception(
        "backward.no_dh_next", "backward",
        t("The gradient is not carried back through h_{t-1}", "梯度没有经由 h_{t-1} 向前传递"),
        t("h_t feeds both y_t and the next pre-activation a_{t+1}, so dh_t = W_hy^T dy_t + W_hh^T da_{t+1}. "
          "Without the second term BPTT stops after one step: right for T=1, wrong for longer sequences "
          "(lesson 03).",
          "h_t 同时影响 y_t 和下一步的预激活 a_{t+1}，因此 dh_t = W_hy^T dy_t + W_hh^T da_{t+1}。缺少第二项时 "
          "BPTT 只回传一步：T=1 时正确，序列更长时出错（第 03 课）。"),
        (Variant(BACKWARD, (("dh = dy[t] @ W_hy + dh_next", "dh = dy[t] @ W_hy"),), ("b_h", "x")),),
    ),
    Misconception(
        "backward.w_hh_transposed_in_carry", "backward",
        t("W_hh is transposed the wrong way in the gradient sent to h_{t-1}",
          "传给 h_{t-1} 的梯度中 W_hh 的转置方向错误"),
        t("The gradient flowing back is W_hh^T da_t; with the batch as rows that is da_t @ W_hh, without .T "
          "(the forward pass used h_prev @ W_hh.T). Transposes swap between the forward and the backward pass "
          "(lesson 03).",
          "向前一步回传的梯度是 W_hh^T da_t；批次按行存放时写作 da_t @ W_hh，不带 .T（前向用的是 "
          "h_prev @ W_hh.T）。前向与反向之间转置会互换（第 03 课）。"),
        (
            Variant(BACKWARD, (("dh_next = da @ W_hh", "dh_next = da @ W_hh.T"),), ("b_h", "x")),
            Variant(BACKWARD, (("dh_next = da @ W_hh", "dh_next = da @ W_hh.T"),), ("h0",)),
        ),
    ),
    Misconception(
        "backward.dw_hh_uses_h_t", "backward",
        t("dW_hh uses h_t where h_{t-1} belongs", "dW_hh 在应使用 h_{t-1} 的地方用了 h_t"),
        t("a_t = W_xh x_t + W_hh h_{t-1} + b_h, so dW_hh = sum_t da_t h_{t-1}^T, with h0 at the first step "
          "(lesson 03).",
          "a_t = W_xh x_t + W_hh h_{t-1} + b_h，因此 dW_hh = sum_t da_t h_{t-1}^T，第一步用 h0（第 03 课）。"),
        (Variant(BACKWARD, (("dW_hh += da.T @ h_prev", "dW_hh += da.T @ h[t]"),), ("W_hh",)),),
    ),
    Misconception(
        "backward.weight_gradient_transposed", "backward",
        t("A weight gradient is transposed", "某个权重梯度被转置了"),
        t("Each gradient has its weight's shape. In row form: dW_xh = sum_t da_t^T x_t (H, I), "
          "dW_hh = sum_t da_t^T h_{t-1} (H, H), dW_hy = sum_t dy_t^T h_t (O, H). A square W_hh hides a "
          "transpose; check the formula, not only the shape (lesson 03).",
          "每个梯度的形状与对应权重相同。按行写：dW_xh = sum_t da_t^T x_t (H, I)，dW_hh = sum_t da_t^T "
          "h_{t-1} (H, H)，dW_hy = sum_t dy_t^T h_t (O, H)。W_hh 是方阵，转置错误不会改变形状，请核对公式"
          "（第 03 课）。"),
        (
            Variant(BACKWARD, (("dW_hh += da.T @ h_prev", "dW_hh += h_prev.T @ da"),), ("W_hh",)),
            Variant(BACKWARD, (("dW_xh = np.zeros_like(W_xh)", "dW_xh = 0.0"), ("da.T @ x[t]", "x[t].T @ da")),
                    ("W_xh",)),
            Variant(BACKWARD, (("dW_hy = np.zeros_like(W_hy)", "dW_hy = 0.0"), ("dy[t].T @ h[t]", "h[t].T @ dy[t]")),
                    ("W_hy",)),
        ),
    ),
    Misconception(
        "backward.bias_wrong_axis", "backward",
        t("A bias gradient is summed over the wrong axis", "偏置梯度沿错误的轴求和"),
        t("db_h = sum over every time step and batch row of da_t, shape (H,); db_y likewise from dy_t, shape "
          "(O,). For a (B, H) array that is .sum(axis=0): sum over the batch rows, not over the features "
          "(lesson 03).",
          "db_h 是 da_t 对所有时间步和批次样本的和，形状 (H,)；db_y 同理由 dy_t 求得，形状 (O,)。对 (B, H) "
          "数组应使用 .sum(axis=0)：对批次行求和，而不是对特征求和（第 03 课）。"),
        (
            Variant(BACKWARD, (("db_h = np.zeros(W_hh.shape[0])", "db_h = 0.0"),
                               ("db_h += da.sum(axis=0)", "db_h += da.sum(axis=1)")), ("b_h",)),
            Variant(BACKWARD, (("db_h = np.zeros(W_hh.shape[0])", "db_h = 0.0"),
                               ("db_h += da.sum(axis=0)", "db_h += da")), ("b_h",)),
            Variant(BACKWARD, (("db_y = np.zeros(W_hy.shape[0])", "db_y = 0.0"),
                               ("db_y += dy[t].sum(axis=0)", "db_y += dy[t].sum(axis=1)")), ("b_y",)),
            Variant(BACKWARD, (("db_y = np.zeros(W_hy.shape[0])", "db_y = 0.0"),
                               ("db_y += dy[t].sum(axis=0)", "db_y += dy[t]")), ("b_y",)),
        ),
    ),
    Misconception(
        "backward.dh0_missing", "backward",
        t("dL/dh0 is missing or zero", "dL/dh0 缺失或为零"),
        t("h0 feeds the first step, so dL/dh0 = W_hh^T da_1: the gradient carried back after the last iteration "
          "of the time loop. It is not zero, even when h0 itself is zero (lesson 03).",
          "h0 参与第一步计算，所以 dL/dh0 = W_hh^T da_1，也就是时间循环最后一次迭代后回传的梯度。即使 h0 本身为零，"
          "它也不为零（第 03 课）。"),
        (
            Variant(BACKWARD, (('"h0": dh_next}', '"h0": np.zeros_like(h0)}'),), ("h0",)),
            Variant(BACKWARD, ((', "h0": dh_next}', "}"),), ("h0",)),
        ),
    ),
    Misconception(
        "backward.dh0_off_by_one", "backward",
        t("dL/dh0 is the gradient of h_1, one step too late", "dL/dh0 实际上是 h_1 的梯度（差了一步）"),
        t("After the loop, the dh of the first step is dL/dh_1. h0 is one step further back: "
          "dL/dh0 = W_hh^T da_1, through the tanh derivative (lesson 03).",
          "循环结束时，第一步的 dh 是 dL/dh_1。h0 还要再往前一步：dL/dh0 = W_hh^T da_1，要经过 tanh 的导数"
          "（第 03 课）。"),
        (Variant(BACKWARD, (('"h0": dh_next}', '"h0": dh}'),), ("h0",)),),
    ),
    Misconception(
        "backward.only_last_dy", "backward",
        t("Only the last step's dy enters the recurrence", "只有最后一步的 dy 进入了递推"),
        t("Every y_t contributes to L, so every step adds its own W_hy^T dy_t: dh_t = W_hy^T dy_t + "
          "W_hh^T da_{t+1} for all t, not only t = T (lesson 03).",
          "每个 y_t 都影响 L，所以每一步都要加上自己的 W_hy^T dy_t：对所有 t 都有 dh_t = W_hy^T dy_t + "
          "W_hh^T da_{t+1}，而不仅是 t = T（第 03 课）。"),
        (Variant(BACKWARD, (("dh = dy[t] @ W_hy + dh_next",
                             "dh = (dy[t] @ W_hy if t == x.shape[0] - 1 else 0.0) + dh_next"),), ("b_h", "x")),),
    ),
    Misconception(
        "backward.truncated_bptt", "backward",
        t("BPTT is truncated: the gradient flows back only a few steps", "BPTT 被截断：梯度只回传了几步"),
        t("Truncated BPTT (each step's gradient sent back only k steps, as in some tutorials) is an "
          "approximation for training on very long sequences; this exercise asks for the exact gradient. Carry "
          "dh_t = W_hy^T dy_t + W_hh^T da_{t+1} through every step back to t = 1 and on to h0, with no limit on "
          "how far back (lesson 03).",
          "截断 BPTT（每一步的梯度只回传 k 步，一些教程这样写）是在超长序列上训练时的近似；本练习要求精确梯度。请把 "
          "dh_t = W_hy^T dy_t + W_hh^T da_{t+1} 一步不落地回传到 t = 1，再传到 h0，不限制回传的步数（第 03 课）。"),
        tuple(Variant(BACKWARD, ((_BACKWARD_LOOP, _truncated_loop(k)),), ("W_xh", "W_hh", "b_h", "x"))
              for k in TRUNCATION_STEPS),
    ),
    Misconception(
        "backward.h0_assumed_zero", "backward",
        t("The first step is treated as if h0 were 0", "第一步被当作 h0 = 0 处理"),
        t("h0 is an input like any other and need not be zero: the first step's term of dW_hh is da_1^T h0 "
          "(h0 is h_{t-1} of step 1), and dL/dh0 = W_hh^T da_1 whatever the value of h0 (lesson 03).",
          "h0 和其他输入一样，不一定为零：dW_hh 中第一步的项是 da_1^T h0（h0 就是第 1 步的 h_{t-1}），而且无论 h0 "
          "取什么值，dL/dh0 = W_hh^T da_1（第 03 课）。"),
        (
            Variant(BACKWARD, ((_H_PREV, "h_prev = h[t - 1] if t > 0 else np.zeros_like(h0)"),), ("W_hh",)),
            Variant(BACKWARD, ((_H_PREV, "h_prev = h[t - 1] if t > 0 else np.zeros_like(h0)"),
                               ('"h0": dh_next}', '"h0": np.zeros_like(h0)}')), ("W_hh", "h0")),
        ),
    ),
    Misconception(
        "backward.first_step_uses_h_T", "backward",
        t("The first step uses h_T where h0 belongs", "第一步在应使用 h0 的地方用了 h_T"),
        t("At t = 1 the previous state is h0, which is not in h: h[t - 1] with t = 0 is h[-1], the last state h_T "
          "(Python counts from the end), and a list whose last item was overwritten does the same. Take h0 "
          "explicitly at the first step: dW_hh = sum_t da_t^T h_{t-1} with h_0 = h0 (lesson 03).",
          "t = 1 时前一状态是 h0，它不在 h 中：t = 0 时的 h[t - 1] 是 h[-1]，即最后一个状态 h_T（Python 从末尾倒数），"
          "最后一项被覆盖的列表也会如此。请在第一步显式使用 h0：dW_hh = sum_t da_t^T h_{t-1}，其中 h_0 = h0"
          "（第 03 课）。"),
        (Variant(BACKWARD, ((_H_PREV, "h_prev = h[t - 1]"),), ("W_hh",)),),
    ),
    *CLIP_MISCONCEPTIONS,
    # ------------------------------------------------------------------ any part
    Misconception(
        "float32_precision", "any",
        t("Computed in float32", "用 float32 计算"),
        t("float32 keeps about 7 significant digits, far coarser than the tolerances: keep every array float64 "
          "(no dtype=np.float32, no .astype(np.float32); np.zeros and np.zeros_like of float64 inputs are "
          "float64).",
          "float32 只有约 7 位有效数字，远粗于容差：请让所有数组保持 float64（不要用 dtype=np.float32 或 "
          ".astype(np.float32)；np.zeros 与基于 float64 输入的 np.zeros_like 都是 float64）。"),
        (
            Variant(FORWARD, (_F32_FORWARD,)),
            Variant(FORWARD, (_F32_FORWARD, ("return np.stack(ys), np.stack(hs)", _F32_CAST_BACK))),
            Variant(BACKWARD, (_F32_BACKWARD, ("np.zeros(W_hh.shape[0])", "np.zeros(W_hh.shape[0], dtype=np.float32)"),
                               ("np.zeros(W_hy.shape[0])", "np.zeros(W_hy.shape[0], dtype=np.float32)"))),
            Variant(BACKWARD, (_F32_BACKWARD, (_BACKWARD_RETURN,
                                               "{k: np.asarray(v, dtype=np.float64) for k, v in "
                                               + _BACKWARD_RETURN + ".items()}"))),
            # A float32 recurrence whose outputs are float64: the states are rounded to float32 at every step.
            Variant(FORWARD, (("h_t = np.tanh(a_t)", "h_t = np.tanh(a_t).astype(np.float32)"),
                              ("return np.stack(ys), np.stack(hs)",
                               "return np.stack(ys), np.stack(hs).astype(np.float64)"))),
            Variant(FORWARD, (("h_t = np.tanh(a_t)", "h_t = np.tanh(a_t).astype(np.float32)"),)),
            Variant(BACKWARD, (("dh_next = da @ W_hh", "dh_next = (da @ W_hh).astype(np.float32)"),)),
            Variant(CLIP, (_F32_CLIP,)),
            Variant(CLIP, (_F32_CLIP, ("g * coef for", "(g * coef).astype(np.float64) for"))),
        ),
        loose=True,
    ),
    Misconception(
        "mutates_inputs", "any",
        t("Changes its input arrays in place", "原地修改了输入数组"),
        t("Operations such as g *= coef, x[...] = ... or h0 += ... change the caller's arrays, which the rest of "
          "training still needs. Build new arrays (g * coef) or work on copies (.copy()).",
          "g *= coef、x[...] = ...、h0 += ... 这样的操作会修改调用者的数组，而训练的其余部分仍需要原值。"
          "请生成新数组（g * coef）或在副本（.copy()）上计算。"),
        (Variant(CLIP, (("clipped = {k: g * coef for k, g in grads.items()}",
                         "for g in grads.values():\n        g *= coef\n    clipped = grads"),)),),
        by_harness=True,
    ),
), {**FORWARD_HINT_LEVELS, **BACKWARD_HINT_LEVELS, **CLIP_HINT_LEVELS})  # levels 2 and 3 (grader.hints)

BY_NAME = {m.name: m for m in MISCONCEPTIONS}

