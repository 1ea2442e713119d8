"""Levels 2 and 3 of the hints of exercise `rnn_gradients`'s mistakes in rnn_states, grad_norms and
jacobian_bound (grader.hints): where the mistake sits (the formula or the step of the loop), and a worked
micro-example with numbers a student can check by hand. Level 1 is each mistake's `hint`
(reference.gradients_mutants).

The examples take one unit wherever the mistake shows there. A transposition, the order of two factors that
commute for scalars, or a matrix norm (every norm of a 1x1 matrix is |J|) cannot show on a 1x1 case: those
examples say so and use the smallest case that shows them (H = 2, with matrices whose norms are read off by
hand). Made-up inputs only (never a hidden case), no code of the reference; every number is what the base
solution and the mistake's own mutant compute (tests/exercise/test_hint_levels.py).
"""

from __future__ import annotations

from grader.hints import HintLevels
from grader.result import Text

# One unit, T = 2, g = 1, W_hh = 2, h = (0.5, 0.5): dL/dh_1 = 1.5, dL/dh0 = 2.25 (grad_norms' examples).
_NORMS_EN = ("One unit, T = 2: g = dL/dh_2 = 1, W_hh = 2, h = (0.5, 0.5), so 1 - h_t^2 = 0.75 at both steps. "
             "dL/dh_1 = 2·(1·0.75) = 1.5 and dL/dh0 = 2·(1.5·0.75) = 2.25, so norms = (2.25, 1.5, 1)")
_NORMS_ZH = ("一个单元，T = 2：g = dL/dh_2 = 1，W_hh = 2，h = (0.5, 0.5)，所以两步的 1 - h_t^2 都是 0.75。"
             "dL/dh_1 = 2·(1·0.75) = 1.5，dL/dh0 = 2·(1.5·0.75) = 2.25，所以 norms = (2.25, 1.5, 1)")
# One unit, T = 2, W_hh = 2, h = (0.5, 0.9): Jacobian norms 1.5 and 0.38 (jacobian_bound's examples).
_BOUND_EN = ("One unit, T = 2: W_hh = 2, h = (0.5, 0.9). J_1 = (1 - 0.25)·2 = 1.5 and J_2 = (1 - 0.81)·2 = 0.38, "
             "so jacobian_norms = (1.5, 0.38)")
_BOUND_ZH = ("一个单元，T = 2：W_hh = 2，h = (0.5, 0.9)。J_1 = (1 - 0.25)·2 = 1.5，J_2 = (1 - 0.81)·2 = 0.38，"
             "所以 jacobian_norms = (1.5, 0.38)")

NORMS_HINT_LEVELS: dict[str, HintLevels] = {
    # ------------------------------------------------------------------ states
    "states.no_recurrence": HintLevels(
        where=Text(en="In rnn_states, the line of the time loop that computes h_t: inside the tanh go two terms, the "
                      "drive a_t of this step and the recurrent term W_hh h_{t-1} (with the batch as rows: h_{t-1} "
                      "times the transpose of W_hh). h_{t-1} is h0 at the first step and, after that, the state "
                      "computed one step earlier.",
                   zh="在 rnn_states 的时间循环中计算 h_t 的那一行：tanh 里面有两项，本步的输入驱动 a_t 和循环项 "
                      "W_hh h_{t-1}（批次按行存放时：h_{t-1} 乘以 W_hh 的转置）。第一步的 h_{t-1} 是 h0，之后是上一步"
                      "算出的状态。"),
        example=Text(en="One unit, T = 2: a = (0, 0), h0 = 0.5, W_hh = 1. h_1 = tanh(0 + 1·0.5) = tanh(0.5) = 0.4621 "
                        "and h_2 = tanh(0 + 1·0.4621) = 0.4318: the state carries h0 forward. Without the recurrent "
                        "term h_1 = h_2 = tanh(0) = 0, and no gradient could travel from h_2 back to h0.",
                     zh="一个单元，T = 2：a = (0, 0)，h0 = 0.5，W_hh = 1。h_1 = tanh(0 + 1·0.5) = tanh(0.5) = 0.4621，"
                        "h_2 = tanh(0 + 1·0.4621) = 0.4318：状态把 h0 的信息带向后面。缺少循环项时 h_1 = h_2 = "
                        "tanh(0) = 0，梯度也就无从由 h_2 传回 h0。"),
    ),
    "states.w_hh_not_transposed": HintLevels(
        where=Text(en="In rnn_states, the recurrent term of the line that computes h_t. Unit i of the new state "
                      "receives sum_j W_ij h_{t-1,j}: row i of W_hh against the previous state. With the batch as "
                      "rows that is the row h_{t-1} times the transpose of W_hh; without the transpose unit i "
                      "receives column i instead.",
                   zh="在 rnn_states 中计算 h_t 那一行的循环项。新状态的第 i 个单元得到 sum_j W_ij h_{t-1,j}：W_hh 的"
                      "第 i 行与前一状态相乘。批次按行存放时，这就是行向量 h_{t-1} 乘以 W_hh 的转置；不转置时，第 i 个"
                      "单元得到的是第 i 列。"),
        example=Text(en="On a 1x1 case W_hh^T = W_hh, so this mistake cannot show there (a single-unit check "
                        "passes). With H = 2 units, T = 1: a_1 = [0, 0], h0 = [1, 0], W_hh = [[1, 2], [3, 4]]. "
                        "W_hh h0 is the first column of W_hh, [1, 3], so h_1 = [tanh(1), tanh(3)] = [0.7616, "
                        "0.9951]. The row [1, 0] times W_hh without the transpose is its first row, [1, 2]: h_1 = "
                        "[0.7616, 0.9640].",
                     zh="在 1x1 的情形下 W_hh^T = W_hh，这个错误显现不出来（单个单元的检查会通过）。取 H = 2 个单元，"
                        "T = 1：a_1 = [0, 0]，h0 = [1, 0]，W_hh = [[1, 2], [3, 4]]。W_hh h0 是 W_hh 的第一列 [1, 3]，"
                        "所以 h_1 = [tanh(1), tanh(3)] = [0.7616, 0.9951]。不转置时，行向量 [1, 0] 乘以 W_hh 得到它的"
                        "第一行 [1, 2]：h_1 = [0.7616, 0.9640]。"),
    ),
    "states.h_prev_not_updated": HintLevels(
        where=Text(en="In rnn_states, at the end of each step of the time loop: once h_t is computed and stored, the "
                      "variable that the next step reads as h_{t-1} must become h_t. Yours keeps the value it had "
                      "before the loop, h0.",
                   zh="在 rnn_states 时间循环每一步的末尾：算出并保存 h_t 之后，下一步当作 h_{t-1} 读取的那个变量必须"
                      "变成 h_t。你的代码中它一直保持循环开始前的值 h0。"),
        example=Text(en="One unit, T = 2: a = (1, 0), h0 = 0, W_hh = 0.5. Step 1: h_1 = tanh(1 + 0.5·0) = tanh(1) = "
                        "0.7616. Step 2: h_2 = tanh(0 + 0.5·0.7616) = tanh(0.3808) = 0.3634. Starting step 2 from h0 "
                        "again gives h_2 = tanh(0 + 0.5·0) = 0.",
                     zh="一个单元，T = 2：a = (1, 0)，h0 = 0，W_hh = 0.5。第 1 步：h_1 = tanh(1 + 0.5·0) = tanh(1) = "
                        "0.7616。第 2 步：h_2 = tanh(0 + 0.5·0.7616) = tanh(0.3808) = 0.3634。第 2 步若又从 h0 出发，"
                        "得到的是 h_2 = tanh(0 + 0.5·0) = 0。"),
    ),
    "states.includes_h0": HintLevels(
        where=Text(en="In rnn_states, what you collect and return: step t = 1 .. T adds h_t (row t-1 of the "
                      "result), and h0 is only the state before step 1: it is read, not stored. The result has "
                      "shape (T, B, H): T states, not T + 1.",
                   zh="在 rnn_states 中收集并返回的内容：第 t = 1 .. T 步加入 h_t（结果的第 t-1 行），h0 只是第 1 步之"
                      "前的状态：只读取，不保存。结果的形状是 (T, B, H)：T 个状态，而不是 T + 1 个。"),
        example=Text(en="One unit, T = 2: a = (0, 0), h0 = 0.5, W_hh = 1. h_1 = tanh(0.5) = 0.4621 and h_2 = "
                        "tanh(0.4621) = 0.4318, so h = (0.4621, 0.4318), shape (2, 1, 1). With h0 in front the result "
                        "is (0.5, 0.4621, 0.4318), shape (3, 1, 1): h[0] is 0.5 where 0.4621 belongs, and every later "
                        "row is one step late.",
                     zh="一个单元，T = 2：a = (0, 0)，h0 = 0.5，W_hh = 1。h_1 = tanh(0.5) = 0.4621，h_2 = tanh(0.4621) "
                        "= 0.4318，所以 h = (0.4621, 0.4318)，形状 (2, 1, 1)。前面多了 h0 时结果是 (0.5, 0.4621, "
                        "0.4318)，形状 (3, 1, 1)：h[0] 是 0.5，而那里应是 0.4621，之后的每一行都晚了一步。"),
    ),
    # ------------------------------------------------------------------ norms
    "norms.missing_tanh_derivative": HintLevels(
        where=Text(en="In grad_norms, each step of the loop from t = T down to 1: first multiply dL/dh_t "
                      "elementwise by 1 - h_t^2 (h_t is the state step t produced, h[t-1] in Python), then by W_hh "
                      "(with the batch as rows: times W_hh) to get dL/dh_{t-1}, and store its norm in norms[t-1].",
                   zh="在 grad_norms 中 t 从 T 递减到 1 的循环的每一步：先把 dL/dh_t 逐元素乘以 1 - h_t^2（h_t 是第 t "
                      "步产生的状态，Python 中为 h[t-1]），再乘以 W_hh（批次按行存放时：右乘 W_hh）得到 dL/dh_{t-1}，"
                      "并把它的范数存入 norms[t-1]。"),
        example=Text(en=f"{_NORMS_EN}. Without the derivative each step multiplies by 2 alone: dL/dh_1 = 2 and "
                        "dL/dh0 = 4, so norms = (4, 2, 1): the gradient seems to explode while the tanh damps it.",
                     zh=f"{_NORMS_ZH}。缺少导数时每一步只乘以 2：dL/dh_1 = 2，dL/dh0 = 4，所以 norms = (4, 2, 1)："
                        "tanh 明明在衰减梯度，它看起来却在爆炸。"),
    ),
    "norms.derivative_after_w_hh": HintLevels(
        where=Text(en="In grad_norms, the order inside each step of the loop: the factor 1 - h_t^2 belongs to the "
                      "units of h_t, so it multiplies dL/dh_t before W_hh does. After W_hh the vector is indexed by "
                      "the units of h_{t-1}; multiplying it there gives unit j of h_{t-1} the derivative of unit j of "
                      "h_t.",
                   zh="在 grad_norms 循环每一步中的顺序：因子 1 - h_t^2 属于 h_t 的各个单元，所以要在乘 W_hh 之前乘到 "
                      "dL/dh_t 上。乘过 W_hh 之后，向量的下标对应 h_{t-1} 的单元；在那里再乘，就把 h_t 第 j 个单元的导"
                      "数给了 h_{t-1} 的第 j 个单元。"),
        example=Text(en="On a 1x1 case the two orders give the same product, so this mistake cannot show there. With "
                        "H = 2, T = 1: g = [1, 0], h_1 = [0, 0.5] (so 1 - h_1^2 = [1, 0.75]), W_hh = [[1, 2], [3, 4]]. "
                        "Right: g·(1 - h_1^2) = [1, 0], then times W_hh: dL/dh0 = [1, 2] and norms[0] = sqrt(1 + 4) = "
                        "2.2361. The other order: g times W_hh = [1, 2], then ·[1, 0.75] = [1, 1.5], and norms[0] = "
                        "sqrt(1 + 2.25) = 1.8028.",
                     zh="在 1x1 的情形下两种顺序的乘积相同，这个错误显现不出来。取 H = 2，T = 1：g = [1, 0]，h_1 = "
                        "[0, 0.5]（所以 1 - h_1^2 = [1, 0.75]），W_hh = [[1, 2], [3, 4]]。正确：g·(1 - h_1^2) = [1, 0]"
                        "，再乘 W_hh：dL/dh0 = [1, 2]，norms[0] = sqrt(1 + 4) = 2.2361。顺序反过来：g 乘 W_hh = [1, 2]"
                        "，再 ·[1, 0.75] = [1, 1.5]，norms[0] = sqrt(1 + 2.25) = 1.8028。"),
    ),
    "norms.w_hh_transposed": HintLevels(
        where=Text(en="In grad_norms, the product that takes the gradient from h_t back to h_{t-1}: the forward pass "
                      "multiplied the row h_{t-1} by the transpose of W_hh, so going back the row da_t = dL/dh_t * "
                      "(1 - h_t^2) is multiplied by W_hh itself (column form: W_hh^T da_t).",
                   zh="在 grad_norms 中把梯度从 h_t 传回 h_{t-1} 的那个乘积：前向传播是行向量 h_{t-1} 乘以 W_hh 的转置"
                      "，所以回传时行向量 da_t = dL/dh_t * (1 - h_t^2) 乘的是 W_hh 本身（列形式：W_hh^T da_t）。"),
        example=Text(en="On a 1x1 case W_hh^T = W_hh, so this mistake cannot show there. With H = 2, T = 1: g = "
                        "[1, 0], h_1 = [0, 0] (so da_1 = g), W_hh = [[1, 2], [3, 4]]. dL/dh0 = W_hh^T da_1 is the "
                        "first row of W_hh, [1, 2], and norms[0] = sqrt(1 + 4) = 2.2361. With the transpose it is the "
                        "first column, [1, 3], and norms[0] = sqrt(1 + 9) = 3.1623.",
                     zh="在 1x1 的情形下 W_hh^T = W_hh，这个错误显现不出来。取 H = 2，T = 1：g = [1, 0]，h_1 = [0, 0]"
                        "（所以 da_1 = g），W_hh = [[1, 2], [3, 4]]。dL/dh0 = W_hh^T da_1 是 W_hh 的第一行 [1, 2]，"
                        "norms[0] = sqrt(1 + 4) = 2.2361。多了转置时得到的是第一列 [1, 3]，norms[0] = sqrt(1 + 9) = "
                        "3.1623。"),
    ),
    "norms.squared": HintLevels(
        where=Text(en="In grad_norms, the two places that store a norm, norms[T] before the loop and norms[t-1] "
                      "inside it: for each batch row, the square root of the sum of the squared entries over the H "
                      "units.",
                   zh="在 grad_norms 中存放范数的两处：循环之前的 norms[T] 和循环中的 norms[t-1]：对每个批次行，取 H "
                      "个单元上各元素平方和的平方根。"),
        example=Text(en="One unit, T = 1: g = 2, h_1 = 0.5, W_hh = 2. norms[1] = ||g|| = 2 and dL/dh0 = 2·(2·0.75) "
                        "= 3, so norms = (3, 2). Without the square root: (9, 4). On a log scale every slope doubles: "
                        "a gradient that halves at each step seems to shrink four times.",
                     zh="一个单元，T = 1：g = 2，h_1 = 0.5，W_hh = 2。norms[1] = ||g|| = 2，dL/dh0 = 2·(2·0.75) = 3，"
                        "所以 norms = (3, 2)。不开平方时得到 (9, 4)。在对数坐标下每个斜率都加倍：每步减半的梯度看起来"
                        "每步缩小为四分之一。"),
    ),
    "norms.indexed_by_distance": HintLevels(
        where=Text(en="In grad_norms, where each norm is stored and what is returned: the loop walks from t = T back "
                      "to 0, and the norm of dL/dh_t goes to index t, so norms[T] = ||g|| is written first and "
                      "norms[0] last. Return the array as it is, not reversed.",
                   zh="在 grad_norms 中每个范数存放的位置以及返回的内容：循环从 t = T 往回走到 0，dL/dh_t 的范数放在下"
                      "标 t 处，所以先写入的是 norms[T] = ||g||，最后写入 norms[0]。请原样返回数组，不要反转。"),
        example=Text(en=f"{_NORMS_EN} for t = 0, 1, 2: norms[0] = 2.25 is at h0, the farthest from the loss, and "
                        "norms[2] = ||g|| = 1. Reversed it reads (1, 1.5, 2.25).",
                     zh=f"{_NORMS_ZH}，对应 t = 0, 1, 2：norms[0] = 2.25 在 h0 处，离损失最远；norms[2] = ||g|| = 1。"
                        "反转后就成了 (1, 1.5, 2.25)。"),
    ),
    # ------------------------------------------------------------------ bound
    "bound.frobenius_norm": HintLevels(
        where=Text(en="In jacobian_bound, the line that takes the norm of each step's Jacobian J_t = diag(1 - h_t^2) "
                      "W_hh, for every step and batch row: the spectral norm, the largest singular value of J_t "
                      "(the matrix norm of order 2), not the square root of the sum of all its squared entries.",
                   zh="在 jacobian_bound 中对每一步、每个批次行求雅可比矩阵 J_t = diag(1 - h_t^2) W_hh 范数的那一行："
                      "要的是谱范数，即 J_t 的最大奇异值（2 阶矩阵范数），而不是所有元素平方和的平方根。"),
        example=Text(en="On a 1x1 case every matrix norm is |J|, so this mistake cannot show there. With H = 2, T = 1: "
                        "h_1 = [0, 0], so J_1 = W_hh = [[3, 0], [0, 4]]. Its largest singular value is 4 (it stretches "
                        "[0, 1] four times and nothing more), so jacobian_norms = 4 and bound = (4, 1). The Frobenius "
                        "norm is sqrt(9 + 16) = 5, a looser bound: (5, 1).",
                     zh="在 1x1 的情形下所有矩阵范数都等于 |J|，这个错误显现不出来。取 H = 2，T = 1：h_1 = [0, 0]，所以"
                        " J_1 = W_hh = [[3, 0], [0, 4]]。它的最大奇异值是 4（它把 [0, 1] 拉长 4 倍，没有更大的），所以 "
                        "jacobian_norms = 4，bound = (4, 1)。Frobenius 范数是 sqrt(9 + 16) = 5，上界更松：(5, 1)。"),
    ),
    "bound.spectral_radius": HintLevels(
        where=Text(en="In jacobian_bound, the norm of each step's Jacobian J_t: the largest singular value (the square "
                      "root of the largest eigenvalue of J_t^T J_t), which bounds ||J_t v|| / ||v|| for every v. The "
                      "largest |eigenvalue| does not, unless J_t is symmetric.",
                   zh="在 jacobian_bound 中每一步雅可比矩阵 J_t 的范数：要的是最大奇异值（J_t^T J_t 最大特征值的平方"
                      "根），它对所有 v 界定 ||J_t v|| / ||v||。最大的 |特征值| 做不到这一点，除非 J_t 是对称矩阵。"),
        example=Text(en="On a 1x1 case both are |J|, so this mistake cannot show there. With H = 2, T = 1: h_1 = "
                        "[0, 0], so J_1 = W_hh = [[0, 2], [0, 0]]. Both eigenvalues are 0, so the spectral radius is "
                        "0; yet J_1 maps [0, 1] to [2, 0], twice as long: J_1^T J_1 = [[0, 0], [0, 4]] and the "
                        "spectral norm is sqrt(4) = 2. So jacobian_norms = 2 and bound[0] = 2; the spectral radius "
                        "gives 0, a 'bound' that claims no gradient reaches h0.",
                     zh="在 1x1 的情形下两者都等于 |J|，这个错误显现不出来。取 H = 2，T = 1：h_1 = [0, 0]，所以 J_1 = "
                        "W_hh = [[0, 2], [0, 0]]。两个特征值都是 0，谱半径为 0；可是 J_1 把 [0, 1] 映射为 [2, 0]，长度"
                        "变为两倍：J_1^T J_1 = [[0, 0], [0, 4]]，谱范数是 sqrt(4) = 2。所以 jacobian_norms = 2，bound[0"
                        "] = 2；用谱半径得到 0，这个“上界”声称没有梯度能到达 h0。"),
    ),
    "bound.missing_tanh_derivative": HintLevels(
        where=Text(en="In jacobian_bound, where each step's Jacobian is formed, per step t and batch row: J_t = "
                      "diag(1 - h_t^2) W_hh, row i of W_hh times 1 - h_{t,i}^2, with h_t the state step t produced "
                      "(h[t-1] in Python). Take the norm of that J_t, not of W_hh.",
                   zh="在 jacobian_bound 中对每一步 t、每个批次行构造雅可比矩阵的地方：J_t = diag(1 - h_t^2) W_hh，即 "
                      "W_hh 的第 i 行乘以 1 - h_{t,i}^2，h_t 是第 t 步产生的状态（Python 中为 h[t-1]）。取这个 J_t 的"
                      "范数，而不是 W_hh 的范数。"),
        example=Text(en=f"{_BOUND_EN} and bound = (1.5·0.38, 0.38, 1) = (0.57, 0.38, 1). Without the derivative "
                        "every step is 2: jacobian_norms = (2, 2) and bound = (4, 2, 1), a bound that grows while the "
                        "saturated unit of step 2 makes the gradient shrink.",
                     zh=f"{_BOUND_ZH}，bound = (1.5·0.38, 0.38, 1) = (0.57, 0.38, 1)。缺少导数时每一步都是 2："
                        "jacobian_norms = (2, 2)，bound = (4, 2, 1)：第 2 步的饱和单元让梯度变小，上界却在增长。"),
    ),
    "bound.derivative_on_columns": HintLevels(
        where=Text(en="In jacobian_bound, where J_t is formed: entry (i, j) is (1 - h_{t,i}^2) W_ij, the derivative "
                      "of unit i of h_t, the output side, so the factor scales row i of W_hh. Scaling column j "
                      "instead attaches it to unit j of h_{t-1}, the input side.",
                   zh="在 jacobian_bound 中构造 J_t 的地方：第 (i, j) 个元素是 (1 - h_{t,i}^2) W_ij，即输出一侧 h_t 第 "
                      "i 个单元的导数，所以这个因子缩放的是 W_hh 的第 i 行。缩放第 j 列则把它错配给了输入一侧 h_{t-1} "
                      "的第 j 个单元。"),
        example=Text(en="On a 1x1 case row and column are the same entry, so this mistake cannot show there. With "
                        "H = 2, T = 1: h_1 = [0, 0.5] (so 1 - h_1^2 = [1, 0.75]) and W_hh = [[0, 4], [0, 0]]. Its only "
                        "entry, 4, is in row 1, whose unit has h = 0: J_1 = [[0, 4], [0, 0]], norm 4, and bound = "
                        "(4, 1). Scaling the columns multiplies it by unit 2's factor 0.75: norm 3, bound (3, 1).",
                     zh="在 1x1 的情形下行和列是同一个元素，这个错误显现不出来。取 H = 2，T = 1：h_1 = [0, 0.5]（所以 "
                        "1 - h_1^2 = [1, 0.75]），W_hh = [[0, 4], [0, 0]]。它唯一的非零元素 4 在第 1 行，该单元 h = 0："
                        "J_1 = [[0, 4], [0, 0]]，范数为 4，bound = (4, 1)。按列缩放则乘上了第 2 个单元的因子 0.75："
                        "范数为 3，bound 为 (3, 1)。"),
    ),
    "bound.product_wrong_direction": HintLevels(
        where=Text(en="In jacobian_bound, the loop that fills bound: bound[T] = 1, then walk t from T - 1 down to 0 "
                      "and set bound[t] to bound[t+1] times the Jacobian norm of step t+1 (index t of "
                      "jacobian_norms): bound[t] is the product over the steps between h_t and h_T.",
                   zh="在 jacobian_bound 中填写 bound 的循环：bound[T] = 1，然后 t 从 T - 1 递减到 0，令 bound[t] 等于 "
                      "bound[t+1] 乘以第 t+1 步的雅可比范数（jacobian_norms 的下标 t）：bound[t] 是 h_t 与 h_T 之间各步"
                      "的乘积。"),
        example=Text(en=f"{_BOUND_EN}. From h_2 back to h_1 the gradient crosses step 2 only: bound[1] = 0.38, "
                        "bound[0] = 0.38·1.5 = 0.57 and bound[2] = 1. Multiplied forward from the first step the "
                        "result is (1, 1.5, 0.57): bound[1] = 1.5 is the norm of step 1, which that gradient never "
                        "crosses.",
                     zh=f"{_BOUND_ZH}。从 h_2 回到 h_1，梯度只经过第 2 步：bound[1] = 0.38，bound[0] = 0.38·1.5 = "
                        "0.57，bound[2] = 1。从第一步开始向后累乘，结果是 (1, 1.5, 0.57)：bound[1] = 1.5 是第 1 步的"
                        "范数，而这段梯度根本不经过第 1 步。"),
    ),
}
