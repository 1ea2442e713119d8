"""练习 02：梯度消失与梯度爆炸（测量、估界与截断）
Exercise 02: vanishing and exploding gradients (measure them, bound them, truncate them)

只能使用 NumPy，全部使用 float64。数据布局与练习 01 相同：时间维在前，批次按行存放。
Use NumPy only, in float64 throughout. Data layout as in exercise 01: time first, batch rows as rows.

符号 / Notation:
    T = 序列长度 sequence length      B = 批大小 batch size      H = 隐状态维度 hidden size

    h_t = tanh(a_t + W_hh h_{t-1})      (t = 1..T；a_t = W_xh x_t + b_h 是输入的驱动 / is the input's drive)

数组的第一个轴是时间：a[t-1] 是 a_t，h[t-1] 是 h_t；h_0 就是参数 h0。
The first axis is time: a[t-1] is a_t, h[t-1] is h_t; h_0 is the argument h0.
批次按行存放，所以 W_hh h_{t-1} 对整个批次写作 h_prev @ W_hh.T。
Batch entries are rows, so W_hh h_{t-1} for the whole batch is h_prev @ W_hh.T.

梯度沿时间回传一步 / one step back in time (第 03、04 课 / lessons 03, 04):
    dL/dh_{t-1} = W_hh^T (dL/dh_t * (1 - h_t^2))         按行写作 / as rows: (g * (1 - h_t**2)) @ W_hh
    雅可比矩阵 / the Jacobian:  dh_t/dh_{t-1} = diag(1 - h_t^2) W_hh
每一步都乘以这个矩阵：它的范数小于 1 时梯度随距离消失，大于 1 时可能爆炸（tanh 饱和时 1 - h_t^2 很小）。
Every step multiplies by this matrix: where its norm is below 1 the gradient vanishes with the distance in
time, above 1 it may explode (saturated tanh units make 1 - h_t^2 tiny).

自查 / Self-check:  python exercise_02_gradients.py   (需要同一目录下的 rnn_gradients_public_examples.npz /
needs rnn_gradients_public_examples.npz in the same folder). 梯度检验 / gradient check: rnn-grader gradcheck
exercise_02_gradients.py. 提交后评分使用另外的隐藏用例 / Grading uses other, hidden cases.
"""

import copy  # copy, json, os, traceback: only for the self-check at the bottom
import json
import os
import traceback

import numpy as np


def rnn_states(a, h0, W_hh):
    """状态递推 / The state recurrence.

    参数 / Args:
        a:    (T, B, H) 每一步输入的驱动 a_t = W_xh x_t + b_h / each step's input drive
        h0:   (B, H)    初始隐状态 / initial hidden state
        W_hh: (H, H)    隐层到隐层 / hidden-to-hidden weights

    返回 / Returns:
        h: (T, B, H)，h[t-1] = h_t = tanh(a_t + W_hh h_{t-1})；不包含 h0 / h0 is not included

    提示 / Hints:
        按时间循环，不要按批次循环；不要修改输入数组。
        Loop over time, not over the batch; do not modify the input arrays.
    """
    # TODO: 实现状态递推 / implement the recurrence
    raise NotImplementedError("rnn_states")


def grad_norms(g, h, W_hh):
    """每个时间步的梯度范数 / The gradient norm at every step.

    L 只依赖最后一个状态 h_T，且 dL/dh_T = g 已经给出。求每个 t = 0..T 的 ||dL/dh_t||（对每个批次行分别计算）。
    L depends on the last state h_T only, and dL/dh_T = g is given. Compute ||dL/dh_t|| for t = 0..T, for each
    batch row separately.

    参数 / Args:
        g:    (B, H)    dL/dh_T
        h:    (T, B, H) 隐状态 / hidden states, h[t-1] = h_t
        W_hh: (H, H)

    返回 / Returns:
        norms: (T + 1, B)，norms[t, b] = ||dL/dh_t|| (第 b 行 / of row b)，t = 0..T：
        norms[T] 就是 ||g|| / is ||g||，norms[0] 是 h0 处的梯度范数 / is the norm at h0.

    提示 / Hints:
        从 t = T 倒推：dL/dh_{t-1} = W_hh^T (dL/dh_t * (1 - h_t^2))，h_t 是 h[t-1]。
        Go back from t = T: dL/dh_{t-1} = W_hh^T (dL/dh_t * (1 - h_t^2)), where h_t is h[t-1].
        ||v|| = sqrt(sum of v_i^2)：np.linalg.norm(v, axis=1) 按行计算 / row by row.
    """
    # TODO: 实现 / implement
    raise NotImplementedError("grad_norms")


def jacobian_bound(h, W_hh):
    """每一步雅可比矩阵的谱范数，以及它们给出的上界 / Each step's Jacobian norm, and the bound they give.

    J_t = dh_t/dh_{t-1} = diag(1 - h_t^2) W_hh：W_hh 的第 i 行乘以 1 - h_{t,i}^2（对每个批次行分别计算）。
    J_t = dh_t/dh_{t-1} = diag(1 - h_t^2) W_hh: row i of W_hh times 1 - h_{t,i}^2 (for each batch row).

    参数 / Args:
        h:    (T, B, H) 隐状态 / hidden states, h[t-1] = h_t
        W_hh: (H, H)

    返回 / Returns:
        (jacobian_norms, bound)
        jacobian_norms: (T, B)，jacobian_norms[t-1, b] = ||J_t||_2，谱范数，即最大奇异值
                        the spectral norm, the largest singular value: np.linalg.norm(J, 2)
        bound:          (T + 1, B)，bound[t] = jacobian_norms[t] * ... * jacobian_norms[T-1]
                        = prod_{s=t+1..T} ||J_s||_2；bound[T] = 1。
                        因为 dh_T/dh_t = J_T ... J_{t+1}，所以 ||dL/dh_t|| <= bound[t] * ||dL/dh_T||。
                        Since dh_T/dh_t = J_T ... J_{t+1}, ||dL/dh_t|| <= bound[t] * ||dL/dh_T||.

    提示 / Hints:
        np.linalg.norm(J) 不带 2 是 Frobenius 范数；谱半径（最大 |特征值|）也不是范数。
        np.linalg.norm(J) without 2 is the Frobenius norm; the spectral radius (largest |eigenvalue|) is not a norm.
    """
    # TODO: 实现 / implement
    raise NotImplementedError("jacobian_bound")


def truncated_bptt(dh, h0, h, W_hh, k):
    """截断的随时间反向传播 / Truncated backpropagation through time.

    L = sum_t <dh_t, h_t>：dh[t-1] = 第 t 步自己的损失项对 h_t 的梯度（例如 W_hy^T dy_t）。
    L = sum_t <dh_t, h_t>: dh[t-1] is the gradient of step t's own loss term with respect to h_t.
    把序列切成长度为 k 的片段：第 1..k 步、第 k+1..2k 步……（最后一段可能较短），就像前向时每 k 步执行一次
    h = h.detach()：梯度不会从一个片段流回它的起始状态。
    The sequence is cut into chunks of k steps: steps 1..k, k+1..2k, ... (the last may be shorter), as when the
    forward pass detaches the state every k steps: no gradient flows from a chunk back into the state it starts
    from.

    参数 / Args:
        dh:   (T, B, H) 每一步的直接梯度 / each step's direct gradient
        h0:   (B, H)    初始隐状态 / initial hidden state
        h:    (T, B, H) 隐状态 / hidden states, h[t-1] = h_t
        W_hh: (H, H)
        k:    int >= 1  片段长度 / chunk length (k >= T: 完整的 BPTT / full BPTT)

    返回 / Returns:
        dict：{"a": dL/da_t (T, B, H)，a_t 的梯度 / the gradient of the drive a_t,
               "W_hh": dL/dW_hh (H, H), "h0": dL/dh0 (B, H)}

    推导提示 / Hints:
        从 t = T 倒推，da_t = (dh_t + 从第 t+1 步传来的梯度) * (1 - h_t^2)；传给 h_{t-1} 的梯度是 W_hh^T da_t，
        但如果第 t 步是某个片段的第一步（t = k+1, 2k+1, ...），就不再传递。
        dW_hh = sum_t da_t h_{t-1}^T（第一步用 h0）；dL/dh0 = W_hh^T da_1。
        Go from t = T down: da_t = (dh_t + the gradient carried from step t+1) * (1 - h_t^2); W_hh^T da_t is
        carried to h_{t-1}, unless step t starts a chunk (t = k+1, 2k+1, ...).
        dW_hh = sum_t da_t h_{t-1}^T (h0 at the first step); dL/dh0 = W_hh^T da_1.
        k >= T 时这就是精确梯度：rnn-grader gradcheck 用它检验你的 truncated_bptt。
        With k >= T this is the exact gradient: rnn-grader gradcheck checks your truncated_bptt with it.
    """
    # TODO: 实现 / implement
    raise NotImplementedError("truncated_bptt")


# ---------------------------------------------------------------- 自查 / self-check (only NumPy needed)


def _decode(node, arrays):
    """public_examples.npz 的清单格式 / the manifest's value format: array, float, int, tuple, dict."""
    (kind, value), = node.items()
    if kind == "array":
        return arrays[value]
    if kind in ("float", "int"):
        return value
    if kind == "tuple":
        return tuple(_decode(v, arrays) for v in value)
    return {k: _decode(v, arrays) for k, v in value.items()}


def _mismatch(got, want, rtol, atol, path="output", names=()):
    """None if got matches want, else a short reason. / None if equal within tolerance, else why not."""
    if got is None:
        return f"{path}: returned None (forgot a return?)"
    if isinstance(want, dict):
        if not isinstance(got, dict) or set(got) != set(want):
            return f"{path}: expected a dict with keys {sorted(want)}"
        for k in want:
            reason = _mismatch(got[k], want[k], rtol, atol, f"{path}[{k!r}]")
            if reason:
                return reason
        return None
    if isinstance(want, tuple):
        if not isinstance(got, (tuple, list)) or len(got) != len(want):
            return f"{path}: expected a tuple of {len(want)}"
        for i in range(len(want)):
            name = names[i] if i < len(names) else f"{path}[{i}]"  # e.g. "y", "h"
            reason = _mismatch(got[i], want[i], rtol, atol, name)
            if reason:
                return reason
        return None
    kind = type(got).__name__
    got = np.asarray(got)
    if got.dtype.kind not in "iuf":
        return f"{path}: expected numbers, got a {kind} of dtype {got.dtype}"
    if got.shape != np.shape(want):
        return f"{path}: shape {got.shape}, expected {np.shape(want)}"
    if not np.allclose(got, want, rtol=rtol, atol=atol):
        worst = np.max(np.abs(got - want))
        hint = f"; dtype is {got.dtype}, use float64" if got.dtype != np.float64 else ""
        return f"{path}: values differ (largest difference {worst:.3g}){hint}"
    return None


def _same(a, b):
    """Exact equality of two argument trees: did the call modify its inputs?"""
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, tuple):
        return len(a) == len(b) and all(_same(a[i], b[i]) for i in range(len(a)))
    return np.array_equal(a, b)


def _self_check(path):
    with np.load(path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    manifest = json.loads(str(arrays.pop("manifest")[()]))
    passed = 0
    for case in manifest["cases"]:
        part = manifest["parts"][case["part"]]
        original = tuple(_decode(a, arrays) for a in case["args"])
        args = copy.deepcopy(original)
        try:
            got = globals()[case["function"]](*args)
        except NotImplementedError:
            print(f"TODO  {case['name']}: {case['function']} 尚未实现 / not implemented yet")
            continue
        except Exception:
            print(f"ERROR {case['name']}: {case['function']} 抛出了异常 / raised an exception:")
            traceback.print_exc()
            continue
        want = _decode(case["expected"], arrays)
        reason = _mismatch(got, want, part["rtol"], part["atol"], names=part.get("outputs", ()))
        if reason is None and not _same(args, original):
            reason = "输入数组被修改了 / the function modified its input arrays"
        passed += reason is None
        status = "PASS" if reason is None else "FAIL"
        print(f"{status}  {case['name']}  ({case['description']['zh']} / {case['description']['en']})")
        if reason:
            print(f"      {reason}")
    print(f"{passed}/{len(manifest['cases'])} 个公开用例通过 / public cases passed")


if __name__ == "__main__":
    _self_check(os.path.join(os.path.dirname(os.path.abspath(__file__)), "rnn_gradients_public_examples.npz"))
