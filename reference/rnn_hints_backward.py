"""Levels 2 and 3 of the hints of exercise `rnn`'s backward (BPTT) mistakes (grader.hints): where the mistake
sits in the loop over time, and a worked micro-example on a 1x1 case. Level 1 is each mistake's `hint`
(reference.rnn_mutants). The examples choose h_t = 0 where the tanh derivative is not the point (then
1 - h_t^2 = 1), so every step is a product a student can do in the head; rnn_backward receives h, so the
states are inputs here, as they are in the exercise.

Made-up inputs only, no code of the reference; every number is checked (tests/exercise/test_hint_levels.py).
"""

from __future__ import annotations

from grader.hints import HintLevels
from reference.rnn_variant import t

# The 1x1 case most examples start from: dy_1 = 1, W_hy = 2, h_1 = 0.5, so dh_1 = 2 and da_1 = 1.5.
_BASE_EN = "dy_1 = 1, W_hy = 2, h_1 = 0.5, so dh_1 = W_hy dy_1 = 2 and da_1 = dh_1 (1 - h_1^2) = 2·0.75 = 1.5"
_BASE_ZH = "dy_1 = 1，W_hy = 2，h_1 = 0.5，所以 dh_1 = W_hy dy_1 = 2，da_1 = dh_1 (1 - h_1^2) = 2·0.75 = 1.5"

BACKWARD_HINT_LEVELS: dict[str, HintLevels] = {
    "backward.missing_tanh_derivative": HintLevels(
        where=t("In rnn_backward, inside the loop over t (from the last step back): right after dh_t is formed "
                "(W_hy^T dy_t plus what comes back from step t+1), multiply it elementwise by (1 - h_t^2) to get "
                "da_t; then use da_t, not dh_t, in dW_xh, dW_hh, db_h, dx_t and in the gradient sent back to "
                "h_{t-1}.",
                "在 rnn_backward 中对 t 的循环里（从最后一步往回）：算出 dh_t（W_hy^T dy_t 加上从第 t+1 步传回的量）"
                "之后，立刻逐元素乘以 (1 - h_t^2) 得到 da_t；之后在 dW_xh、dW_hh、db_h、dx_t 以及传回 h_{t-1} 的梯度"
                "中都使用 da_t，而不是 dh_t。"),
        example=t(f"One unit, T = 1, x_1 = 1: {_BASE_EN}. Then db_h = da_1 = 1.5 and dW_xh = da_1 x_1 = 1.5. "
                  "Without the derivative, da_1 = dh_1 = 2, so db_h = dW_xh = 2.",
                  f"一个单元，T = 1，x_1 = 1：{_BASE_ZH}。于是 db_h = da_1 = 1.5，dW_xh = da_1 x_1 = 1.5。缺少导数时 "
                  "da_1 = dh_1 = 2，于是 db_h = dW_xh = 2。"),
    ),
    "backward.tanh_derivative_wrong_value": HintLevels(
        where=t("In rnn_backward, the line of the time loop that forms da_t = dh_t * (1 - h_t^2): square h[t], the "
                "state this step produced (it is in the h you were given). Do not apply tanh to it again, and do "
                "not use h_{t-1}.",
                "在 rnn_backward 时间循环中计算 da_t = dh_t * (1 - h_t^2) 的那一行：平方的应是 h[t]，即本步产生的状态"
                "（就在传入的 h 中）。不要再对它取一次 tanh，也不要用 h_{t-1}。"),
        example=t(f"One unit, T = 1, h0 = 0: {_BASE_EN}. With 1 - tanh(h_1)^2 = 1 - tanh(0.5)^2 = 1 - 0.4621^2 = "
                  "0.7864 you get da_1 = 1.5729 instead; with 1 - h0^2 = 1 you get da_1 = 2. db_h shows the same "
                  "numbers.",
                  f"一个单元，T = 1，h0 = 0：{_BASE_ZH}。若用 1 - tanh(h_1)^2 = 1 - tanh(0.5)^2 = 1 - 0.4621^2 = "
                  "0.7864，得到的是 da_1 = 1.5729；若用 1 - h0^2 = 1，得到的是 da_1 = 2。db_h 中也是这些数。"),
    ),
    "backward.no_dh_next": HintLevels(
        where=t("In rnn_backward, the loop over t from T down to 1: at each step dh_t = W_hy^T dy_t + (what step "
                "t+1 sent back), and at the end of the step W_hh^T da_t is sent back for step t-1 (it is zero "
                "before the loop starts). Check both lines: the carried term is added, and it is updated at every "
                "step.",
                "在 rnn_backward 中 t 从 T 递减到 1 的循环里：每一步 dh_t = W_hy^T dy_t +（第 t+1 步传回的量），并在这"
                "一步的末尾把 W_hh^T da_t 传回给第 t-1 步（循环开始前它为零）。请检查这两行：传回的项被加上了，并且每"
                "一步都更新。"),
        example=t("One unit, T = 2, x = (0, 0), h0 = 0 and h = (0, 0), so 1 - h_t^2 = 1: dy = (0, 1), W_hy = 1, "
                  "W_hh = 0.5. Step 2: dh_2 = 1, da_2 = 1, and W_hh da_2 = 0.5 goes back. Step 1: dh_1 = 0 + 0.5 = "
                  "0.5, da_1 = 0.5. So db_h = da_1 + da_2 = 1.5 and dL/dh0 = W_hh da_1 = 0.25. Without the carried "
                  "term dh_1 = 0: db_h = 1 and dL/dh0 = 0.",
                  "一个单元，T = 2，x = (0, 0)，h0 = 0，h = (0, 0)，所以 1 - h_t^2 = 1：dy = (0, 1)，W_hy = 1，"
                  "W_hh = 0.5。第 2 步：dh_2 = 1，da_2 = 1，传回 W_hh da_2 = 0.5。第 1 步：dh_1 = 0 + 0.5 = 0.5，"
                  "da_1 = 0.5。所以 db_h = da_1 + da_2 = 1.5，dL/dh0 = W_hh da_1 = 0.25。没有传回的项时 dh_1 = 0："
                  "db_h = 1，dL/dh0 = 0。"),
    ),
    "backward.w_hh_transposed_in_carry": HintLevels(
        where=t("In rnn_backward, the last line of each step of the time loop: the gradient sent back to h_{t-1} "
                "is W_hh^T da_t, which in row form is da_t times W_hh, with no transpose (the forward pass had "
                "h_{t-1} times W_hh^T; going back undoes that transpose). The same product after the first step is "
                "dL/dh0.",
                "在 rnn_backward 时间循环每一步的最后一行：传回 h_{t-1} 的梯度是 W_hh^T da_t，行形式写作 da_t 乘以 "
                "W_hh，不转置（前向是 h_{t-1} 乘以 W_hh^T；反向时这个转置被抵消）。第一步之后的同一个乘积"
                "就是 dL/dh0。"),
        example=t("On a 1x1 case W_hh^T = W_hh, so this mistake cannot show there. With H = 2: W_hh = [[1, 2], "
                  "[3, 4]], da_t = [1, 0]. W_hh^T da_t is the first row of W_hh: [1, 2]. The row [1, 0] times W_hh^T "
                  "gives its first column, [1, 3]: the second unit of h_{t-1} receives 3 instead of 2.",
                  "在 1x1 的情形下 W_hh^T = W_hh，这个错误显现不出来。取 H = 2：W_hh = [[1, 2], [3, 4]]，da_t = "
                  "[1, 0]。W_hh^T da_t 是 W_hh 的第一行：[1, 2]。行向量 [1, 0] 乘以 W_hh^T 得到的是它的第一列 [1, 3]："
                  "h_{t-1} 的第二个单元收到的是 3 而不是 2。"),
    ),
    "backward.dw_hh_uses_h_t": HintLevels(
        where=t("In rnn_backward, the dW_hh line of the time loop: step t adds da_t times the state that went INTO "
                "the step, h_{t-1} (row form: da_t^T h_{t-1}), which is the previous entry of h for later steps and "
                "h0 at the first step.",
                "在 rnn_backward 时间循环中 dW_hh 的那一行：第 t 步加上的是 da_t 乘以进入这一步的状态 h_{t-1}（行形式："
                "da_t^T h_{t-1}）；后面的步骤用 h 中的前一项，第一步用 h0。"),
        example=t(f"One unit, T = 1, h0 = 0.2: {_BASE_EN}. dW_hh = da_1·h0 = 1.5·0.2 = 0.3. With h_1 in place of "
                  "h0: 1.5·0.5 = 0.75.",
                  f"一个单元，T = 1，h0 = 0.2：{_BASE_ZH}。dW_hh = da_1·h0 = 1.5·0.2 = 0.3。若用 h_1 代替 h0："
                  "1.5·0.5 = 0.75。"),
    ),
    "backward.weight_gradient_transposed": HintLevels(
        where=t("In rnn_backward, the three weight-gradient lines: each sum has its weight's shape, rows from the "
                "gradient side and columns from the input side: dW_xh += da_t^T x_t (H, I), dW_hh += da_t^T h_{t-1} "
                "(H, H), dW_hy += dy_t^T h_t (O, H). Swapping the two factors gives the transpose.",
                "在 rnn_backward 中计算三个权重梯度的那几行：每个累加和的形状与对应权重相同，行来自梯度一侧，列来自输入"
                "一侧："
                "dW_xh += da_t^T x_t (H, I)，dW_hh += da_t^T h_{t-1} (H, H)，dW_hy += dy_t^T h_t (O, H)。两个因子"
                "交换位置就得到转置。"),
        example=t("On a 1x1 case a transpose changes nothing. With H = 2 and one sample: da_t = [1, 2], h_{t-1} = "
                  "[3, 4]. da_t^T h_{t-1} = [[1·3, 1·4], [2·3, 2·4]] = [[3, 4], [6, 8]]: row i belongs to unit i of "
                  "h_t. h_{t-1}^T da_t = [[3, 6], [4, 8]] is its transpose. With I = 1, dW_xh = da_t^T x_t has "
                  "shape (2, 1), while x_t^T da_t has shape (1, 2).",
                  "在 1x1 的情形下转置不改变任何东西。取 H = 2、一个样本：da_t = [1, 2]，h_{t-1} = [3, 4]。"
                  "da_t^T h_{t-1} = [[1·3, 1·4], [2·3, 2·4]] = [[3, 4], [6, 8]]：第 i 行属于 h_t 的第 i 个单元。"
                  "h_{t-1}^T da_t = [[3, 6], [4, 8]] 是它的转置。I = 1 时，dW_xh = da_t^T x_t 的形状是 (2, 1)，"
                  "而 x_t^T da_t 的形状是 (1, 2)。"),
    ),
    "backward.bias_wrong_axis": HintLevels(
        where=t("In rnn_backward, the db_h and db_y lines of the time loop: da_t and dy_t have one row per sample, "
                "(B, H) and (B, O). Sum over the rows, axis 0, and add the result, of shape (H,) or (O,), at every "
                "step.",
                "在 rnn_backward 时间循环中 db_h 和 db_y 的那两行：da_t 和 dy_t 每个样本占一行，形状为 (B, H) 和 "
                "(B, O)。请对行求和（axis 0），每一步把形状为 (H,) 或 (O,) 的结果加上去。"),
        example=t("A 1x1 case cannot show it (one row, one column). Take B = 2 samples and one unit: da_t = [[1], "
                  "[2]]. db_h adds the sum over the two samples, 1 + 2 = 3: one number for the one unit, shape (1,). "
                  "Summing over axis 1 gives [1, 2], one number per sample, shape (2,); adding da_t itself keeps "
                  "shape (2, 1).",
                  "1x1 的情形显现不出来（只有一行一列）。取 B = 2 个样本、一个单元：da_t = [[1], [2]]。db_h 加上的是两"
                  "个"
                  "样本之和 1 + 2 = 3：这一个单元对应一个数，形状 (1,)。沿 axis 1 求和得到 [1, 2]，每个样本一个数，形状"
                  " "
                  "(2,)；直接加上 da_t 则保持形状 (2, 1)。"),
    ),
    "backward.dh0_missing": HintLevels(
        where=t("In rnn_backward, after the time loop: the gradient sent back from the first step (the W_hh^T da_t "
                "that the loop sends to h_{t-1}, at t = 1) is dL/dh0. Return it under the key \"h0\", with h0's "
                "shape (B, H).",
                "在 rnn_backward 的时间循环之后：第一步传回的梯度（循环在 t = 1 时传给 h_{t-1} 的 W_hh^T da_t）就是 "
                "dL/dh0。请以键 \"h0\" 返回它，形状与 h0 相同，为 (B, H)。"),
        example=t(f"One unit, T = 1, W_hh = 1, h0 = 0: {_BASE_EN}. dL/dh0 = W_hh da_1 = 1.5, although h0 = 0. "
                  "Returning zeros (or nothing) for \"h0\" loses this 1.5.",
                  f"一个单元，T = 1，W_hh = 1，h0 = 0：{_BASE_ZH}。dL/dh0 = W_hh da_1 = 1.5，尽管 h0 = 0。为 \"h0\" "
                  "返回零（或什么都不返回）就丢掉了这个 1.5。"),
    ),
    "backward.dh0_off_by_one": HintLevels(
        where=t("In rnn_backward, what is returned as \"h0\" after the loop: not the dh of the first step (that is "
                "dL/dh_1) but that dh taken one step further back, through the tanh derivative and W_hh: dL/dh0 = "
                "W_hh^T (dh_1 * (1 - h_1^2)).",
                "在 rnn_backward 中循环结束后作为 \"h0\" 返回的量：不是第一步的 dh（那是 dL/dh_1），而是把它再往回传一"
                "步，经过 tanh 的导数和 W_hh：dL/dh0 = W_hh^T (dh_1 * (1 - h_1^2))。"),
        example=t(f"One unit, T = 1, W_hh = 0.5: {_BASE_EN}. dL/dh0 = W_hh da_1 = 0.5·1.5 = 0.75. Returning dh_1 "
                  "gives 2.",
                  f"一个单元，T = 1，W_hh = 0.5：{_BASE_ZH}。dL/dh0 = W_hh da_1 = 0.5·1.5 = 0.75。返回 dh_1 得到的是 2"
                  f"。"),
    ),
    "backward.only_last_dy": HintLevels(
        where=t("In rnn_backward, the line that forms dh_t inside the time loop: W_hy^T dy_t is added at every step "
                "t, not only at t = T, on top of what comes back from step t+1.",
                "在 rnn_backward 时间循环中计算 dh_t 的那一行：每一步 t 都要加上 W_hy^T dy_t（不仅是 t = T），再加上从"
                "第 t+1 步传回的量。"),
        example=t("One unit, T = 2, x = (0, 0), h0 = 0 and h = (0, 0), so 1 - h_t^2 = 1: dy = (1, 1), W_hy = 1, "
                  "W_hh = 0.5. Step 2: dh_2 = 1, da_2 = 1. Step 1: dh_1 = dy_1 + W_hh da_2 = 1 + 0.5 = 1.5, da_1 = "
                  "1.5. db_h = 1 + 1.5 = 2.5. Without dy_1: dh_1 = 0.5 and db_h = 1.5.",
                  "一个单元，T = 2，x = (0, 0)，h0 = 0，h = (0, 0)，所以 1 - h_t^2 = 1：dy = (1, 1)，W_hy = 1，"
                  "W_hh = 0.5。第 2 步：dh_2 = 1，da_2 = 1。第 1 步：dh_1 = dy_1 + W_hh da_2 = 1 + 0.5 = 1.5，"
                  "da_1 = 1.5。db_h = 1 + 1.5 = 2.5。漏掉 dy_1 时：dh_1 = 0.5，db_h = 1.5。"),
    ),
    "backward.truncated_bptt": HintLevels(
        where=t("In rnn_backward, the time loop: every step from T down to 1 adds its own W_hy^T dy_t and the whole "
                "carried gradient W_hh^T da_{t+1}; no window, no inner loop that stops after k steps, no reset of "
                "the carried gradient. After step 1 the carried gradient is dL/dh0.",
                "在 rnn_backward 的时间循环中：从 T 到 1 的每一步都加上自己的 W_hy^T dy_t 和完整的回传梯度 "
                "W_hh^T da_{t+1}；没有窗口，没有回传 k 步就停止的内层循环，也不把回传的梯度清零。第 1 步之后回传的梯度"
                "就是 dL/dh0。"),
        example=t("One unit, T = 3, x = (0, 0, 0), h0 = 0 and h = (0, 0, 0), so 1 - h_t^2 = 1: dy = (0, 0, 1), "
                  "W_hy = 1, W_hh = 0.5. Exactly: da_3 = 1, da_2 = 0.5, da_1 = 0.25, so db_h = 1.75 and dL/dh0 = "
                  "W_hh da_1 = 0.125. Truncated at k = 1 step back, the gradient of y_3 reaches only steps 3 and 2: "
                  "db_h = 1.5, and da_1 = 0, so dx_1 = 0 and dL/dh0 = 0.",
                  "一个单元，T = 3，x = (0, 0, 0)，h0 = 0，h = (0, 0, 0)，所以 1 - h_t^2 = 1：dy = (0, 0, 1)，"
                  "W_hy = 1，W_hh = 0.5。精确计算：da_3 = 1，da_2 = 0.5，da_1 = 0.25，所以 db_h = 1.75，dL/dh0 = "
                  "W_hh da_1 = 0.125。若只回传 k = 1 步，y_3 的梯度只到达第 3 步和第 2 步：db_h = 1.5，而 da_1 = 0，"
                  "所以 dx_1 = 0，dL/dh0 = 0。"),
    ),
    "backward.h0_assumed_zero": HintLevels(
        where=t("In rnn_backward, the first step of the loop (t = 1, Python index 0): its h_{t-1} is h0 itself, "
                "whatever its value, so dW_hh gets da_1^T h0 there. After the loop, dL/dh0 = W_hh^T da_1 is "
                "computed, not set to zero.",
                "在 rnn_backward 循环的第一步（t = 1，Python 下标 0）：它的 h_{t-1} 就是 h0 本身，无论其取值，所以 "
                "dW_hh 在这一步要加上 da_1^T h0。循环之后 dL/dh0 = W_hh^T da_1 要算出来，而不是设为零。"),
        example=t("One unit, T = 1: dy_1 = 1, W_hy = 1, h_1 = 0 (so da_1 = 1), h0 = 0.5, W_hh = 0.5. dW_hh = "
                  "da_1·h0 = 0.5 and dL/dh0 = W_hh da_1 = 0.5. Treating h0 as 0 gives dW_hh = 0 (and dL/dh0 = 0 "
                  "if it is zeroed as well).",
                  "一个单元，T = 1：dy_1 = 1，W_hy = 1，h_1 = 0（所以 da_1 = 1），h0 = 0.5，W_hh = 0.5。dW_hh = "
                  "da_1·h0 = 0.5，dL/dh0 = W_hh da_1 = 0.5。把 h0 当作 0 得到 dW_hh = 0（若 dL/dh0 也被置零，则它也"
                  "为 0）。"),
    ),
    "backward.first_step_uses_h_T": HintLevels(
        where=t("In rnn_backward, where the loop picks h_{t-1}: at the first step (Python index t = 0), h[t - 1] is "
                "h[-1], the LAST state h_T, because negative indices count from the end. Take h0 when t = 0, and "
                "h[t - 1] only for t >= 1.",
                "在 rnn_backward 循环中选取 h_{t-1} 的地方：第一步（Python 下标 t = 0）时 h[t - 1] 是 h[-1]，即最后一个"
                "状态 h_T，因为负下标从末尾数起。t = 0 时请用 h0，只有 t >= 1 时才用 h[t - 1]。"),
        example=t("One unit, T = 2: dy = (1, 0), W_hy = 1, h0 = 0.2, h = (0, 0.6). Step 2 has dy_2 = 0 and nothing "
                  "to carry, so da_2 = 0; step 1: dh_1 = 1 and da_1 = 1·(1 - 0^2) = 1. dW_hh = da_1·h0 + da_2·h_1 = "
                  "0.2. With h[-1] = h_2 at the first step: dW_hh = 1·0.6 = 0.6.",
                  "一个单元，T = 2：dy = (1, 0)，W_hy = 1，h0 = 0.2，h = (0, 0.6)。第 2 步 dy_2 = 0 且没有要传回的量，"
                  "所以 da_2 = 0；第 1 步：dh_1 = 1，da_1 = 1·(1 - 0^2) = 1。dW_hh = da_1·h0 + da_2·h_1 = 0.2。"
                  "若第一步用了 h[-1] = h_2：dW_hh = 1·0.6 = 0.6。"),
    ),
}
