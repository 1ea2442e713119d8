"""Named misconceptions of exercise `rnn`, each one a mutant of a correct student-style solution.

Trusted side only. `BASE_SOURCE` is a plain, correct, loop-based solution written the way students write it
(NumPy only). Every mistake is a small textual patch of one of its functions, so each mutant is at once
  - a function with the contract's signature that computes the mistaken result (compiled here, run by
    grader.mutants.MutantMatcher on copies of a failing test's inputs), and
  - student source text (`Variant.source`), which the tests submit through the real grader.
A misconception may have several variants (the same mistake written in different ways, or affecting one
output or another). `paths` names the outputs a variant is matched on: ("h",) for forward's hidden states,
("b_h", "x") for two of backward's gradients, ("clipped",) or ("total_norm",) for clip; () means all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from grader.mutants import Misconception
from grader.result import Text

BASE_SOURCE = '''import numpy as np


def rnn_forward(x, h0, W_xh, W_hh, b_h, W_hy, b_y):
    hs, ys = [], []
    h_prev = h0
    for t in range(x.shape[0]):
        a_t = x[t] @ W_xh.T + h_prev @ W_hh.T + b_h
        h_t = np.tanh(a_t)
        ys.append(h_t @ W_hy.T + b_y)
        hs.append(h_t)
        h_prev = h_t
    return np.stack(ys), np.stack(hs)


def rnn_backward(dy, x, h0, h, W_xh, W_hh, W_hy):
    dW_xh = np.zeros_like(W_xh)
    dW_hh = np.zeros_like(W_hh)
    db_h = np.zeros(W_hh.shape[0])
    dW_hy = np.zeros_like(W_hy)
    db_y = np.zeros(W_hy.shape[0])
    dx = np.zeros_like(x)
    dh_next = np.zeros_like(h0)
    for t in reversed(range(x.shape[0])):
        h_prev = h[t - 1] if t > 0 else h0
        dW_hy += dy[t].T @ h[t]
        db_y += dy[t].sum(axis=0)
        dh = dy[t] @ W_hy + dh_next
        da = dh * (1.0 - h[t] ** 2)
        dW_xh += da.T @ x[t]
        dW_hh += da.T @ h_prev
        db_h += da.sum(axis=0)
        dx[t] = da @ W_xh
        dh_next = da @ W_hh
    return {"W_xh": dW_xh, "W_hh": dW_hh, "b_h": db_h, "W_hy": dW_hy, "b_y": db_y, "x": dx, "h0": dh_next}


def clip_grad_norm(grads, max_norm):
    total = float(np.sqrt(sum(np.sum(g ** 2) for g in grads.values())))
    coef = min(max_norm / (total + 1e-6), 1.0)
    clipped = {k: g * coef for k, g in grads.items()}
    return clipped, total
'''

FORWARD, BACKWARD, CLIP = "rnn_forward", "rnn_backward", "clip_grad_norm"
PART_OF = {FORWARD: "forward", BACKWARD: "backward", CLIP: "clip"}


def base_function_source(function: str) -> str:
    """One top-level function of BASE_SOURCE, from its `def` line to the next blank-line-separated def."""
    for chunk in BASE_SOURCE.split("\n\n\n"):
        if chunk.startswith(f"def {function}("):
            return chunk.rstrip("\n") + "\n"
    raise KeyError(function)


@dataclass(frozen=True)
class Variant:
    """One way of writing a mistake (a grader.mutants.Mutant): `patches` are (old, new) replacements in one
    BASE_SOURCE function, each `old` occurring exactly once there (applied in order)."""

    function: str
    patches: tuple[tuple[str, str], ...]
    paths: tuple[str, ...] = ()

    @cached_property
    def source(self) -> str:
        text = base_function_source(self.function)
        for old, new in self.patches:
            if text.count(old) != 1:
                raise ValueError(f"patch {old!r} must occur once in {self.function}")
            text = text.replace(old, new)
        return text

    @cached_property
    def run(self) -> Callable[..., Any]:
        """The compiled mutant (our own constant code, compiled in the trusted process)."""
        namespace: dict[str, Any] = {"np": np}
        exec(compile(self.source, f"<mutant {self.function}>", "exec"), namespace)
        fn: Callable[..., Any] = namespace[self.function]
        return fn


def _t(en: str, zh: str) -> Text:
    return Text(en=en, zh=zh)


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

MISCONCEPTIONS: tuple[Misconception, ...] = (
    # ------------------------------------------------------------------ forward (lesson 02)
    Misconception(
        "forward.w_hh_not_transposed", "forward",
        _t("W_hh is not transposed in the recurrence", "循环项中的 W_hh 没有转置"),
        _t("With the batch stored as rows, W_hh h_{t-1} is h_prev @ W_hh.T. W_hh is square, so the product "
           "without .T has the right shape and the wrong values. Re-derive h_t = tanh(W_xh x_t + W_hh h_{t-1} "
           "+ b_h) in row form (lesson 02).",
           "批次按行存放时，W_hh h_{t-1} 应写作 h_prev @ W_hh.T。W_hh 是方阵，少了 .T 形状依然正确，但数值错误。"
           "请按行的形式重新推导 h_t = tanh(W_xh x_t + W_hh h_{t-1} + b_h)（第 02 课）。"),
        (Variant(FORWARD, (("h_prev @ W_hh.T", "h_prev @ W_hh"),), ("h",)),),
    ),
    Misconception(
        "forward.h_prev_not_updated", "forward",
        _t("h_{t-1} is never updated: every step starts from h0", "h_{t-1} 没有更新：每一步都从 h0 出发"),
        _t("After computing h_t it must become the previous state of the next step; check which variable "
           "holds h_{t-1} inside your loop. The hidden state is the RNN's memory (lessons 01-02).",
           "算出 h_t 之后，它必须成为下一步的前一状态；请检查循环中保存 h_{t-1} 的变量。隐状态就是 RNN 的"
           "“记忆”（第 01-02 课）。"),
        (Variant(FORWARD, (("        h_prev = h_t\n", ""),), ("h",)),),
    ),
    Misconception(
        "forward.no_recurrence", "forward",
        _t("The recurrent term W_hh h_{t-1} is missing", "缺少循环项 W_hh h_{t-1}"),
        _t("Each step needs the previous hidden state: h_t = tanh(W_xh x_t + W_hh h_{t-1} + b_h). Without "
           "W_hh h_{t-1} the network has no memory (lesson 02).",
           "每一步都需要前一隐状态：h_t = tanh(W_xh x_t + W_hh h_{t-1} + b_h)。没有 W_hh h_{t-1}，"
           "网络就没有记忆（第 02 课）。"),
        (Variant(FORWARD, ((" + h_prev @ W_hh.T", ""),), ("h",)),),
    ),
    Misconception(
        "forward.missing_b_h", "forward",
        _t("The hidden bias b_h is missing", "缺少隐层偏置 b_h"),
        _t("b_h is added inside the tanh at every step: h_t = tanh(W_xh x_t + W_hh h_{t-1} + b_h); it "
           "broadcasts over the batch rows (lesson 02).",
           "每一步都要在 tanh 内加上 b_h：h_t = tanh(W_xh x_t + W_hh h_{t-1} + b_h)，它会沿批次广播（第 02 课）。"),
        (Variant(FORWARD, (("W_hh.T + b_h", "W_hh.T"),), ("h",)),),
    ),
    Misconception(
        "forward.missing_b_y", "forward",
        _t("The output bias b_y is missing", "缺少输出偏置 b_y"),
        _t("y_t = W_hy h_t + b_y: add b_y to every step's output (lesson 02).",
           "y_t = W_hy h_t + b_y：每一步的输出都要加上 b_y（第 02 课）。"),
        (Variant(FORWARD, (("W_hy.T + b_y", "W_hy.T"),), ("y",)),),
    ),
    Misconception(
        "forward.h_includes_h0", "forward",
        _t("h also contains h0 (T+1 states instead of T)", "h 中多包含了 h0（T+1 个状态而不是 T 个）"),
        _t("Return only h_1 .. h_T: h has shape (T, B, H) with h[t-1] = h_t. h0 is an input, not an output.",
           "只返回 h_1 .. h_T：h 的形状为 (T, B, H)，h[t-1] = h_t。h0 是输入，不是输出。"),
        (Variant(FORWARD, (("hs, ys = [], []", "hs, ys = [h0], []"),), ("h",)),),
    ),
    Misconception(
        "forward.wrong_activation", "forward",
        _t("The activation is not tanh", "激活函数不是 tanh"),
        _t("The vanilla RNN of this course uses tanh: h_t = tanh(a_t). Sigmoid or ReLU give other states, "
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
        _t("tanh is written with np.exp and overflows", "用 np.exp 手写的 tanh 溢出了"),
        _t("Use np.tanh; this formula overflows: exp(2a) is inf once a > 355 (exp(a) once a > 709), and "
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
        _t("y_t is computed from h_{t-1} instead of h_t", "y_t 用 h_{t-1} 而不是 h_t 计算"),
        _t("Update the state first, then read it out: y_t = W_hy h_t + b_y uses this step's new h_t (lesson 02).",
           "先更新状态再输出：y_t = W_hy h_t + b_y 使用本步新得到的 h_t（第 02 课）。"),
        (Variant(FORWARD, (("ys.append(h_t @ W_hy.T", "ys.append(h_prev @ W_hy.T"),), ("y",)),),
    ),
    # ------------------------------------------------------------------ backward (lesson 03)
    Misconception(
        "backward.missing_tanh_derivative", "backward",
        _t("The tanh derivative (1 - h_t^2) is missing", "缺少 tanh 的导数 (1 - h_t^2)"),
        _t("Between dh_t and the pre-activation comes da_t = dh_t * (1 - h_t^2), because tanh'(a) = 1 - tanh(a)^2 "
           "= 1 - h_t^2. The gradients of W_xh, W_hh, b_h, x and h0 all use da_t (lesson 03).",
           "从 dh_t 到预激活要经过 da_t = dh_t * (1 - h_t^2)，因为 tanh'(a) = 1 - tanh(a)^2 = 1 - h_t^2。"
           "W_xh、W_hh、b_h、x 和 h0 的梯度都用 da_t（第 03 课）。"),
        (Variant(BACKWARD, (("da = dh * (1.0 - h[t] ** 2)", "da = dh"),), ("b_h", "x")),),
    ),
    Misconception(
        "backward.tanh_derivative_wrong_value", "backward",
        _t("The tanh derivative is evaluated at the wrong value", "tanh 的导数用错了自变量"),
        _t("h_t is already tanh(a_t), so the derivative is 1 - h_t^2 with this step's h_t: not 1 - tanh(h_t)^2, "
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
        _t("The gradient is not carried back through h_{t-1}", "梯度没有经由 h_{t-1} 向前传递"),
        _t("h_t feeds both y_t and the next pre-activation a_{t+1}, so dh_t = W_hy^T dy_t + W_hh^T da_{t+1}. "
           "Without the second term BPTT stops after one step: right for T=1, wrong for longer sequences "
           "(lesson 03).",
           "h_t 同时影响 y_t 和下一步的预激活 a_{t+1}，因此 dh_t = W_hy^T dy_t + W_hh^T da_{t+1}。缺少第二项时 "
           "BPTT 只回传一步：T=1 时正确，序列更长时出错（第 03 课）。"),
        (Variant(BACKWARD, (("dh = dy[t] @ W_hy + dh_next", "dh = dy[t] @ W_hy"),), ("b_h", "x")),),
    ),
    Misconception(
        "backward.w_hh_transposed_in_carry", "backward",
        _t("W_hh is transposed the wrong way in the gradient sent to h_{t-1}",
           "传给 h_{t-1} 的梯度中 W_hh 的转置方向错误"),
        _t("The gradient flowing back is W_hh^T da_t; with the batch as rows that is da_t @ W_hh, without .T "
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
        _t("dW_hh uses h_t where h_{t-1} belongs", "dW_hh 在应使用 h_{t-1} 的地方用了 h_t"),
        _t("a_t = W_xh x_t + W_hh h_{t-1} + b_h, so dW_hh = sum_t da_t h_{t-1}^T, with h0 at the first step "
           "(lesson 03).",
           "a_t = W_xh x_t + W_hh h_{t-1} + b_h，因此 dW_hh = sum_t da_t h_{t-1}^T，第一步用 h0（第 03 课）。"),
        (Variant(BACKWARD, (("dW_hh += da.T @ h_prev", "dW_hh += da.T @ h[t]"),), ("W_hh",)),),
    ),
    Misconception(
        "backward.weight_gradient_transposed", "backward",
        _t("A weight gradient is transposed", "某个权重梯度被转置了"),
        _t("Each gradient has its weight's shape. In row form: dW_xh = sum_t da_t^T x_t (H, I), "
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
        _t("A bias gradient is summed over the wrong axis", "偏置梯度沿错误的轴求和"),
        _t("db_h = sum over every time step and batch row of da_t, shape (H,); db_y likewise from dy_t, shape "
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
        _t("dL/dh0 is missing or zero", "dL/dh0 缺失或为零"),
        _t("h0 feeds the first step, so dL/dh0 = W_hh^T da_1: the gradient carried back after the last iteration "
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
        _t("dL/dh0 is the gradient of h_1, one step too late", "dL/dh0 实际上是 h_1 的梯度（差了一步）"),
        _t("After the loop, the dh of the first step is dL/dh_1. h0 is one step further back: "
           "dL/dh0 = W_hh^T da_1, through the tanh derivative (lesson 03).",
           "循环结束时，第一步的 dh 是 dL/dh_1。h0 还要再往前一步：dL/dh0 = W_hh^T da_1，要经过 tanh 的导数"
           "（第 03 课）。"),
        (Variant(BACKWARD, (('"h0": dh_next}', '"h0": dh}'),), ("h0",)),),
    ),
    Misconception(
        "backward.only_last_dy", "backward",
        _t("Only the last step's dy enters the recurrence", "只有最后一步的 dy 进入了递推"),
        _t("Every y_t contributes to L, so every step adds its own W_hy^T dy_t: dh_t = W_hy^T dy_t + "
           "W_hh^T da_{t+1} for all t, not only t = T (lesson 03).",
           "每个 y_t 都影响 L，所以每一步都要加上自己的 W_hy^T dy_t：对所有 t 都有 dh_t = W_hy^T dy_t + "
           "W_hh^T da_{t+1}，而不仅是 t = T（第 03 课）。"),
        (Variant(BACKWARD, (("dh = dy[t] @ W_hy + dh_next",
                             "dh = (dy[t] @ W_hy if t == x.shape[0] - 1 else 0.0) + dh_next"),), ("b_h", "x")),),
    ),
    # ------------------------------------------------------------------ clip (lesson 04, FAQ Q2)
    Misconception(
        "clip.per_tensor_norm", "clip",
        _t("Each array is clipped by its own norm", "每个数组按各自的范数裁剪"),
        _t("clip_grad_norm uses one total norm over all arrays, total = sqrt(sum of the squares of every entry of "
           "every array), and one coefficient for all of them, so the direction of the whole gradient is kept "
           "(lesson 04).",
           "clip_grad_norm 对所有数组使用同一个总范数 total = sqrt(所有数组所有元素的平方和)，并对它们使用同一个"
           "系数，从而保持整体梯度的方向（第 04 课）。"),
        (Variant(CLIP, (("g * coef for", "g * min(max_norm / (float(np.sqrt(np.sum(g ** 2))) + 1e-6), 1.0) for"),),
                 ("clipped",)),),
    ),
    Misconception(
        "clip.always_rescales", "clip",
        _t("Gradients are rescaled even when the norm is below max_norm", "总范数低于 max_norm 时仍然缩放"),
        _t("coef = min(1, max_norm / (total + 1e-6)): when the total norm is already below max_norm the "
           "gradients keep their values (lesson 04).",
           "coef = min(1, max_norm / (total + 1e-6))：总范数已低于 max_norm 时梯度保持原值（第 04 课）。"),
        (Variant(CLIP, (("min(max_norm / (total + 1e-6), 1.0)", "max_norm / (total + 1e-6)"),), ("clipped",)),),
    ),
    Misconception(
        "clip.norm_after_clipping", "clip",
        _t("The returned norm is the norm after clipping", "返回的是裁剪后的范数"),
        _t("total_norm is the norm before clipping, as torch.nn.utils.clip_grad_norm_ returns it; it is what you "
           "monitor to see gradients explode (lesson 04).",
           "total_norm 是裁剪前的范数，与 torch.nn.utils.clip_grad_norm_ 的返回值一致；监控梯度爆炸看的就是它"
           "（第 04 课）。"),
        (Variant(CLIP, (("return clipped, total",
                         "return clipped, float(np.sqrt(sum(np.sum(g ** 2) for g in clipped.values())))"),),
                 ("total_norm",)),),
    ),
    Misconception(
        "clip.max_norm_below_one_ignored", "clip",
        _t("A max_norm below 1 is not honoured", "max_norm 小于 1 时没有生效"),
        _t("max_norm can be any positive number, also below 1: coef = min(1, max_norm / (total + 1e-6)), with "
           "no other bound on max_norm or on the coefficient.",
           "max_norm 可以是任何正数，也可以小于 1：coef = min(1, max_norm / (total + 1e-6))，对 max_norm 或系数"
           "没有其他限制。"),
        (Variant(CLIP, (("min(max_norm / (total", "min(max(max_norm, 1.0) / (total"),), ("clipped",)),),
    ),
    Misconception(
        "clip.norm_without_sqrt", "clip",
        _t("The total norm lacks the square root", "总范数缺少平方根"),
        _t("The L2 norm is the square root of the sum of squares: total = sqrt(sum of g^2 over every entry of "
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
        _t("The total norm is the sum of the arrays' norms", "总范数被算成各数组范数之和"),
        _t("Norms combine like Pythagoras: total = sqrt(sum_k ||g_k||^2), not sum_k ||g_k||.",
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
        _t("The 1e-6 in the denominator is missing", "分母中缺少 1e-6"),
        _t("torch divides by (total + 1e-6), so that a zero gradient stays zero; keep it: coef = min(1, max_norm / "
           "(total + 1e-6)). The tolerance of this part is tight enough to see the difference.",
           "torch 除以 (total + 1e-6)，保证零梯度仍为零；请保留它：coef = min(1, max_norm / (total + 1e-6))。"
           "本部分的容差足以区分这一差别。"),
        (Variant(CLIP, (("max_norm / (total + 1e-6)", "max_norm / total"),), ("clipped",)),),
    ),
    # ------------------------------------------------------------------ any part
    Misconception(
        "float32_precision", "any",
        _t("Computed in float32", "用 float32 计算"),
        _t("float32 keeps about 7 significant digits, far coarser than the tolerances: keep every array float64 "
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
            Variant(CLIP, (_F32_CLIP,)),
            Variant(CLIP, (_F32_CLIP, ("g * coef for", "(g * coef).astype(np.float64) for"))),
        ),
        loose=True,
    ),
    Misconception(
        "mutates_inputs", "any",
        _t("Changes its input arrays in place", "原地修改了输入数组"),
        _t("Operations such as g *= coef, x[...] = ... or h0 += ... change the caller's arrays, which the rest of "
           "training still needs. Build new arrays (g * coef) or work on copies (.copy()).",
           "g *= coef、x[...] = ...、h0 += ... 这样的操作会修改调用者的数组，而训练的其余部分仍需要原值。"
           "请生成新数组（g * coef）或在副本（.copy()）上计算。"),
        (Variant(CLIP, (("clipped = {k: g * coef for k, g in grads.items()}",
                         "for g in grads.values():\n        g *= coef\n    clipped = grads"),)),),
        by_harness=True,
    ),
)

BY_NAME = {m.name: m for m in MISCONCEPTIONS}

