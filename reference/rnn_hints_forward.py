"""Levels 2 and 3 of the hints of exercise `rnn`'s forward mistakes and of those of any part (grader.hints):
where the mistake sits (the formula or the step of the loop), and a worked micro-example on a 1x1 case with
numbers a student can check by hand. Level 1 is each mistake's `hint` (reference.rnn_mutants).

Made-up inputs only (never a hidden case), no code of the reference. Every number is checked against the base
solution and the mistake's mutant (tests/exercise/test_hint_levels.py). A transposition cannot show on a 1x1
case (W^T = W there): its example says so and uses the smallest case that shows it (H = 2).
"""

from __future__ import annotations

from grader.hints import HintLevels
from reference.rnn_variant import t

FORWARD_HINT_LEVELS: dict[str, HintLevels] = {
    "forward.w_hh_not_transposed": HintLevels(
        where=t("In rnn_forward, inside the time loop, the line that forms the pre-activation a_t, and in it the "
                "recurrent term. With one row per sample, W_hh h_{t-1} (column form) is h_{t-1} times the transpose "
                "of W_hh (row form), just as the input term uses the transpose of W_xh. Compare how you wrote the "
                "two terms.",
                "在 rnn_forward 的时间循环里，计算预激活 a_t 的那一行中的循环项。每个样本占一行时，列形式的 "
                "W_hh h_{t-1} 要写成 h_{t-1} 乘以 W_hh 的转置（行形式），和输入项使用 W_xh 的转置一样。请对比你这两项"
                "的写法。"),
        example=t("On a 1x1 case W_hh^T = W_hh, so this mistake cannot show there (a single-unit check passes). The "
                  "smallest case that shows it has H = 2: W_hh = [[1, 2], [3, 4]], h_{t-1} = [1, 0]. The correct "
                  "recurrent term W_hh h_{t-1} is the first column of W_hh: [1, 3]. The row [1, 0] times W_hh without "
                  "the transpose gives its first row, [1, 2]: the second unit receives 2 instead of 3.",
                  "在 1x1 的情形下 W_hh^T = W_hh，这个错误显现不出来（单个单元的检查会通过）。能显现它的最小情形是 "
                  "H = 2：W_hh = [[1, 2], [3, 4]]，h_{t-1} = [1, 0]。正确的循环项 W_hh h_{t-1} 是 W_hh 的第一列："
                  "[1, 3]。不转置时，行向量 [1, 0] 乘以 W_hh 得到的是它的第一行 [1, 2]：第二个单元收到的是 2 而"
                  "不是 3。"),
    ),
    "forward.h_prev_not_updated": HintLevels(
        where=t("In rnn_forward, at the end of each step of the time loop: once h_t is computed (and stored), the "
                "variable the next step reads as h_{t-1} must become h_t. Yours keeps the value it had before the "
                "loop, h0.",
                "在 rnn_forward 时间循环每一步的末尾：算出（并保存）h_t 之后，下一步当作 h_{t-1} 读取的那个变量必须变成"
                " "
                "h_t。你的代码中它一直保持循环开始前的值 h0。"),
        example=t("One unit, T = 2: x = (1, 0), h0 = 0, W_xh = 1, W_hh = 0.5, b_h = 0. Step 1: h_1 = tanh(1·1 + "
                  "0.5·0) = tanh(1) = 0.7616. Step 2: h_2 = tanh(1·0 + 0.5·h_1) = tanh(0.3808) = 0.3634. Starting "
                  "step 2 from h0 again gives tanh(0 + 0.5·0) = 0 instead.",
                  "一个单元，T = 2：x = (1, 0)，h0 = 0，W_xh = 1，W_hh = 0.5，b_h = 0。第 1 步：h_1 = tanh(1·1 + "
                  "0.5·0) = tanh(1) = 0.7616。第 2 步：h_2 = tanh(1·0 + 0.5·h_1) = tanh(0.3808) = 0.3634。如果第 2 "
                  "步又从 h0 出发，得到的是 tanh(0 + 0.5·0) = 0。"),
    ),
    "forward.no_recurrence": HintLevels(
        where=t("In rnn_forward, the line inside the time loop that forms a_t: it has the input term W_xh x_t and "
                "b_h but no term for the previous state. Add W_hh h_{t-1} there (row form: h_{t-1} times the "
                "transpose of W_hh), with h_{t-1} = h0 at the first step.",
                "在 rnn_forward 时间循环中计算 a_t 的那一行：它有输入项 W_xh x_t 和 b_h，却没有前一状态的项。请在那里"
                "加上 W_hh h_{t-1}（行形式：h_{t-1} 乘以 W_hh 的转置），第一步的 h_{t-1} 就是 h0。"),
        example=t("One unit, T = 2: x = (0, 0), h0 = 0.5, W_xh = 1, W_hh = 1, b_h = 0. Step 1: h_1 = tanh(0 + "
                  "1·0.5) = tanh(0.5) = 0.4621. Step 2: h_2 = tanh(0 + 1·0.4621) = 0.4318. Without W_hh h_{t-1} both "
                  "steps compute tanh(0) = 0: what h0 holds never enters.",
                  "一个单元，T = 2：x = (0, 0)，h0 = 0.5，W_xh = 1，W_hh = 1，b_h = 0。第 1 步：h_1 = tanh(0 + "
                  "1·0.5) = tanh(0.5) = 0.4621。第 2 步：h_2 = tanh(0 + 1·0.4621) = 0.4318。缺少 W_hh h_{t-1} 时，"
                  "两步算的都是 tanh(0) = 0：h0 的信息根本没有进入计算。"),
    ),
    "forward.missing_b_h": HintLevels(
        where=t("In rnn_forward, the pre-activation line of the time loop: a_t = W_xh x_t + W_hh h_{t-1} + b_h, "
                "with b_h added inside the tanh at every step (broadcast to every sample row), not after the tanh "
                "and not only once.",
                "在 rnn_forward 时间循环的预激活那一行：a_t = W_xh x_t + W_hh h_{t-1} + b_h，b_h 要在每一步都加在 "
                "tanh 里面（广播到每个样本行），而不是加在 tanh 之后，也不是只加一次。"),
        example=t("One unit, T = 1: x_1 = 0, h0 = 0, b_h = 0.5 (any W_xh, W_hh). Then a_1 = 0 + 0 + 0.5 and h_1 = "
                  "tanh(0.5) = 0.4621. Without b_h, a_1 = 0 and h_1 = tanh(0) = 0.",
                  "一个单元，T = 1：x_1 = 0，h0 = 0，b_h = 0.5（W_xh、W_hh 任意）。于是 a_1 = 0 + 0 + 0.5，h_1 = "
                  "tanh(0.5) = 0.4621。缺少 b_h 时 a_1 = 0，h_1 = tanh(0) = 0。"),
    ),
    "forward.missing_b_y": HintLevels(
        where=t("In rnn_forward, the output line of each step: y_t = W_hy h_t + b_y (row form: h_t times the "
                "transpose of W_hy, plus b_y), with b_y added at every step.",
                "在 rnn_forward 每一步计算输出的那一行：y_t = W_hy h_t + b_y（行形式：h_t 乘以 W_hy 的转置，再加 b_y）"
                "，"
                "每一步都要加 b_y。"),
        example=t("One unit, T = 1: x_1 = 0, h0 = 0, b_h = 0, so h_1 = tanh(0) = 0; W_hy = 2, b_y = 0.3. Then y_1 = "
                  "2·0 + 0.3 = 0.3. Without b_y, y_1 = 0.",
                  "一个单元，T = 1：x_1 = 0，h0 = 0，b_h = 0，所以 h_1 = tanh(0) = 0；W_hy = 2，b_y = 0.3。于是 y_1 = "
                  "2·0 + 0.3 = 0.3。缺少 b_y 时 y_1 = 0。"),
    ),
    "forward.h_includes_h0": HintLevels(
        where=t("In rnn_forward, where the list (or array) of states starts: it starts empty and receives h_1 .. "
                "h_T, one state appended after each h_t is computed. h0 is only the h_{t-1} of the first step.",
                "在 rnn_forward 中状态列表（或数组）开始的地方：它应从空开始，每算出一个 h_t 就追加一个，最终是 h_1 .. "
                "h_T。h0 只是第一步的 h_{t-1}。"),
        example=t("One unit, T = 2: x = (0, 0), h0 = 0.5, W_xh = 1, W_hh = 1, b_h = 0. h_1 = tanh(0.5) = 0.4621 "
                  "and h_2 = tanh(0.4621) = 0.4318, so h = (0.4621, 0.4318), shape (2, 1, 1). With h0 in front, h = "
                  "(0.5, 0.4621, 0.4318), shape (3, 1, 1): every h[t] is then one step late.",
                  "一个单元，T = 2：x = (0, 0)，h0 = 0.5，W_xh = 1，W_hh = 1，b_h = 0。h_1 = tanh(0.5) = 0.4621，"
                  "h_2 = tanh(0.4621) = 0.4318，所以 h = (0.4621, 0.4318)，形状 (2, 1, 1)。前面多了 h0 时 h = "
                  "(0.5, 0.4621, 0.4318)，形状 (3, 1, 1)：每个 h[t] 都晚了一步。"),
    ),
    "forward.wrong_activation": HintLevels(
        where=t("In rnn_forward, the line that turns the pre-activation into the state: h_t = tanh(a_t), with "
                "np.tanh on the whole a_t, at every step.",
                "在 rnn_forward 中把预激活变成状态的那一行：每一步都是 h_t = tanh(a_t)，对整个 a_t 使用 np.tanh。"),
        example=t("One unit, T = 1: x_1 = 1, h0 = 0, W_xh = 1, b_h = 0, so a_1 = 1 and h_1 = tanh(1) = 0.7616. A "
                  "sigmoid gives 1 / (1 + e^-1) = 0.7311 and a ReLU gives max(1, 0) = 1: h is wrong from the first "
                  "step.",
                  "一个单元，T = 1：x_1 = 1，h0 = 0，W_xh = 1，b_h = 0，所以 a_1 = 1，h_1 = tanh(1) = 0.7616。"
                  "sigmoid 给出 1 / (1 + e^-1) = 0.7311，ReLU 给出 max(1, 0) = 1：h 从第一步起就错了。"),
    ),
    "forward.tanh_overflows": HintLevels(
        where=t("In rnn_forward, the activation line of the time loop, h_t = tanh(a_t): your formula made of "
                "np.exp is evaluated on a large pre-activation. Replace the whole formula with np.tanh(a_t).",
                "在 rnn_forward 时间循环的激活那一行 h_t = tanh(a_t)：你用 np.exp 拼成的公式作用在了很大的预激活值上。"
                "请把整个公式换成 np.tanh(a_t)。"),
        example=t("One unit, T = 1: x_1 = 400, h0 = 0, W_xh = 1, b_h = 0, so a_1 = 400 and np.tanh(400) = 1.0. The "
                  "formula (np.exp(2a) - 1) / (np.exp(2a) + 1) computes np.exp(800) = inf (float64 ends near e^709), "
                  "and (inf - 1) / (inf + 1) = inf / inf = nan. With a_1 = -400, a formula with np.exp(-2a) "
                  "overflows the same way, and one with np.exp(a) does once |a| > 709.",
                  "一个单元，T = 1：x_1 = 400，h0 = 0，W_xh = 1，b_h = 0，所以 a_1 = 400，np.tanh(400) = 1.0。公式 "
                  "(np.exp(2a) - 1) / (np.exp(2a) + 1) 要计算 np.exp(800) = inf（float64 的上限约为 e^709），而 "
                  "(inf - 1) / (inf + 1) = inf / inf = nan。a_1 = -400 时，含 np.exp(-2a) 的公式同样溢出；含 "
                  "np.exp(a) 的公式在 |a| > 709 时溢出。"),
    ),
    "forward.y_from_h_prev": HintLevels(
        where=t("In rnn_forward, the order of the two lines inside the time loop: first h_t, then y_t = W_hy h_t + "
                "b_y from this new h_t. h_{t-1} is only used to compute h_t.",
                "在 rnn_forward 时间循环里两行的顺序：先算 h_t，再用这个新的 h_t 算 y_t = W_hy h_t + b_y。h_{t-1} "
                "只用于计算 h_t。"),
        example=t("One unit, T = 1: x_1 = 1, h0 = 0, W_xh = 1, b_h = 0, W_hy = 1, b_y = 0. h_1 = tanh(1) = 0.7616 "
                  "and y_1 = 1·0.7616 + 0 = 0.7616. Reading out h_{t-1} = h0 instead gives y_1 = 1·0 + 0 = 0.",
                  "一个单元，T = 1：x_1 = 1，h0 = 0，W_xh = 1，b_h = 0，W_hy = 1，b_y = 0。h_1 = tanh(1) = 0.7616，"
                  "y_1 = 1·0.7616 + 0 = 0.7616。如果用 h_{t-1} = h0 输出，得到 y_1 = 1·0 + 0 = 0。"),
    ),
    # ------------------------------------------------------------------ any part
    "float32_precision": HintLevels(
        where=t("Wherever an array is created or converted: dtype=np.float32, .astype(np.float32), np.float32(...), "
                "or a float32 array taken from elsewhere. The inputs arrive as float64; keep every intermediate "
                "(states, the carried gradient, sums, norms) and every output float64.",
                "所有创建或转换数组的地方：dtype=np.float32、.astype(np.float32)、np.float32(...)，或从别处拿来的 "
                "float32 数组。输入都是 float64；请让所有中间量（状态、回传的梯度、累加和、范数）和所有输出都保持 "
                "float64。"),
        example=t("One unit, T = 1: x_1 = 0.1, h0 = 0, W_xh = 1, b_h = 0. In float64, h_1 = tanh(0.1) = "
                  "0.09966799462495582. In float32 it is stored as 0.09966799616813660: the digits differ from the "
                  "8th significant one on, a relative error of about 1.5e-8, while this exercise's relative "
                  "tolerance is 1e-9.",
                  "一个单元，T = 1：x_1 = 0.1，h0 = 0，W_xh = 1，b_h = 0。用 float64 时 h_1 = tanh(0.1) = "
                  "0.09966799462495582；用 float32 存下来的是 0.09966799616813660：从第 8 位有效数字起就不同了，相对误"
                  "差约 "
                  "1.5e-8，而本练习的相对容差是 1e-9。"),
    ),
    "mutates_inputs": HintLevels(
        where=t("Any line that writes into an array you were given: an in-place operator on it (g *= coef, "
                "h0 += ...), an assignment into it (x[...] = ..., grads[k][...] = ...), or a name that still points "
                "to an input when you change it. Build new arrays (g * coef) or change a .copy().",
                "所有写入传入数组的代码行：对它的原地运算（g *= coef、h0 += ...）、对它的赋值（x[...] = ...、"
                "grads[k][...] = ...），或在修改时仍指向输入的变量名。请生成新数组（g * coef）或修改 .copy()。"),
        example=t("One 1x1 gradient, grads = {\"W\": [[3.0]]}, max_norm = 1. After clipped, total = "
                  "clip_grad_norm(grads, max_norm), clipped[\"W\"] = [[1.0]] (3 / (3 + 1e-6) = 0.99999967) and total "
                  "= 3, while the caller's grads[\"W\"] must still be [[3.0]]. With g *= coef inside the function, "
                  "grads[\"W\"] has become [[1.0]] too: the caller lost the gradient it passed in.",
                  "一个 1x1 梯度，grads = {\"W\": [[3.0]]}，max_norm = 1。执行 clipped, total = "
                  "clip_grad_norm(grads, max_norm) 之后，clipped[\"W\"] = [[1.0]]（3 / (3 + 1e-6) = 0.99999967），"
                  "total = 3，而调用者的 grads[\"W\"] 必须仍是 [[3.0]]。如果函数里写了 g *= coef，grads[\"W\"] 也变成了"
                  " "
                  "[[1.0]]：调用者传入的梯度丢失了。"),
    ),
}
