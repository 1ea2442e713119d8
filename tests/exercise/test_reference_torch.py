"""The reference agrees with PyTorch: torch.nn.RNN + autograd for forward and BPTT, clip_grad_norm_ for clipping.

torch is required (no importorskip): without it these proofs must error, never silently pass.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from reference import rnn

# Worst elementwise relative error allowed, with an absolute floor for entries near zero.
MAX_REL_ERR = 1e-7
FLOOR = 1e-8
HIDDEN_SEEDS = (0, 1, 2, 12345, 2**40 + 3)


def rel_err(ours: Any, theirs: torch.Tensor) -> float:
    t = theirs.detach().numpy()
    assert np.shape(ours) == t.shape
    return float(np.max(np.abs(np.asarray(ours) - t) / np.maximum(np.abs(t), FLOOR), initial=0.0))


def torch_rnn(args: tuple[np.ndarray, ...], dy: np.ndarray) -> tuple[torch.Tensor, torch.Tensor, dict[str, Any]]:
    """y, h and the 7 gradients of L = sum(y * dy), from torch.nn.RNN (tanh, time-major) and autograd."""
    x_np, h0_np, W_xh, W_hh, b_h, W_hy_np, b_y_np = args
    H, I = W_xh.shape  # noqa: E741
    cell = torch.nn.RNN(I, H, nonlinearity="tanh", dtype=torch.float64)
    with torch.no_grad():
        cell.weight_ih_l0.copy_(torch.tensor(W_xh))
        cell.weight_hh_l0.copy_(torch.tensor(W_hh))
        cell.bias_ih_l0.copy_(torch.tensor(b_h))
        cell.bias_hh_l0.zero_()  # torch has two hidden biases; their sum plays b_h
    x, h0, W_hy, b_y = (torch.tensor(a, requires_grad=True) for a in (x_np, h0_np, W_hy_np, b_y_np))
    h, _ = cell(x, h0.unsqueeze(0))
    y = h @ W_hy.T + b_y
    (y * torch.tensor(dy)).sum().backward()
    grads = {
        "W_xh": cell.weight_ih_l0.grad,
        "W_hh": cell.weight_hh_l0.grad,
        "b_h": cell.bias_ih_l0.grad,
        "W_hy": W_hy.grad,
        "b_y": b_y.grad,
        "x": x.grad,
        "h0": h0.grad,
    }
    return y, h, grads


def draw(seed: int) -> tuple[tuple[np.ndarray, ...], np.ndarray]:
    """Random RNN inputs of random shape; seeds 0-3 force T=1 and/or B=1, seeds 4-7 a long sequence."""
    rng = np.random.default_rng(seed)
    T, B = int(rng.integers(2, 12)), int(rng.integers(2, 6))
    if seed % 8 in (0, 1):
        T = 1
    if seed % 8 in (0, 2):
        B = 1
    if seed % 8 in (4, 5):
        T = int(rng.integers(64, 100))
    I, H, O = (int(v) for v in rng.integers(1, 12, size=3))  # noqa: E741
    scale = float(rng.choice([0.3, 1.0, 2.0]))
    args = (
        rng.standard_normal((T, B, I)),
        rng.uniform(-1, 1, (B, H)),
        rng.standard_normal((H, I)) * scale / np.sqrt(I),
        rng.standard_normal((H, H)) * scale / np.sqrt(H),
        rng.standard_normal(H) * 0.5,
        rng.standard_normal((O, H)),
        rng.standard_normal(O),
    )
    return args, rng.standard_normal((T, B, O))


def check_against_torch(args: tuple[np.ndarray, ...], dy: np.ndarray) -> float:
    y_t, h_t, grads_t = torch_rnn(args, dy)
    y, h = rnn.rnn_forward(*args)
    worst = max(rel_err(y, y_t), rel_err(h, h_t))
    x, h0, W_xh, W_hh, _, W_hy, _ = args
    # The contract hands backward the forward's h: give it torch's, so a 1-ulp difference between the two
    # tanh implementations cannot be amplified by 1 - h^2 in saturated units.
    grads = rnn.rnn_backward(dy, x, h0, h_t.detach().numpy(), W_xh, W_hh, W_hy)
    assert set(grads) == set(grads_t)
    for name, g in grads.items():
        worst = max(worst, rel_err(g, grads_t[name]))
    return worst


@pytest.mark.parametrize("seed", range(48))
def test_random_shapes_match_torch(seed: int) -> None:
    args, dy = draw(seed)
    assert check_against_torch(args, dy) <= MAX_REL_ERR


@pytest.mark.parametrize("seed", HIDDEN_SEEDS)
def test_hidden_cases_match_torch(seed: int) -> None:
    cases = rnn.hidden_cases(seed)
    forward = {c.name.split("/")[1]: c for c in cases if c.part == "forward"}
    for case in cases:
        if case.part == "backward":
            dy, x, h0, _, W_xh, W_hh, W_hy = case.args
            # b_h, b_y are not backward inputs; any values test the same gradients.
            rng = np.random.default_rng(seed)
            args = (x, h0, W_xh, W_hh, rng.standard_normal(W_hh.shape[0]), W_hy, rng.standard_normal(W_hy.shape[0]))
            assert check_against_torch(args, dy) <= MAX_REL_ERR, case.name
    for name, case in forward.items():
        dy = np.random.default_rng(seed).standard_normal(rnn.rnn_forward(*case.args)[0].shape)
        assert check_against_torch(case.args, dy) <= MAX_REL_ERR, name


def torch_clip(grads: dict[str, np.ndarray], max_norm: float) -> tuple[dict[str, torch.Tensor], float]:
    params = {}
    for name, g in grads.items():
        p = torch.zeros(g.shape, dtype=torch.float64, requires_grad=True)
        p.grad = torch.tensor(g)
        params[name] = p
    total = torch.nn.utils.clip_grad_norm_(list(params.values()), max_norm)
    return {n: p.grad for n, p in params.items() if p.grad is not None}, float(total)


def random_grads(seed: int) -> tuple[dict[str, np.ndarray], float]:
    rng = np.random.default_rng(seed)
    shapes = [tuple(int(d) for d in rng.integers(1, 6, size=rng.integers(0, 4))) for _ in range(rng.integers(1, 6))]
    scale = 10.0 ** rng.uniform(-3, 3)
    grads = {f"g{i}": rng.standard_normal(s) * scale for i, s in enumerate(shapes)}
    return grads, float(rng.choice([0.5, 1.0, 5.0, 17.3]))


@pytest.mark.parametrize("seed", range(48))
def test_clip_matches_torch_random(seed: int) -> None:
    grads, max_norm = random_grads(seed)
    check_clip(grads, max_norm)


@pytest.mark.parametrize("seed", HIDDEN_SEEDS)
def test_clip_matches_torch_hidden(seed: int) -> None:
    for case in rnn.hidden_cases(seed):
        if case.part == "clip":
            check_clip(*case.args)


def check_clip(grads: dict[str, np.ndarray], max_norm: float) -> None:
    before = {k: v.copy() for k, v in grads.items()}
    clipped, total = rnn.clip_grad_norm(grads, max_norm)
    clipped_t, total_t = torch_clip(grads, max_norm)
    assert type(total) is float
    assert abs(total - total_t) / total_t <= MAX_REL_ERR
    assert list(clipped) == list(grads)
    for name, g in clipped.items():
        assert g.dtype == np.float64 and g.shape == grads[name].shape
        assert rel_err(g, clipped_t[name]) <= MAX_REL_ERR
        assert g is not grads[name] and np.array_equal(grads[name], before[name])
