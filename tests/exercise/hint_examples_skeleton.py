"""The worked examples (hint level 3) of the skeleton `rnn-grader exercise new` writes (one tanh layer): each
number its texts state, with the inputs that give it (hint_examples.Worked). A new exercise starts from them."""

from __future__ import annotations

import numpy as np
from hint_examples import Worked, arr, one, out

FORWARD_BIAS = (one(0), one(1), arr(1, [0.5]))              # layer_forward(x, W, b)
FORWARD_A1 = (one(1), one(1), arr(1, [0]))
BACKWARD_1X1 = (one(1), one(1), one(0.5), one(2))           # layer_backward(dy, x, y, W)
TWO_SAMPLES = (arr(2, 1, [1, 2]), arr(2, 1, [0, 0]), arr(2, 1, [0, 0]), one(1))
TWO_BY_TWO = (arr(1, 2, [1, 2]), arr(1, 2, [3, 4]), arr(1, 2, [0, 0]), arr(2, 2, [1, 0, 0, 1]))

WORKED: dict[str, list[Worked]] = {
    "forward.missing_bias": [Worked(FORWARD_BIAS, out(0), "0.4621", "0")],
    "forward.wrong_activation": [Worked(FORWARD_A1, out(0), "0.7616", "0.7311")],
    "backward.missing_tanh_derivative": [Worked(BACKWARD_1X1, out("b"), "0.75", "1"),
                                         Worked(BACKWARD_1X1, out("W"), "0.75", "1"),
                                         Worked(BACKWARD_1X1, out("x"), "1.5", "2")],
    "backward.bias_wrong_axis": [Worked(TWO_SAMPLES, out("b", 0), "3", "1"),
                                 Worked(TWO_SAMPLES, lambda result, args: float(np.shape(result["b"])[0]), "1", "2")],
    "backward.weight_gradient_transposed": [Worked(TWO_BY_TWO, out("W", 0, 1), "4", "6"),
                                            Worked(TWO_BY_TWO, out("W", 1, 0), "6", "4")],
}
