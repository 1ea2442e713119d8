"""练习 01：从零实现 RNN（前向传播、BPTT、梯度裁剪）
Exercise 01: an RNN from scratch (forward pass, BPTT, gradient clipping)

只能使用 NumPy，全部使用 float64。数据布局与 PyTorch 相同：(seq_len, batch, feature)。
Use NumPy only, in float64 throughout. Data layout as in PyTorch: (seq_len, batch, feature).

符号 / Notation:
    T = 序列长度 sequence length      B = 批大小 batch size
    I = 输入维度 input size           H = 隐状态维度 hidden size        O = 输出维度 output size

    h_t = tanh(W_xh x_t + W_hh h_{t-1} + b_h)
    y_t = W_hy h_t + b_y                        (t = 1..T，对每个批次样本 / for every batch row)

数组的第一个轴是时间：x[t-1] 是 x_t，h[t-1] 是 h_t，y[t-1] 是 y_t。
The first axis is time: x[t-1] is x_t, h[t-1] is h_t, y[t-1] is y_t.
批次按行存放，所以 W_xh x_t 对整个批次写作 x[t-1] @ W_xh.T，形状 (B, H)。
Batch rows are stored as rows, so W_xh x_t for the whole batch is x[t-1] @ W_xh.T, of shape (B, H).

自查 / Self-check:  python exercise_01_rnn.py   (需要同一目录下的 public_examples.npz / needs
public_examples.npz in the same folder). 提交后评分使用另外的隐藏用例 / Grading uses other, hidden cases.
"""

import copy  # copy, json, os, traceback: only for the self-check at the bottom
import json
import os
import traceback

import numpy as np


def rnn_forward(x, h0, W_xh, W_hh, b_h, W_hy, b_y):
    """RNN 前向传播 / RNN forward pass.

    参数 / Args:
        x:    (T, B, I) 输入序列 / input sequence
        h0:   (B, H)    初始隐状态 / initial hidden state
        W_xh: (H, I)    输入到隐层 / input-to-hidden weights
        W_hh: (H, H)    隐层到隐层 / hidden-to-hidden weights
        b_h:  (H,)      隐层偏置 / hidden bias
        W_hy: (O, H)    隐层到输出 / hidden-to-output weights
        b_y:  (O,)      输出偏置 / output bias

    返回 / Returns:
        (y, h)，其中 / where
        y: (T, B, O)，y[t-1] = y_t = W_hy h_t + b_y
        h: (T, B, H)，h[t-1] = h_t = tanh(W_xh x_t + W_hh h_{t-1} + b_h)；h_0 就是参数 h0 / h_0 is h0

    提示 / Hints:
        - 按时间循环（h_t 依赖 h_{t-1}），但不要按批次循环：一次矩阵乘法处理整个批次。
          Loop over time (h_t needs h_{t-1}), not over the batch: one matmul handles every row.
        - 不要修改输入数组。 / Do not modify the input arrays.
    """
    # TODO: 实现前向传播 / implement the forward pass
    raise NotImplementedError("rnn_forward")


def rnn_backward(dy, x, h0, h, W_xh, W_hh, W_hy):
    """随时间反向传播（BPTT）/ Backpropagation through time.

    L 是任意一个标量损失，dy = dL/dy 已经给出。求 L 对所有变量的梯度。
    L is some scalar loss and dy = dL/dy is given. Compute the gradient of L for every variable.

    参数 / Args:
        dy:   (T, B, O) dL/dy，dy[t-1] = dL/dy_t
        x:    (T, B, I) 前向传播的输入 / the forward pass's input
        h0:   (B, H)    初始隐状态 / initial hidden state
        h:    (T, B, H) 前向传播得到的隐状态 / the forward pass's hidden states, h[t-1] = h_t
        W_xh: (H, I),  W_hh: (H, H),  W_hy: (O, H)

    返回 / Returns:
        dict，键与形状如下（每个梯度与对应变量形状相同）/ a dict; each gradient has its variable's shape:
        "W_xh": (H, I)   "W_hh": (H, H)   "b_h": (H,)
        "W_hy": (O, H)   "b_y": (O,)      "x": (T, B, I)   "h0": (B, H)

    推导提示 / Hints (a_t = W_xh x_t + W_hh h_{t-1} + b_h 是预激活 / is the pre-activation):
        从 t = T 倒推到 t = 1，并令 da_{T+1} = 0 / go from t = T down to t = 1, with da_{T+1} = 0:
            dh_t = W_hy^T dy_t + W_hh^T da_{t+1}      （h_t 影响 y_t 和 a_{t+1} / h_t feeds y_t and a_{t+1}）
            da_t = dh_t * (1 - h_t^2)                 （tanh'(a) = 1 - tanh(a)^2）
        然后对所有时间步和批次求和 / then sum over every step and batch row:
            dW_hy = sum_t dy_t h_t^T        db_y = sum_t dy_t
            dW_xh = sum_t da_t x_t^T        dW_hh = sum_t da_t h_{t-1}^T        db_h = sum_t da_t
            dx_t = W_xh^T da_t              dh0 = W_hh^T da_1
        注意 dW_hh 用的是 h_{t-1}（t = 1 时是 h0），不是 h_t。
        Note that dW_hh uses h_{t-1} (h0 when t = 1), not h_t.
    """
    # TODO: 实现 BPTT / implement BPTT
    raise NotImplementedError("rnn_backward")


def clip_grad_norm(grads, max_norm):
    """按总范数裁剪梯度，与 torch.nn.utils.clip_grad_norm_ 一致 / Clip by total norm, like PyTorch.

    参数 / Args:
        grads:    dict，名字 -> ndarray（任意形状）/ name -> ndarray of any shape
        max_norm: float，允许的最大总范数 / the largest total norm allowed

    返回 / Returns:
        (clipped, total_norm)
        total_norm: Python float，裁剪前所有数组所有元素的 L2 范数
                    the L2 norm of every entry of every array, before clipping:
                    total_norm = sqrt(sum of squares of all entries)
        clipped:    与 grads 相同的键和形状的新数组（不要修改 grads）
                    new arrays with the same keys and shapes (do not modify grads):
                    coef = max_norm / (total_norm + 1e-6)
                    若 coef < 1，每个数组乘以 coef；否则保持不变（但仍返回新数组）
                    if coef < 1, every array is multiplied by coef; otherwise values stay as they are
                    (still returned as new arrays)
    """
    # TODO: 实现梯度裁剪 / implement gradient clipping
    raise NotImplementedError("clip_grad_norm")


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
    _self_check(os.path.join(os.path.dirname(os.path.abspath(__file__)), "public_examples.npz"))
