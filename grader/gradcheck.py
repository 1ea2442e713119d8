"""`rnn-grader gradcheck`: a student's backward against central finite differences of their own forward.

Offline, on the student's machine, with no reference solution and no hidden case: a few small random float64
cases drawn from the exercise's declaration (grader.gradcheck_spec), and the student's file run by the same
harness and subprocess runner as `check` (grader.runner.LocalRunner), twice: first the forward on each case
and on each checked input with one entry moved by +-h and +-2h, then the backward on each case, given the random
upstream gradient and the student's own forward outputs. With L = sum_k <dL/d out_k, out_k>, each entry's
derivative is estimated by central differences D(h) = (L(+h) - L(-h)) / 2h at h, 2h and 4h, extrapolated
twice (Richardson: error O(h^6)), far below the tolerance (grader.gradcheck_spec), so what disagrees is the
backward.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping, Sequence
from enum import StrEnum
from typing import Any

import numpy as np
from numpy.typing import NDArray

from grader import harness, wire
from grader.exercise import Limits
from grader.gradcheck_spec import GradcheckSpec
from grader.gradcheck_text import text
from grader.messages import msg
from grader.procedure import death_feedback, error_feedback, import_feedback, missing_functions
from grader.result import Text
from grader.runner import LocalRunner, Runner

Array = NDArray[np.float64]
STEP = 2e-3
# Central differences at h, 2h and 4h, combined by Richardson extrapolation twice (errors O(h^4), then O(h^6)).
SCALES = (1, 2, 4)
STEPS = tuple(sign * k * STEP for k in SCALES for sign in (1, -1))
# An entry's error is measured against at least this fraction of its tensor's largest entry: an entry that is
# zero up to rounding has no meaningful relative error of its own.
FLOOR = 1e-2
# Above the tolerance but below this, a gradient is "close but not exact" (float32, an approximation).
NEARLY = 1e-4
# Your own code on your own machine: generous limits, as `check` has.
LIMITS = Limits(cpu_time_limit_s=60.0, wall_time_limit_s=120.0, memory_limit_mib=2048)


class Status(StrEnum):
    passed = "passed"
    failed = "failed"  # a gradient disagrees: exit status 1
    error = "error"  # nothing could be compared (the file does not run, the forward fails): exit status 2


@dataclasses.dataclass(frozen=True)
class RandomCase:
    sizes: dict[str, int]
    inputs: dict[str, Any]  # arrays, or floats for inputs of shape ()
    upstream: dict[str, Array]  # the backward argument ("dy") -> dL/d that output


def shape_of(spec: GradcheckSpec, name: str, sizes: Mapping[str, int]) -> tuple[int, ...]:
    return tuple(sizes[s] for s in spec.shapes[name])


def draw_cases(spec: GradcheckSpec, seed: int = 0) -> list[RandomCase]:
    """The random cases: the first with every size at its largest (the longest sequence: a mistake that shows
    only some steps back in time shows there), the others within the declared ranges; entries N(0, scale^2),
    one stream per case."""
    cases = []
    for k in range(spec.cases):
        rng = np.random.default_rng([seed, k])
        sizes = {s: hi if k == 0 else int(rng.integers(lo, hi + 1)) for s, (lo, hi) in spec.sizes.items()}
        inputs: dict[str, Any] = {}
        for name in spec.inputs:
            shape = shape_of(spec, name, sizes)
            value = rng.standard_normal(shape) * spec.scales.get(name, 0.5)
            inputs[name] = value if shape else float(value)
        upstream = {spec.upstream(o): rng.standard_normal(shape_of(spec, o, sizes)) for o in spec.loss}
        cases.append(RandomCase(sizes, inputs, upstream))
    return cases


def _entries(value: Any) -> Iterator[tuple[int, ...]]:
    return iter([()]) if not isinstance(value, np.ndarray) else np.ndindex(value.shape)


def _moved(case: RandomCase, spec: GradcheckSpec, name: str, index: tuple[int, ...], delta: float) -> tuple[Any, ...]:
    inputs = dict(case.inputs)
    value = inputs[name]
    if isinstance(value, np.ndarray):
        value = value.copy()
        value[index] += delta
    else:
        value = value + delta
    inputs[name] = value
    return tuple(inputs[n] for n in spec.inputs)


@dataclasses.dataclass
class TensorCheck:
    """One gradient over every case: its largest relative error, and what went wrong first."""

    name: str
    symbols: str
    max_rel_error: float | None = 0.0  # None: it could not be compared (missing, wrong shape, ...)
    problem: Text | None = None
    first: Text | None = None  # where it first disagrees
    first_case: int | None = None  # 1-based
    first_step: int | None = None
    steps: int | None = None
    tol: float = 0.0

    @property
    def ok(self) -> bool:
        return self.problem is None and self.max_rel_error is not None and self.max_rel_error <= self.tol


@dataclasses.dataclass
class GradcheckReport:
    status: Status
    spec: GradcheckSpec
    exercise: str
    seed: int
    cases: list[dict[str, int]]
    tensors: list[TensorCheck]
    verdict: Text
    output: str = ""

    @property
    def ok(self) -> bool:
        return self.status is Status.passed

    @property
    def exit_code(self) -> int:
        return {Status.passed: 0, Status.failed: 1, Status.error: 2}[self.status]

    def first_disagreement(self) -> dict[str, Any] | None:
        for t in self.tensors:
            if not t.ok:
                return {"tensor": t.name, "case": t.first_case, "step": t.first_step}
        return None

    def as_json(self, lang: str) -> dict[str, Any]:
        """The `--json` document: {"ok", "status", "tensors": [{"name", "max_rel_error", "ok", ...}], ...}."""
        return {
            "ok": self.ok,
            "status": self.status.value,
            "exercise": self.exercise,
            "forward": self.spec.forward,
            "backward": self.spec.backward,
            "tolerance": self.spec.rtol,
            "step": STEP,
            "seed": self.seed,
            "cases": self.cases,
            "tensors": [
                {"name": t.name, "shape": t.symbols, "max_rel_error": t.max_rel_error, "ok": t.ok,
                 "first_step": t.first_step, "steps": t.steps, "note": t.problem.get(lang) if t.problem else None}
                for t in self.tensors
            ],
            "first_disagreement": self.first_disagreement(),
            "verdict": self.verdict.get(lang),
            "output": self.output,
        }


def _error(spec: GradcheckSpec, exercise: str, seed: int, cases: Sequence[RandomCase], reason: Text,
           output: str = "") -> GradcheckReport:
    return GradcheckReport(Status.error, spec, exercise, seed, [c.sizes for c in cases], [],
                           text("cannot_run", reason=reason), output)


# ---------------------------------------------------------------- running the student's functions

@dataclasses.dataclass(frozen=True)
class _Answer:
    value: Any = None
    error: Text | None = None


def _run(runner: Runner, source: str, filename: str, calls: list[tuple[str, tuple[Any, ...]]],
         limits: Limits) -> tuple[list[_Answer] | Text, str]:
    """Every call's answer (in order), or why the file could not be run; and what it printed."""
    max_blob = limits.result_limit_mib * 1024 * 1024
    report = runner.run(harness.encode_payload(source, filename, calls, max_blob), limits)
    output = report.output.decode("utf-8", "replace")[-4000:]
    try:
        records = wire.decode_records(report.result, max_elements=max_blob // 8)
    except wire.WireError:
        records = []
    if not records or records[0][0].get("harness") != "ready":
        return msg("grader_error"), output
    head = records[1][0] if len(records) > 1 else None
    if head is None or "import" not in head:
        return death_feedback(report, "import", limits)[1], output
    if head["import"] != "ok":
        return import_feedback(head), output
    missing = missing_functions(head)
    if missing:
        return msg("missing_function", function=missing[0]), output
    by_call: dict[int, tuple[dict[str, Any], list[Any]]] = {}
    for header, blobs in records[2:]:
        j = header.get("call")
        if type(j) is int and j not in by_call:
            by_call[j] = (header, blobs)
    answers = []
    for j, (function, _args) in enumerate(calls):
        if j not in by_call:  # the child stopped during this call (time, memory, a crash)
            return death_feedback(report, function, limits)[1], output
        header, blobs = by_call[j]
        if header.get("ok") is not True:
            answers.append(_Answer(error=error_feedback(function, header.get("error"), limits, True)[1]))
            continue
        try:
            answers.append(_Answer(value=wire.decode_value(header.get("tree"), blobs)))
        except wire.WireError:
            answers.append(_Answer(error=msg("wrong_type", what=f"{function}()", expected="arrays",
                                             got="something that cannot be read back")))
    return answers, output


def _type_name(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"array of dtype {value.dtype}"
    return type(value).__name__


def _forward_outputs(spec: GradcheckSpec, case: RandomCase, value: Any) -> dict[str, Array] | Text:
    """The forward's named outputs as float64 arrays, or why they are not what the declaration says."""
    names = spec.outputs
    items = [value] if len(names) == 1 and not isinstance(value, tuple | list) else value
    expected = names[0] if len(names) == 1 else f"a tuple ({', '.join(names)})"
    if not isinstance(items, tuple | list) or len(items) != len(names):
        return text("forward_structure", forward=spec.forward, expected=expected, got=_type_name(value))
    out: dict[str, Array] = {}
    for name, item in zip(names, items, strict=True):
        want = shape_of(spec, name, case.sizes)
        if isinstance(item, float | int) and not isinstance(item, bool) and want == ():
            item = np.float64(item)
        if not isinstance(item, np.ndarray | np.floating) or item.dtype.kind not in "fiu":
            return text("forward_structure", forward=spec.forward, expected=expected, got=_type_name(item))
        if item.shape != want:
            return text("forward_shape", forward=spec.forward, output=name, got=item.shape,
                        symbols=", ".join(spec.shapes[name]), want=want, sizes=_sizes(case.sizes))
        if item.dtype != np.float64:
            return text("forward_dtype", forward=spec.forward, output=name, dtype=item.dtype)
        if not np.all(np.isfinite(item)):
            return text("forward_not_finite", forward=spec.forward, sizes=_sizes(case.sizes))
        out[name] = np.asarray(item, dtype=np.float64)
    return out


def _sizes(sizes: Mapping[str, int]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sizes.items())


def _loss(spec: GradcheckSpec, case: RandomCase, outputs: Mapping[str, Array]) -> float:
    return float(sum(np.sum(case.upstream[spec.upstream(o)] * outputs[o]) for o in spec.loss))


def relative_errors(analytic: Array, numeric: Array) -> Array:
    """|a - n| / max(|a|, |n|, FLOOR * max|n|): per entry, against the tensor's scale for near-zero entries."""
    floor = max(FLOOR * float(np.max(np.abs(numeric), initial=0.0)), float(np.finfo(np.float64).tiny))
    denominator = np.maximum(np.maximum(np.abs(analytic), np.abs(numeric)), floor)
    errors: Array = np.abs(analytic - numeric) / denominator
    return errors


def gradcheck_source(source: str, filename: str, spec: GradcheckSpec, *, exercise: str = "",
                     runner: Runner | None = None, limits: Limits = LIMITS, seed: int = 0) -> GradcheckReport:
    """Check the backward of `source` against finite differences of its forward, as declared by `spec`."""
    runner = runner or LocalRunner()
    cases = draw_cases(spec, seed)
    calls: list[tuple[str, tuple[Any, ...]]] = []
    plan: list[tuple[int, str, tuple[int, ...], float] | None] = []  # None: a case's unmoved forward
    for k, case in enumerate(cases):
        calls.append((spec.forward, tuple(case.inputs[n] for n in spec.inputs)))
        plan.append(None)
        for name in spec.gradients:
            for index in _entries(case.inputs[name]):
                for delta in STEPS:
                    calls.append((spec.forward, _moved(case, spec, name, index, delta)))
                    plan.append((k, name, index, delta))
    answers, output = _run(runner, source, filename, calls, limits)
    if isinstance(answers, Text):
        return _error(spec, exercise, seed, cases, answers, output)
    base: list[dict[str, Array]] = []
    losses: dict[tuple[int, str, tuple[int, ...], float], float] = {}
    for j, step in enumerate(plan):
        k = len(base) if step is None else step[0]
        answer = answers[j]
        outputs = answer.error or _forward_outputs(spec, cases[k], answer.value)
        if step is None:
            if isinstance(outputs, Text):
                return _error(spec, exercise, seed, cases, outputs, output)
            base.append(outputs)
        elif isinstance(outputs, Text):
            _, name, index, delta = step
            return _error(spec, exercise, seed, cases, text(
                "forward_perturbed", forward=spec.forward, index=list(index), input=name, step=f"{delta:+g}",
                what=outputs if answer.error else text("forward_perturbed_what")), output)
        else:
            losses[step] = _loss(spec, cases[k], outputs)
    numeric = [_numeric_gradients(spec, k, case, losses) for k, case in enumerate(cases)]
    backward_calls = [(spec.backward, _backward_args(spec, case, base[k])) for k, case in enumerate(cases)]
    answers, more = _run(runner, source, filename, backward_calls, limits)
    output = (output + more)[-4000:]
    if isinstance(answers, Text):
        return _error(spec, exercise, seed, cases, answers, output)
    for answer in answers:
        if answer.error is not None:
            return _error(spec, exercise, seed, cases, answer.error, output)
    tensors = [_check_tensor(spec, name, [a.value for a in answers], numeric) for name in spec.gradients]
    return GradcheckReport(_status(tensors), spec, exercise, seed, [c.sizes for c in cases], tensors,
                           _verdict(spec, tensors), output)


def _numeric_gradients(spec: GradcheckSpec, k: int, case: RandomCase,
                       losses: Mapping[tuple[int, str, tuple[int, ...], float], float]) -> dict[str, Array]:
    out = {}
    for name in spec.gradients:
        grad = np.zeros(np.shape(case.inputs[name]))
        for index in _entries(case.inputs[name]):
            d1, d2, d4 = ((losses[(k, name, index, m * STEP)] - losses[(k, name, index, -m * STEP)]) / (2 * m * STEP)
                          for m in SCALES)
            grad[index] = (16 * (4 * d1 - d2) / 3 - (4 * d2 - d4) / 3) / 15
        out[name] = grad
    return out


def _backward_args(spec: GradcheckSpec, case: RandomCase, outputs: Mapping[str, Array]) -> tuple[Any, ...]:
    args: list[Any] = []
    for name in spec.backward_args:
        if name in case.upstream:
            args.append(case.upstream[name])
        elif name in outputs:
            args.append(outputs[name])
        elif name in case.inputs:
            args.append(case.inputs[name])
        else:
            args.append(case.sizes[name])
    return tuple(args)


_MISSING = object()


def _gradient(spec: GradcheckSpec, value: Any, name: str) -> Any:
    if isinstance(value, dict):
        return value.get(name, _MISSING)
    if len(spec.gradients) == 1 and not isinstance(value, tuple | list):
        return value
    if isinstance(value, tuple | list) and len(value) == len(spec.gradients):
        return value[spec.gradients.index(name)]
    return _MISSING


def _check_tensor(spec: GradcheckSpec, name: str, answers: Sequence[Any],
                  numeric: Sequence[Mapping[str, Array]]) -> TensorCheck:
    check = TensorCheck(name=name, symbols=", ".join(spec.shapes[name]), tol=spec.rtol)
    worst = 0.0
    for k, answer in enumerate(answers):
        got = _gradient(spec, answer, name)
        want = numeric[k][name]
        problem = _unusable(spec, name, got, want)
        if problem is not None:
            return dataclasses.replace(check, max_rel_error=None, problem=problem, first_case=k + 1,
                                       first=text("first_entry", tensor=name, case=k + 1))
        analytic = np.asarray(got, dtype=np.float64)
        if np.asarray(got).dtype != np.float64 and check.problem is None:
            check.problem = text("dtype", tensor=name, dtype=np.asarray(got).dtype)
        errors = relative_errors(analytic, want)
        worst = max(worst, float(np.max(errors, initial=0.0)))
        if check.first is None and np.any(errors > spec.rtol):
            _locate(spec, check, k, errors)
    check.max_rel_error = worst
    if check.problem is None and spec.rtol < worst <= NEARLY:
        check.problem = text("nearly", tensor=name, error=worst)
    return check


def _unusable(spec: GradcheckSpec, name: str, got: Any, want: Array) -> Text | None:
    """Why the returned gradient cannot be compared at all: missing, not numbers, wrong shape, NaN/inf."""
    if got is _MISSING:
        return text("missing", backward=spec.backward, tensor=name)
    if isinstance(got, float | int) and not isinstance(got, bool):
        got = np.float64(got)
    if not isinstance(got, np.ndarray | np.floating) or got.dtype.kind not in "fiu":
        return text("not_array", tensor=name, got=_type_name(got))
    if got.shape != want.shape:
        return text("shape", tensor=name, got=got.shape, symbols=", ".join(spec.shapes[name]), want=want.shape)
    if not np.all(np.isfinite(np.asarray(got, dtype=np.float64))):
        return text("not_finite", tensor=name)
    return None


def _locate(spec: GradcheckSpec, check: TensorCheck, k: int, errors: Array) -> None:
    """Where this tensor first disagrees, in case k: the time step the computation meets first, if it has one."""
    check.first_case = k + 1
    if check.name not in spec.time_major or errors.ndim == 0:
        check.first = text("first_entry", tensor=check.name, case=k + 1)
        return
    bad = np.flatnonzero(np.any(errors.reshape(errors.shape[0], -1) > spec.rtol, axis=1))
    backward = spec.time_direction == "backward"
    step = int(bad.max() if backward else bad.min()) + 1
    check.first_step, check.steps = step, int(errors.shape[0])
    key = "first_step_backward" if backward else "first_step"
    check.first = text(key, tensor=check.name, case=k + 1, step=step, T=check.steps)


def _status(tensors: Sequence[TensorCheck]) -> Status:
    return Status.passed if all(t.ok for t in tensors) else Status.failed


def _verdict(spec: GradcheckSpec, tensors: Sequence[TensorCheck]) -> Text:
    bad = [t for t in tensors if not t.ok]
    if not bad:
        worst = max((t.max_rel_error or 0.0 for t in tensors), default=0.0)
        return text("passed", backward=spec.backward, forward=spec.forward, error=f"{worst:.1e}",
                    tol=f"{spec.rtol:g}", cases=spec.cases)
    where = bad[0].first or text("first_entry", tensor=bad[0].name, case=1)
    return text("failed", tensors=", ".join(f"dL/d{t.name}" for t in bad), backward=spec.backward,
                forward=spec.forward, first=where)
