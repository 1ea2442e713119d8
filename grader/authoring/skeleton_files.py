"""The files `rnn-grader exercise new ID` writes: a complete small exercise (one tanh layer, forward and backward)
that `exercise validate` accepts as written, to be replaced piece by piece (docs/authoring.md walks through it).
EXERCISE_ID stands for the new exercise's id. The starter file's self-check comes from grader.authoring.selfcheck.
"""

# ruff: noqa: E501
SPEC = '''# Exercise `EXERCISE_ID`, written by `rnn-grader exercise new EXERCISE_ID` (docs/authoring.md): a complete small
# exercise (one tanh layer, forward and backward) that `rnn-grader exercise validate` accepts as written.
# Replace its functions, cases, mistakes and texts with yours; run validate after each step.

id = "EXERCISE_ID"
title = "A tanh layer: forward and backward"
title_zh = "tanh 层：前向与反向传播"
description = """
Implement, in NumPy (float64, batch entries as rows), one tanh layer y = tanh(x W^T + b) and its backward pass:
the gradients of L with respect to x, W and b, given dL/dy.
"""
description_zh = """
用 NumPy（float64，批次按行存放）实现一个 tanh 层 y = tanh(x W^T + b) 及其反向传播：已知 dL/dy，求 L 对 x、W、b
的梯度。
"""
student_file = "exercise_EXERCISE_ID.py"
reference = "reference.EXERCISE_ID"
feedback = "reference.EXERCISE_ID_feedback"
mutants = "reference.EXERCISE_ID_mutants"
public_examples = "EXERCISE_ID_public_examples.npz"
deadline = "2026-12-31T23:59:00+08:00"

[limits]
cpu_time_limit_s = 2.0
wall_time_limit_s = 5.0
memory_limit_mib = 768
output_limit_kib = 64
result_limit_mib = 64

[tolerances]
why = """
One matrix product and a tanh per entry: correct float64 variants agree far inside rtol 1e-9 (measured by
`rnn-grader exercise validate`), and float32 is off by ~1e-7, far outside it.
"""

[[parts]]
name = "forward"
function = "layer_forward"
points = 40
title = "Forward"
title_zh = "前向传播"
rtol = 1e-9
atol = 1e-10
args = ["x", "W", "b"]
outputs = ["y"]
shapes = { y = "B, H" }

[[parts]]
name = "backward"
function = "layer_backward"
points = 60
title = "Backward"
title_zh = "反向传播"
rtol = 1e-9
atol = 1e-10
args = ["dy", "x", "y", "W"]
shapes = { x = "B, I", W = "H, I", b = "H" }

# `rnn-grader gradcheck`: students check layer_backward against finite differences of their layer_forward.
[gradcheck]
forward = "layer_forward"
backward = "layer_backward"
inputs = ["x", "W", "b"]
outputs = ["y"]
loss = ["y"]
backward_args = ["dy", "x", "y", "W"]
gradients = ["x", "W", "b"]
shapes = { x = "B, I", W = "H, I", b = "H", y = "B, H" }
sizes = { B = [1, 3], I = [2, 4], H = [2, 4] }
'''

TEMPLATE_HEAD = '''"""练习 EXERCISE_ID：tanh 层的前向与反向传播
Exercise EXERCISE_ID: a tanh layer, forward and backward

只能使用 NumPy，全部使用 float64。批次按行存放：x 的每一行是一个样本。
Use NumPy only, in float64 throughout. Batch entries are rows: each row of x is one example.

    y = tanh(x W^T + b)        x: (B, I)   W: (H, I)   b: (H,)   y: (B, H)

自查 / Self-check:  python exercise_EXERCISE_ID.py   (需要同一目录下的 EXERCISE_ID_public_examples.npz /
needs EXERCISE_ID_public_examples.npz in the same folder). 提交后评分使用另外的隐藏用例 / Grading uses other,
hidden cases.
"""

'''

TEMPLATE_BODY = '''
import numpy as np


def layer_forward(x, W, b):
    """tanh 层的前向传播 / The tanh layer's forward pass.

    参数 / Args:
        x: (B, I) 输入 / input      W: (H, I) 权重 / weights      b: (H,) 偏置 / bias

    返回 / Returns:
        y: (B, H)，y = tanh(x W^T + b)
    """
    # TODO: 实现前向传播 / implement the forward pass
    raise NotImplementedError("layer_forward")


def layer_backward(dy, x, y, W):
    """tanh 层的反向传播 / The tanh layer's backward pass.

    参数 / Args:
        dy: (B, H) dL/dy      x: (B, I) 前向的输入 / the forward's input
        y:  (B, H) 前向的输出 / the forward's output      W: (H, I)

    返回 / Returns:
        dict：{"x": dL/dx (B, I), "W": dL/dW (H, I), "b": dL/db (H,)}

    提示 / Hints:
        da = dy * (1 - y^2)（tanh'(a) = 1 - tanh(a)^2），然后 dx = da W，dW = da^T x，db 对批次求和。
        da = dy * (1 - y^2) (tanh'(a) = 1 - tanh(a)^2); then dx = da W, dW = da^T x, db sums over the batch.
    """
    # TODO: 实现反向传播 / implement the backward pass
    raise NotImplementedError("layer_backward")


'''

REFERENCE = '''"""Trusted reference of exercise `EXERCISE_ID` (written by `rnn-grader exercise new`): one tanh layer.

Every value that feeds a case comes from elementwise NumPy on `np.random.default_rng`, so a seed gives the same
bits on every CPU and BLAS kernel: the backward cases draw y (any value in (-1, 1) is a tanh output) rather
than computing it with a matrix product.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from grader.exercise import Case
from grader.result import Text

Array = NDArray[np.float64]
PUBLIC_SEED = 12_345
# name, English, Chinese, scale of the pre-activations
KINDS = (
    ("single", "a single example", "单个样本", 1.0),
    ("random", "a random batch", "随机批次", 1.0),
    ("non_square", "I and H different", "I 与 H 不同", 1.0),
    ("saturated", "saturated tanh", "tanh 饱和", 8.0),
)


def layer_forward(x: Array, W: Array, b: Array) -> Array:
    """y = tanh(x W^T + b)."""
    out: Array = np.tanh(np.asarray(x, dtype=np.float64) @ np.asarray(W, dtype=np.float64).T + b)
    return out


def layer_backward(dy: Array, x: Array, y: Array, W: Array) -> dict[str, Array]:
    """dL/dx, dL/dW, dL/db from dL/dy and the forward's input and output."""
    da = np.asarray(dy, dtype=np.float64) * (1.0 - np.asarray(y, dtype=np.float64) ** 2)
    return {"x": da @ np.asarray(W, dtype=np.float64), "W": da.T @ np.asarray(x, dtype=np.float64),
            "b": da.sum(axis=0)}


def _case(rng: np.random.Generator, part: str, kind: tuple[str, str, str, float], prefix: str) -> Case:
    name, en, zh, scale = kind
    B = 1 if name == "single" else int(rng.integers(2, 5))
    I, H = (int(v) for v in rng.integers(2, 7, size=2))  # noqa: E741
    if name == "non_square" and I == H:
        H = I + 1
    x = rng.standard_normal((B, I))
    W = rng.standard_normal((H, I)) * (scale / np.sqrt(I))
    b = rng.standard_normal(H) * 0.1
    args: tuple[Any, ...] = (x, W, b)
    if part == "backward":
        bound = 0.999999 if name == "saturated" else 0.95
        y = rng.uniform(-bound, bound, (B, H))
        if name == "saturated":
            y = np.sign(y) * np.maximum(np.abs(y), 0.99)
        args = (rng.standard_normal((B, H)), x, y, W)
    return Case(part=part, name=f"{part}/{prefix}{name}", description=Text(en=f"{en}: B={B}, I={I}, H={H}",
                                                                           zh=f"{zh}：B={B}, I={I}, H={H}"),
                args=args, facts={"kind": name, "B": B, "I": I, "H": H})


def hidden_cases(seed: int) -> list[Case]:
    rng = np.random.default_rng(seed)
    return [_case(rng, part, kind, "") for part in ("forward", "backward") for kind in KINDS]


def public_cases() -> list[Case]:
    rng = np.random.default_rng(PUBLIC_SEED)
    return [_case(rng, part, kind, "example_") for part in ("forward", "backward") for kind in KINDS[:2]]
'''

MUTANTS = '''"""Named mistakes of exercise `EXERCISE_ID`, each a patch of a correct student-style solution (BASE_SOURCE).
`rnn-grader exercise validate` submits every variant through the sandbox: each must lose points and be named."""

from __future__ import annotations

from grader.mutant_patches import PatchedVariant
from grader.mutants import Misconception
from grader.result import Text

BASE_SOURCE = \'\'\'import numpy as np


def layer_forward(x, W, b):
    return np.tanh(x @ W.T + b)


def layer_backward(dy, x, y, W):
    da = dy * (1.0 - y ** 2)
    dx = da @ W
    dW = da.T @ x
    db = da.sum(axis=0)
    return {"x": dx, "W": dW, "b": db}
\'\'\'


def _v(function: str, old: str, new: str, paths: tuple[str, ...] = ()) -> PatchedVariant:
    return PatchedVariant(BASE_SOURCE, function, ((old, new),), paths)


MISCONCEPTIONS: tuple[Misconception, ...] = (
    Misconception(
        "forward.missing_bias", "forward",
        Text(en="The bias b is missing", zh="缺少偏置 b"),
        Text(en="y = tanh(x W^T + b): add b inside the tanh; it broadcasts over the batch rows.",
             zh="y = tanh(x W^T + b)：在 tanh 内加上 b，它会沿批次行广播。"),
        (_v("layer_forward", "x @ W.T + b", "x @ W.T"),),
    ),
    Misconception(
        "forward.wrong_activation", "forward",
        Text(en="The activation is not tanh", zh="激活函数不是 tanh"),
        Text(en="The layer uses tanh: y = tanh(a). A sigmoid gives other values, and 1 - y^2 holds for tanh only.",
             zh="这一层使用 tanh：y = tanh(a)。sigmoid 的值不同，而 1 - y^2 只对 tanh 成立。"),
        (_v("layer_forward", "np.tanh(x @ W.T + b)", "1.0 / (1.0 + np.exp(-(x @ W.T + b)))"),),
    ),
    Misconception(
        "backward.missing_tanh_derivative", "backward",
        Text(en="The tanh derivative (1 - y^2) is missing", zh="缺少 tanh 的导数 (1 - y^2)"),
        Text(en="The gradient reaches the pre-activation through the tanh: da = dy * (1 - y^2).",
             zh="梯度要经过 tanh 才到达预激活：da = dy * (1 - y^2)。"),
        (_v("layer_backward", "da = dy * (1.0 - y ** 2)", "da = dy"),),
    ),
    Misconception(
        "backward.bias_wrong_axis", "backward",
        Text(en="The bias gradient is summed over the wrong axis", zh="偏置梯度沿错误的轴求和"),
        Text(en="db sums da over the batch rows: da.sum(axis=0), shape (H,).",
             zh="db 是 da 对批次行的和：da.sum(axis=0)，形状 (H,)。"),
        (_v("layer_backward", "da.sum(axis=0)", "da.sum(axis=1)", ("b",)),),
    ),
    Misconception(
        "backward.weight_gradient_transposed", "backward",
        Text(en="The weight gradient is transposed", zh="权重梯度被转置了"),
        Text(en="dW has W's shape (H, I): dW = da^T x, not x^T da.",
             zh="dW 的形状与 W 相同 (H, I)：dW = da^T x，而不是 x^T da。"),
        (_v("layer_backward", "dW = da.T @ x", "dW = x.T @ da", ("W",)),),
    ),
)
'''

FEEDBACK = '''"""Feedback hooks of exercise `EXERCISE_ID` (grader.hooks.ExerciseHooks): the catalogued mistake that reproduces a
failing output, and the catalogue for the teacher's pages. Add explain_part, chart_cases and chart as needed."""

from __future__ import annotations

from typing import Any

from grader.exercise import Case, Part
from grader.mutants import MutantMatcher
from grader.result import Text
from reference.EXERCISE_ID_mutants import MISCONCEPTIONS

MATCHER = MutantMatcher(MISCONCEPTIONS)


def explain(part: Part, case: Case, student: Any, reference: Any) -> tuple[list[Text], list[str]]:
    if not case.scored:
        return [], []
    return [], [m.name for m in MATCHER.diagnose(part, case, student, reference)]


def misconception_catalogue() -> list[dict[str, Any]]:
    return [m.entry() for m in MISCONCEPTIONS]
'''
