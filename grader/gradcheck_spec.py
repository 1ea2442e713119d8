"""An exercise's declaration of a forward/backward pair that students can check offline (`rnn-grader gradcheck`).

The `[gradcheck]` table of a spec.toml, copied into the public examples' manifest (grader.casefile) so the
student's client reads it without the server. It says nothing about the answer: which two of the student's
functions to call, the names and symbolic shapes of their arguments and results, and the sizes of the small
random cases. grader.gradcheck draws the cases, builds the scalar loss L = sum_k <dL/d out_k, out_k> from a
random upstream gradient of each `loss` output, and compares the student's backward with central finite
differences of the student's forward. For example (exercise 01):

    [gradcheck]
    forward = "rnn_forward"
    backward = "rnn_backward"
    inputs = ["x", "h0", "W_xh", "W_hh", "b_h", "W_hy", "b_y"]   # the forward's parameters, in order
    outputs = ["y", "h"]                                         # what it returns (a tuple; one name: an array)
    loss = ["y"]                                                 # backward gets "dy" = dL/dy
    backward_args = ["dy", "x", "h0", "h", "W_xh", "W_hh", "W_hy"]
    gradients = ["W_hy", "b_y", "b_h", "W_xh", "W_hh", "x", "h0"] # keys of the dict backward returns
    shapes = { x = "T, B, I", ..., y = "T, B, O", h = "T, B, H" }
    sizes = { T = [2, 4], B = [1, 2], I = [2, 3], H = [2, 4], O = [1, 3] }

A backward argument is "d" + a loss output (the upstream gradient), an input, an output (the student's own
forward's), or a size symbol (an int, e.g. a truncation length equal to T). Backward returns a dict keyed by
the `gradients` names, or a tuple in their order (one name: an array).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# Entries of N(0, scale^2), unless the declaration gives an input its own scale: moderate pre-activations,
# where tanh is neither linear nor saturated.
DEFAULT_SCALE = 0.5
# Measured on 300 cases of each exercise (seeds 0-99, grader.gradcheck's central differences twice
# extrapolated, step 2e-3): a correct backward's largest relative error is 1.7e-9 (exercise 01; 1.5e-10 for
# exercise 02), the same backward computed in float32 and cast back at least 1.1e-7 off (7.1e-7). 2e-8 leaves
# a margin of ~12x for a correct student and ~6x for float32, which is also flagged by its dtype when returned.
DEFAULT_RTOL = 2e-8
DEFAULT_CASES = 3
MAX_CASES = 10
MAX_ENTRIES = 400  # per case, over the checked inputs: each costs four calls of the forward
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,39}$")


@dataclass(frozen=True)
class GradcheckSpec:
    forward: str
    backward: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    loss: tuple[str, ...]
    backward_args: tuple[str, ...]
    gradients: tuple[str, ...]
    # Symbolic shape of every input and output, e.g. {"x": ("T", "B", "I")}; () is a float.
    shapes: Mapping[str, tuple[str, ...]]
    # Inclusive range of each size symbol for the random cases.
    sizes: Mapping[str, tuple[int, int]]
    scales: Mapping[str, float] = field(default_factory=dict)
    # Gradients whose first axis is time (the report names the first time step that disagrees); "backward":
    # the backward pass meets the steps from the last one (BPTT), so that is the order "first" follows.
    time_major: tuple[str, ...] = ()
    time_direction: str = "forward"
    rtol: float = DEFAULT_RTOL
    cases: int = DEFAULT_CASES

    def as_json(self) -> dict[str, Any]:
        """Plain JSON (the manifest's `gradcheck`), which `parse_gradcheck` reads back unchanged."""
        return {
            "forward": self.forward, "backward": self.backward, "inputs": list(self.inputs),
            "outputs": list(self.outputs), "loss": list(self.loss), "backward_args": list(self.backward_args),
            "gradients": list(self.gradients), "shapes": {k: ", ".join(v) for k, v in self.shapes.items()},
            "sizes": {k: list(v) for k, v in self.sizes.items()}, "scales": dict(self.scales),
            "time_major": list(self.time_major), "time_direction": self.time_direction, "rtol": self.rtol,
            "cases": self.cases,
        }

    def upstream(self, output: str) -> str:
        """The backward argument that carries dL/d`output`."""
        return f"d{output}"


def _names(data: Mapping[str, Any], key: str, required: bool = True) -> tuple[str, ...]:
    raw = data.get(key, None if required else [])
    if not isinstance(raw, list) or (required and not raw):
        raise ValueError(f"gradcheck.{key} must be a non-empty list of names")
    names = tuple(str(x) for x in raw)
    bad = [n for n in names if not _NAME.match(n)]
    if bad or len(set(names)) != len(names):
        raise ValueError(f"gradcheck.{key}: names must be unique identifiers, got {list(names)}")
    return names


def _shape(text: Any) -> tuple[str, ...]:
    if not isinstance(text, str):
        raise ValueError(f"gradcheck.shapes: {text!r} is not a string such as \"T, B, H\"")
    return tuple(s.strip() for s in text.split(",") if s.strip())


def parse_gradcheck(data: Any) -> GradcheckSpec | None:
    """The declaration from a spec's `[gradcheck]` table or a manifest (None when there is none). Raises
    ValueError on anything inconsistent, so a teacher learns of it when the spec loads."""
    if data is None:
        return None
    if not isinstance(data, Mapping):
        raise ValueError("gradcheck must be a table")
    known = {"forward", "backward", "inputs", "outputs", "loss", "backward_args", "gradients", "shapes", "sizes",
             "scales", "time_major", "time_direction", "rtol", "cases"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValueError(f"gradcheck: unknown keys {unknown}")
    inputs, outputs = _names(data, "inputs"), _names(data, "outputs")
    loss, gradients = _names(data, "loss"), _names(data, "gradients")
    backward_args = _names(data, "backward_args")
    time_major = _names(data, "time_major", required=False)
    shapes = {str(k): _shape(v) for k, v in dict(data.get("shapes", {})).items()}
    sizes: dict[str, tuple[int, int]] = {}
    for symbol, bounds in dict(data.get("sizes", {})).items():
        if (not isinstance(bounds, list) or len(bounds) != 2 or not all(type(b) is int for b in bounds)
                or not 1 <= bounds[0] <= bounds[1] <= 16):
            raise ValueError(f"gradcheck.sizes.{symbol} must be [low, high] with 1 <= low <= high <= 16")
        sizes[str(symbol)] = (int(bounds[0]), int(bounds[1]))
    scales = {str(k): float(v) for k, v in dict(data.get("scales", {})).items()}
    spec = GradcheckSpec(
        forward=str(data.get("forward", "")), backward=str(data.get("backward", "")), inputs=inputs,
        outputs=outputs, loss=loss, backward_args=backward_args, gradients=gradients, shapes=shapes, sizes=sizes,
        scales=scales, time_major=time_major, time_direction=str(data.get("time_direction", "forward")),
        rtol=float(data.get("rtol", DEFAULT_RTOL)), cases=int(data.get("cases", DEFAULT_CASES)),
    )
    _check(spec)
    return spec


def _check(spec: GradcheckSpec) -> None:
    for function in (spec.forward, spec.backward):
        if not _NAME.match(function):
            raise ValueError(f"gradcheck: {function!r} is not a function name")
    if set(spec.inputs) & set(spec.outputs):
        raise ValueError("gradcheck: an output cannot have an input's name")
    for name, group, pool in (("loss", spec.loss, spec.outputs), ("gradients", spec.gradients, spec.inputs),
                              ("time_major", spec.time_major, spec.gradients)):
        if not set(group) <= set(pool):
            raise ValueError(f"gradcheck.{name} must name some of {list(pool)}")
    missing = [n for n in (*spec.inputs, *spec.outputs) if n not in spec.shapes]
    if missing:
        raise ValueError(f"gradcheck.shapes lacks {missing}")
    symbols = {s for shape in spec.shapes.values() for s in shape}
    if not symbols <= set(spec.sizes):
        raise ValueError(f"gradcheck.sizes lacks {sorted(symbols - set(spec.sizes))}")
    known = {*spec.inputs, *spec.outputs, *spec.sizes, *(spec.upstream(o) for o in spec.loss)}
    unknown = [a for a in spec.backward_args if a not in known]
    if unknown:
        raise ValueError(f"gradcheck.backward_args: {unknown} are neither inputs, outputs, d<loss output> nor sizes")
    if any(not spec.shapes[g] and g in spec.time_major for g in spec.gradients):
        raise ValueError("gradcheck.time_major: a float has no time axis")
    if spec.time_direction not in ("forward", "backward"):
        raise ValueError("gradcheck.time_direction must be forward or backward")
    if not 0 < spec.rtol < 1e-2 or not 1 <= spec.cases <= MAX_CASES:
        raise ValueError(f"gradcheck: rtol in (0, 1e-2) and cases in 1..{MAX_CASES}")
    if any(not 0 < s <= 100 for s in spec.scales.values()) or not set(spec.scales) <= set(spec.inputs):
        raise ValueError("gradcheck.scales: a positive scale per input")
    largest = sum(_size(spec.shapes[g], {k: hi for k, (_lo, hi) in spec.sizes.items()}) for g in spec.gradients)
    if largest > MAX_ENTRIES:
        raise ValueError(f"gradcheck: the largest case has {largest} entries to perturb; keep it <= {MAX_ENTRIES}")


def _size(shape: tuple[str, ...], sizes: Mapping[str, int]) -> int:
    n = 1
    for symbol in shape:
        n *= sizes[symbol]
    return n
