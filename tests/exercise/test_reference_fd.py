"""rnn_backward agrees with central finite differences of rnn_forward, for every one of the 7 gradients.

Independent of torch: only the forward formula is assumed. L = sum(y * dy), so dL/dv_i is approximated by
(L(v + eps e_i) - L(v - eps e_i)) / (2 eps); its error is O(eps^2) truncation plus O(1e-16 / eps) rounding.
"""

from __future__ import annotations

import numpy as np
import pytest

from reference import rnn

EPS = 1e-6
# Measured on these cases: worst absolute error 3e-9 (rounding: 1e-16 |L| / EPS), worst relative error 9e-8
# where |gradient| > 1e-2. A wrong gradient is off by O(0.1).
RTOL = 1e-6
ATOL = 1e-7

NAMES = ("x", "h0", "W_xh", "W_hh", "b_h", "W_hy", "b_y")  # rnn_forward's argument order


def loss(args: list[np.ndarray], dy: np.ndarray) -> float:
    y, _ = rnn.rnn_forward(*args)
    return float(np.sum(y * dy))


def numeric_grad(args: list[np.ndarray], dy: np.ndarray, k: int) -> np.ndarray:
    grad = np.empty_like(args[k])
    for i in np.ndindex(args[k].shape):
        moved = [a.copy() for a in args]
        moved[k][i] += EPS
        up = loss(moved, dy)
        moved[k][i] -= 2 * EPS
        grad[i] = (up - loss(moved, dy)) / (2 * EPS)
    return grad


@pytest.mark.parametrize(
    "T,B,I,H,O",
    [(1, 1, 2, 3, 2), (1, 3, 3, 4, 2), (4, 1, 2, 3, 3), (3, 2, 3, 4, 2), (5, 2, 2, 5, 3), (12, 2, 3, 3, 1)],
)
@pytest.mark.parametrize("seed", range(3))
def test_backward_matches_finite_differences(T: int, B: int, I: int, H: int, O: int, seed: int) -> None:  # noqa: E741
    rng = np.random.default_rng([seed, T, B, I, H, O])
    args = [
        rng.standard_normal((T, B, I)),
        rng.uniform(-1, 1, (B, H)),
        rng.standard_normal((H, I)) / np.sqrt(I),
        rng.standard_normal((H, H)) / np.sqrt(H),
        rng.standard_normal(H) * 0.5,
        rng.standard_normal((O, H)),
        rng.standard_normal(O),
    ]
    dy = rng.standard_normal((T, B, O))
    x, h0, W_xh, W_hh, _, W_hy, _ = args
    _, h = rnn.rnn_forward(*args)
    grads = rnn.rnn_backward(dy, x, h0, h, W_xh, W_hh, W_hy)
    assert set(grads) == set(NAMES)
    for k, name in enumerate(NAMES):
        fd = numeric_grad(args, dy, k)
        assert grads[name].shape == fd.shape, name
        np.testing.assert_allclose(grads[name], fd, rtol=RTOL, atol=ATOL, err_msg=name)
