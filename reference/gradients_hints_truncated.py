"""Levels 2 and 3 of the hints of exercise `rnn_gradients`'s mistakes in truncated_bptt and of those of any part
(grader.hints): where the mistake sits in the loop over time, and a worked micro-example on a 1x1 case. Level 1
is each mistake's `hint` (reference.gradients_mutants).

Most examples share one case, T = 3 and k = 2 (chunks: steps 1-2 and step 3), with h = 0 so that 1 - h_t^2 = 1
and every step is a product a student can do in the head; the states are inputs of truncated_bptt, as they are
in the exercise. Made-up inputs only, no code of the reference; every number is checked
(tests/exercise/test_hint_levels.py).
"""

from __future__ import annotations

from grader.hints import HintLevels
from grader.result import Text

# The exact truncated gradient of the shared case: da = (1.5, 1, 1), dL/dh0 = 0.75.
_CHUNKS_EN = ("One unit, T = 3, k = 2, so the chunks are steps 1-2 and step 3: dh = (1, 1, 1), h0 = 0, h = (0, 0, 0) "
              "(so 1 - h_t^2 = 1), W_hh = 0.5. Step 3: da_3 = 1; step 3 starts a chunk, so nothing goes back to "
              "step 2. Step 2: da_2 = 1, and 0.5·1 = 0.5 goes back. Step 1: da_1 = 1 + 0.5 = 1.5, and dL/dh0 = "
              "0.5·1.5 = 0.75")
_CHUNKS_ZH = ("一个单元，T = 3，k = 2，所以片段是第 1-2 步和第 3 步：dh = (1, 1, 1)，h0 = 0，h = (0, 0, 0)（所以 "
              "1 - h_t^2 = 1），W_hh = 0.5。第 3 步：da_3 = 1；第 3 步是一个片段的开头，所以什么也不传回第 2 步。第 2 "
              "步：da_2 = 1，传回 0.5·1 = 0.5。第 1 步：da_1 = 1 + 0.5 = 1.5，dL/dh0 = 0.5·1.5 = 0.75")

TRUNCATED_HINT_LEVELS: dict[str, HintLevels] = {
    "truncated.no_truncation": HintLevels(
        where=Text(en="In truncated_bptt, the end of each step of the loop from t = T down to 1, once the gradient "
                      "for h_{t-1} is formed: if step t starts a chunk (t = k+1, 2k+1, ..., that is t - 1 a multiple "
                      "of k) and t > 1, reset it to zero, so that step t-1 receives nothing from step t. At t = 1 "
                      "keep it: it is dL/dh0.",
                   zh="在 truncated_bptt 中 t 从 T 递减到 1 的循环，每一步的末尾、传给 h_{t-1} 的梯度算出之后：如果第 t"
                      " 步是一个片段的开头（t = k+1, 2k+1, ...，即 t - 1 是 k 的倍数）且 t > 1，就把它清零，使第 t-1 步"
                      "从第 t 步什么也收不到。t = 1 时保留它：它就是 dL/dh0。"),
        example=Text(en=f"{_CHUNKS_EN}. Without the cut, step 3 sends 0.5 back too: da_2 = 1.5, da_1 = 1.75 and "
                        "dL/dh0 = 0.875, the exact gradient.",
                     zh=f"{_CHUNKS_ZH}。不截断时第 3 步也传回 0.5：da_2 = 1.5，da_1 = 1.75，dL/dh0 = 0.875，"
                        "这是精确梯度。"),
    ),
    "truncated.chunks_from_the_end": HintLevels(
        where=Text(en="In truncated_bptt, the condition that decides where the carried gradient is reset: chunks are "
                      "counted from step 1, so a cut sits just before steps k+1, 2k+1, ... (Python index t a "
                      "multiple of k, t > 0), whatever T is. A condition that uses T - t counts from the end.",
                   zh="在 truncated_bptt 中决定在哪里把传递的梯度清零的条件：片段从第 1 步开始计数，所以切点就在第 "
                      "k+1、2k+1、……步之前（Python 下标 t 是 k 的倍数且 t > 0），与 T 无关。用 T - t 的条件是从末尾"
                      "开始数的。"),
        example=Text(en=f"{_CHUNKS_EN}. Counted from the end, the chunks are step 1 and steps 2-3: the cut falls "
                        "between steps 1 and 2, so da_2 = 1.5, da_1 = 1 and dL/dh0 = 0.5.",
                     zh=f"{_CHUNKS_ZH}。从末尾开始数时，片段是第 1 步和第 2-3 步：切点落在第 1 步与第 2 步之间，"
                        "于是 da_2 = 1.5，da_1 = 1，dL/dh0 = 0.5。"),
    ),
    "truncated.cut_one_step_late": HintLevels(
        where=Text(en="In truncated_bptt, the reset condition, checked at the step that starts a chunk: with chunks "
                      "1..k, k+1..2k, ..., the gradient of step k+1 must not reach h_k. So reset what step t sends "
                      "back when t = k+1, 2k+1, ... (Python index t a multiple of k, t > 0), not when step t ends a "
                      "chunk.",
                   zh="在 truncated_bptt 中在片段开头那一步检查的清零条件：片段为 1..k、k+1..2k、……，第 k+1 步的梯度不"
                      "能到达 h_k。所以当 t = k+1, 2k+1, ...（Python 下标 t 是 k 的倍数且 t > 0）时把第 t 步传回的梯度"
                      "清零，而不是在第 t 步结束一个片段时清零。"),
        example=Text(en=f"{_CHUNKS_EN}. With the cut one step off it falls between steps 1 and 2 instead: da_2 = "
                        "1.5 (step 3's 0.5 gets through), da_1 = 1 and dL/dh0 = 0.5.",
                     zh=f"{_CHUNKS_ZH}。切点错了一步时它落在第 1 步与第 2 步之间：da_2 = 1.5（第 3 步的 0.5 传了过来）"
                        "，da_1 = 1，dL/dh0 = 0.5。"),
    ),
    "truncated.only_last_k_steps": HintLevels(
        where=Text(en="In truncated_bptt, the range of the loop over time: it visits every step, from t = T down to "
                      "1; truncation only resets the carried gradient at the first step of each chunk. A loop that "
                      "stops after k steps leaves da_t = 0 for the earlier steps, although their own dh_t counts.",
                   zh="在 truncated_bptt 中时间循环的范围：它要经过每一步，t 从 T 递减到 1；截断只是在每个片段的第一步"
                      "把传递的梯度清零。只走 k 步就停下的循环让前面各步的 da_t = 0，尽管它们自己的 dh_t 仍然有效。"),
        example=Text(en=f"{_CHUNKS_EN}. Stopping after the last k = 2 steps, step 1 is never visited: da_1 = 0 instead "
                        "of 1.5, and what step 2 sent back, 0.5, comes out as dL/dh0 instead of 0.75.",
                     zh=f"{_CHUNKS_ZH}。只走最后 k = 2 步就停下时，第 1 步从未被处理：da_1 = 0 而不是 1.5，"
                        "第 2 步传回的 0.5 被当作 dL/dh0 返回，而不是 0.75。"),
    ),
    "truncated.dw_hh_uses_h_t": HintLevels(
        where=Text(en="In truncated_bptt, the dW_hh line of the loop: step t adds da_t^T h_{t-1}, the state that went "
                      "into the step: the previous entry of h for t > 1, h0 at t = 1. At the first step of a chunk "
                      "too: only the gradient stops there, the state's value still counts.",
                   zh="在 truncated_bptt 循环中 dW_hh 的那一行：第 t 步加上 da_t^T h_{t-1}，即进入这一步的状态：t > 1 "
                      "时是 h 中的前一项，t = 1 时是 h0。片段的第一步也一样：停在那里的只是梯度，状态的值仍然参与"
                      "计算。"),
        example=Text(en="One unit, T = 2, k = 1 (every step is its own chunk): dh = (1, 1), h0 = 0.2, h = (0.5, 0), "
                        "W_hh = 1. Step 2: da_2 = 1·(1 - 0^2) = 1 and dW_hh gets da_2·h_1 = 0.5; step 2 starts a "
                        "chunk, so nothing goes back. Step 1: da_1 = 1·(1 - 0.25) = 0.75 and dW_hh gets da_1·h0 = "
                        "0.15, so dW_hh = 0.65. With h_t in place of h_{t-1}: 1·0 + 0.75·0.5 = 0.375.",
                     zh="一个单元，T = 2，k = 1（每一步自成一个片段）：dh = (1, 1)，h0 = 0.2，h = (0.5, 0)，W_hh = 1。"
                        "第 2 步：da_2 = 1·(1 - 0^2) = 1，dW_hh 加上 da_2·h_1 = 0.5；第 2 步是片段的开头，什么也不传回"
                        "。第 1 步：da_1 = 1·(1 - 0.25) = 0.75，dW_hh 加上 da_1·h0 = 0.15，所以 dW_hh = 0.65。若用 h_t "
                        "代替 h_{t-1}：1·0 + 0.75·0.5 = 0.375。"),
    ),
    "truncated.missing_tanh_derivative": HintLevels(
        where=Text(en="In truncated_bptt, the line of the loop that forms da_t: add this step's dh_t and what step "
                      "t+1 sent back, then multiply elementwise by 1 - h_t^2, with h_t the state this step produced "
                      "(not h_{t-1}). dW_hh, the gradient sent back and dL/dh0 all use da_t.",
                   zh="在 truncated_bptt 循环中计算 da_t 的那一行：把本步的 dh_t 与第 t+1 步传回的量相加，再逐元素乘以 "
                      "1 - h_t^2，h_t 是本步产生的状态（不是 h_{t-1}）。dW_hh、传回的梯度和 dL/dh0 都用 da_t。"),
        example=Text(en="One unit, T = 2, k = 2 (one chunk): dh = (0, 1), h0 = 0, h = (0.5, 0.5), so 1 - h_t^2 = "
                        "0.75, W_hh = 1. Step 2: da_2 = 1·0.75 = 0.75, and 0.75 goes back. Step 1: da_1 = (0 + "
                        "0.75)·0.75 = 0.5625, and dL/dh0 = 0.5625. Without the derivative: da_2 = 1, da_1 = 1 and "
                        "dL/dh0 = 1.",
                     zh="一个单元，T = 2，k = 2（只有一个片段）：dh = (0, 1)，h0 = 0，h = (0.5, 0.5)，所以 1 - h_t^2 = "
                        "0.75，W_hh = 1。第 2 步：da_2 = 1·0.75 = 0.75，传回 0.75。第 1 步：da_1 = (0 + 0.75)·0.75 = "
                        "0.5625，dL/dh0 = 0.5625。缺少导数时：da_2 = 1，da_1 = 1，dL/dh0 = 1。"),
    ),
    # ------------------------------------------------------------------ any part
    "float32_precision": HintLevels(
        where=Text(en="Wherever an array is created or converted: dtype=np.float32, .astype(np.float32), "
                      "np.float32(...), or a float32 array taken from elsewhere. The inputs arrive as float64; keep "
                      "every intermediate (the states, the carried gradient, the Jacobians, the products) and every "
                      "output float64.",
                   zh="所有创建或转换数组的地方：dtype=np.float32、.astype(np.float32)、np.float32(...)，或从别处拿来"
                      "的 float32 数组。输入都是 float64；请让所有中间量（状态、传递的梯度、雅可比矩阵、乘积）和所有输"
                      "出都保持 float64。"),
        example=Text(en="One unit, T = 1: g = 0.1, h_1 = 0, W_hh = 1, so grad_norms gives norms = (0.1, 0.1). In "
                        "float64, norms[1] = 0.1000000000. 0.1 has no exact binary form and float32 keeps 24 bits of "
                        "it: 0.1000000015, a relative error of 1.5e-8, fifteen times this exercise's relative "
                        "tolerance of 1e-9. Every step back rounds again, and a long product of Jacobians carries the "
                        "errors along.",
                     zh="一个单元，T = 1：g = 0.1，h_1 = 0，W_hh = 1，所以 grad_norms 给出 norms = (0.1, 0.1)。用 "
                        "float64 时 norms[1] = 0.1000000000。0.1 没有精确的二进制表示，float32 只保留 24 位："
                        "0.1000000015，相对误差 1.5e-8，是本练习相对容差 1e-9 的十五倍。每回传一步都会再次舍入，"
                        "雅可比矩阵的长乘积会把误差一路带下去。"),
    ),
    "mutates_inputs": HintLevels(
        where=Text(en="Any line that writes into an array you were given: in truncated_bptt, adding the carried "
                      "gradient into dh in place (dh[t] += ...), or h0 *= ..., changes the caller's array. Add into "
                      "a new variable instead (dh_t = dh[t] + ...) or work on a .copy().",
                   zh="所有写入传入数组的代码行：在 truncated_bptt 中把传递的梯度原地加到 dh 上（dh[t] += ...），或 "
                      "h0 *= ...，都会修改调用者的数组。请改为加到一个新变量上（dh_t = dh[t] + ...），或在 .copy() "
                      "上计算。"),
        example=Text(en="One unit, T = 2, k = 2: dh = (1, 1), h0 = 0, h = (0, 0), W_hh = 0.5. Step 2: da_2 = 1 and "
                        "0.5 goes back; step 1: da_1 = 1 + 0.5 = 1.5. The result is right either way, but after "
                        "dh[0] += 0.5 the caller's dh is (1.5, 1) instead of (1, 1): the loss terms it uses next "
                        "have changed.",
                     zh="一个单元，T = 2，k = 2：dh = (1, 1)，h0 = 0，h = (0, 0)，W_hh = 0.5。第 2 步：da_2 = 1，传回 "
                        "0.5；第 1 步：da_1 = 1 + 0.5 = 1.5。两种写法的结果都对，但执行 dh[0] += 0.5 之后，调用者的 dh "
                        "变成了 (1.5, 1) 而不是 (1, 1)：它接下来要用的损失项被改掉了。"),
    ),
}
