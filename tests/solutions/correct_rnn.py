"""A correct student solution, written independently of reference/rnn.py (loops, not einsum)."""

import numpy as np


def rnn_forward(x, h0, W_xh, W_hh, b_h, W_hy, b_y):
    T = x.shape[0]
    hs, ys = [], []
    h_prev = h0
    for t in range(T):
        h_t = np.tanh(x[t] @ W_xh.T + h_prev @ W_hh.T + b_h)
        hs.append(h_t)
        ys.append(h_t @ W_hy.T + b_y)
        h_prev = h_t
    return np.stack(ys), np.stack(hs)


def rnn_backward(dy, x, h0, h, W_xh, W_hh, W_hy):
    T = x.shape[0]
    grads = {
        "W_xh": np.zeros_like(W_xh), "W_hh": np.zeros_like(W_hh), "b_h": np.zeros(W_hh.shape[0]),
        "W_hy": np.zeros_like(W_hy), "b_y": np.zeros(W_hy.shape[0]), "x": np.zeros_like(x),
    }
    dh_next = np.zeros_like(h0)
    for t in reversed(range(T)):
        h_prev = h[t - 1] if t > 0 else h0
        grads["W_hy"] += dy[t].T @ h[t]
        grads["b_y"] += dy[t].sum(axis=0)
        dh = dy[t] @ W_hy + dh_next
        da = dh * (1.0 - h[t] ** 2)
        grads["W_xh"] += da.T @ x[t]
        grads["W_hh"] += da.T @ h_prev
        grads["b_h"] += da.sum(axis=0)
        grads["x"][t] = da @ W_xh
        dh_next = da @ W_hh
    grads["h0"] = dh_next
    return grads


def clip_grad_norm(grads, max_norm):
    total = float(np.sqrt(sum(float(np.sum(g * g)) for g in grads.values())))
    coef = min(max_norm / (total + 1e-6), 1.0)
    return {k: g * coef for k, g in grads.items()}, total
