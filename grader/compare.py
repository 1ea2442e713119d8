"""Compare what the student returned with the reference, in the trusted process.

The order is fixed and each step has its own message: None -> type -> shape -> dtype -> non-finite ->
closeness (np.allclose(student, reference, rtol, atol), reference second as NumPy expects). The student's
value has already been reduced to plain arrays, scalars, dicts, tuples or an `Opaque` type name by
grader.wire, so nothing here calls into student code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from grader.exercise import Part
from grader.messages import CATALOG, msg
from grader.result import Text
from grader.wire import Opaque

FloatArray = np.ndarray[Any, np.dtype[np.float64]]


@dataclass
class Mismatch:
    """Why one returned value is wrong; `path` names it ("y", "W_hh", "clipped.b_h")."""

    path: str
    kind: str  # none | type | length | keys | shape | dtype | non_finite | not_close
    message: Text
    rel_error: float | None = None
    # For a time-major output: where along time it goes wrong ("first wrong at time step t=3 of T").
    where: Text | None = None


@dataclass
class Comparison:
    mismatches: list[Mismatch] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.mismatches


def label(function: str, path: str) -> str:
    """How feedback names one returned value: "rnn_forward() → h", "clip_grad_norm() → clipped['W_xh']"."""
    if not path:
        return f"{function}()"
    head, _, rest = path.partition(".")
    return f"{function}() → {head}" + "".join(f"[{k!r}]" for k in rest.split(".") if rest)


def _type_name(value: Any) -> str:
    if isinstance(value, Opaque):
        if value.shape is not None:
            return f"an array too large to return (shape with {len(value.shape)} axes)"
        return value.type_name
    if isinstance(value, np.ndarray):
        return "ndarray"
    if isinstance(value, np.generic):
        return "a NumPy scalar"
    return type(value).__name__


def _symbolic(shape: tuple[int, ...], facts: dict[str, Any], symbols: str | None) -> str:
    """Name a shape in symbols where the sizes are unambiguous, so feedback shows no hidden sizes."""
    if symbols is not None and len(symbols.split(",")) == len(shape):
        return f"({symbols.strip()})"
    by_size: dict[int, list[str]] = {}
    for name, size in facts.items():
        if isinstance(size, int) and len(name) == 1 and name.isupper():
            by_size.setdefault(size, []).append(name)
    parts = [by_size[d][0] if len(by_size.get(d, [])) == 1 else str(d) for d in shape]
    return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"


def allclose(student: FloatArray, reference: FloatArray, rtol: float, atol: float) -> bool:
    """np.allclose(student, reference, rtol, atol, equal_nan=False), with the reference second.

    When every entry is finite, np.isclose is exactly |s - r| <= atol + rtol * |r|; evaluating that
    directly skips isclose's broadcasting and inf handling, a third of grading's comparison time.
    """
    with np.errstate(all="ignore"):
        diff = np.abs(student - reference)
        bound = atol + rtol * np.abs(reference)
        if np.isfinite(diff).all() and np.isfinite(bound).all():
            return bool((diff <= bound).all())
        return bool(np.allclose(student, reference, rtol=rtol, atol=atol, equal_nan=False))


def relative_error(student: FloatArray, reference: FloatArray, atol: float) -> float:
    """max |s - r| / max(|r|, atol): one number a student can compare across tests."""
    with np.errstate(all="ignore"):
        denom = np.maximum(np.abs(reference), atol)
        return float(np.max(np.abs(student - reference) / denom)) if reference.size else 0.0


def _time_where(student: FloatArray, reference: FloatArray, part: Part) -> Text | None:
    """For a time-major array, where along time the result first goes wrong."""
    if reference.ndim < 1 or reference.shape[0] < 2:
        return None
    bad = [
        not allclose(student[t], reference[t], part.rtol, part.atol)
        for t in range(reference.shape[0])
    ]
    if all(bad):
        return msg("where_time_all")
    if part.time_direction == "backward":
        last_bad = max(t for t, b in enumerate(bad) if b)
        good = reference.shape[0] - 1 - last_bad
        return msg("where_time_backward", good=good, good_plus=good + 1)
    first_bad = min(t for t, b in enumerate(bad) if b)
    return msg("where_time_forward", step=first_bad + 1)


def compare(student: Any, reference: Any, part: Part, facts: dict[str, Any]) -> Comparison:
    result = Comparison()
    _walk(student, reference, part, facts, single_output(part, reference), result)
    return result


def single_output(part: Part, reference: Any) -> str:
    """The name of a part's only output when the function returns it on its own (not in a tuple), else ""."""
    return part.outputs[0] if len(part.outputs) == 1 and not isinstance(reference, tuple | list) else ""


def _walk(student: Any, reference: Any, part: Part, facts: dict[str, Any], path: str, out: Comparison) -> None:
    what = label(part.function, path)
    if student is None:
        out.mismatches.append(Mismatch(path, "none", msg("returned_none", what=what)))
        return
    if isinstance(reference, tuple):
        if not isinstance(student, tuple | list):
            expected = f"a tuple ({', '.join(part.outputs)})" if part.outputs else "a tuple"
            out.mismatches.append(
                Mismatch(path, "type", msg("wrong_type", what=what, expected=expected, got=_type_name(student)))
            )
            return
        if len(student) != len(reference):
            out.mismatches.append(
                Mismatch(
                    path,
                    "length",
                    msg("wrong_length", what=what, expected=len(reference), got=len(student),
                        names=", ".join(part.outputs) or "-"),
                )
            )
            return
        for i, (s, r) in enumerate(zip(student, reference, strict=True)):
            name = part.outputs[i] if not path and i < len(part.outputs) else str(i)
            _walk(s, r, part, facts, f"{path}.{name}" if path else name, out)
        return
    if isinstance(reference, dict):
        if not isinstance(student, dict):
            out.mismatches.append(
                Mismatch(path, "type", msg("wrong_type", what=what, expected="a dict", got=_type_name(student)))
            )
            return
        missing = [k for k in reference if k not in student]
        if missing:
            out.mismatches.append(
                Mismatch(path, "keys", msg("missing_keys", what=what, keys=", ".join(repr(k) for k in missing)))
            )
        for key, r in reference.items():
            if key in student:
                _walk(student[key], r, part, facts, f"{path}.{key}" if path else key, out)
        return
    _compare_leaf(student, reference, part, facts, path, what, out)


def _compare_leaf(
    student: Any, reference: Any, part: Part, facts: dict[str, Any], path: str, what: str, out: Comparison
) -> None:
    scalar_expected = not isinstance(reference, np.ndarray)
    ref_dtype = reference.dtype if isinstance(reference, np.ndarray) else np.dtype(np.float64)
    ref = np.asarray(reference, dtype=np.float64)
    if isinstance(student, Opaque) and student.shape is not None:
        got = _symbolic(student.shape, facts, None)
        expected = _symbolic(ref.shape, facts, part.shapes.get(path))
        out.mismatches.append(Mismatch(path, "shape", msg("wrong_shape", what=what, expected=expected, got=got)))
        return
    numeric = isinstance(student, np.ndarray | np.number | int | float) and not isinstance(student, bool)
    if not numeric or (isinstance(student, np.ndarray) and student.dtype.kind not in "biufc"):
        expected = "a float" if scalar_expected else "a NumPy ndarray"
        out.mismatches.append(
            Mismatch(path, "type", msg("wrong_type", what=what, expected=expected, got=_type_name(student)))
        )
        return
    arr = np.asarray(student)
    if not scalar_expected and not isinstance(student, np.ndarray):
        out.mismatches.append(
            Mismatch(path, "type", msg("wrong_type", what=what, expected="a NumPy ndarray", got=_type_name(student)))
        )
        return
    if arr.shape != ref.shape:
        expected = _symbolic(ref.shape, facts, part.shapes.get(path))
        got = _symbolic(arr.shape, facts, None)
        out.mismatches.append(Mismatch(path, "shape", msg("wrong_shape", what=what, expected=expected, got=got)))
        return
    if not scalar_expected and arr.dtype != ref_dtype:
        out.mismatches.append(Mismatch(path, "dtype", msg("wrong_dtype", what=what, got=arr.dtype.name)))
        return
    if arr.dtype.kind == "c":
        out.mismatches.append(
            Mismatch(path, "type", msg("wrong_type", what=what, expected="real numbers", got="complex numbers"))
        )
        return
    s = arr if arr.dtype == np.float64 else arr.astype(np.float64)
    # The common case, a right answer, in one pass of ufuncs: every entry within atol + rtol |r| of a finite
    # reference is exactly np.allclose passing (a NaN or inf in the student's array never compares <=).
    with np.errstate(all="ignore"):
        if (np.abs(s - ref) <= part.atol + part.rtol * np.abs(ref)).all() and np.isfinite(ref).all():
            return
    ref_finite = np.isfinite(ref)
    bad = ~np.isfinite(s) & ref_finite
    if bad.any():
        kind = "NaN" if np.isnan(s[bad]).any() else "inf"
        where = _time_where(np.where(np.isfinite(s), s, np.inf), ref, part) if path in part.time_major else None
        out.mismatches.append(Mismatch(path, "non_finite", _with_where("non_finite", what, where, kind=kind),
                                       where=where))
        return
    if not allclose(s, ref, part.rtol, part.atol):
        rel = relative_error(s, ref, part.atol)
        where = _time_where(s, ref, part) if path in part.time_major else None
        message = _with_where("not_close", what, where, rel_error=f"{rel:.2e}", rtol=part.rtol, atol=part.atol)
        out.mismatches.append(Mismatch(path, "not_close", message, rel_error=rel, where=where))


def _with_where(key: str, what: str, where: Text | None, **params: Any) -> Text:
    entry = CATALOG[key]
    shown = {k: (f"{v:.3g}" if isinstance(v, float) else str(v)) for k, v in params.items()}
    return Text(
        en=entry["en"].format(what=what, where=where.en if where else "", **shown),
        zh=entry["zh"].format(what=what, where=where.zh if where else "", **shown),
    )
