"""The values a contract function returns, seen as named outputs of numbers: what matching a student's answer
against a mutant's needs (grader.mutants), and what part summaries read (grader.patterns).

A function's outputs are named by its part's `outputs` (tuple items) or by the keys of the dict it returns.
Nothing here knows a particular exercise, and nothing here calls into student code (the values were decoded
by grader.wire).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from grader.compare import relative_error
from grader.exercise import Part

# An output the value does not have (a missing dict key, a tuple of the wrong length).
MISSING: Any = object()


def output_names(part: Part, reference: Any) -> tuple[str, ...]:
    """The part's named outputs: its tuple item names, else the keys of the reference's dict, else "" (the
    value itself is the one output)."""
    if part.outputs:
        return part.outputs
    return tuple(str(k) for k in reference) if isinstance(reference, dict) else ("",)


def get_output(value: Any, part: Part, path: str) -> Any:
    """One named top-level output of a contract function's return value ("" names the value itself), or
    MISSING."""
    if path == "" and not part.outputs:
        return value
    if len(part.outputs) == 1 and not isinstance(value, tuple | list):  # one named output, returned on its own
        return value if path == part.outputs[0] else MISSING
    if part.outputs:
        if not isinstance(value, tuple | list) or len(value) != len(part.outputs) or path not in part.outputs:
            return MISSING
        return value[part.outputs.index(path)]
    if isinstance(value, dict):
        return value.get(path, MISSING)
    return MISSING


def numeric_leaves(value: Any) -> list[np.ndarray[Any, Any]] | None:
    """Numeric leaves as float64 arrays, dict keys in a fixed order; None if something is not numeric. Dtypes
    are ignored on purpose: matching looks at values, and compare already reports a float32 result."""
    if isinstance(value, dict):
        out: list[np.ndarray[Any, Any]] = []
        for k in sorted(value, key=str):
            sub = numeric_leaves(value[k])
            if sub is None:
                return None
            out += sub
        return out
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
        return [value.astype(np.float64)]
    if isinstance(value, int | float | np.number) and not isinstance(value, bool | complex):
        return [np.asarray(value, dtype=np.float64)]
    return None


def magnitude(value: Any) -> float:
    """The largest finite absolute entry of a value (0 if none)."""
    leaves = numeric_leaves(value) or []
    finite = [np.abs(a[np.isfinite(a)]) for a in leaves if a.size]
    return max((float(f.max()) for f in finite if f.size), default=0.0)


def distance(a: Any, b: Any, atol: float, equal_nan: bool = False) -> float:
    """max relative error between two outputs of the same structure and shapes, else inf. With `equal_nan`,
    entries non-finite in both (NaN, or the same inf) do not count."""
    if isinstance(a, dict) != isinstance(b, dict) or (isinstance(a, dict) and set(a) != set(b)):
        return float("inf")
    la, lb = numeric_leaves(a), numeric_leaves(b)
    if la is None or lb is None or len(la) != len(lb) or any(x.shape != y.shape for x, y in zip(la, lb, strict=True)):
        return float("inf")
    with np.errstate(all="ignore"):
        if equal_nan:
            la, lb = _without_shared_non_finite(la, lb)
        errors = [relative_error(x, y, atol) for x, y in zip(la, lb, strict=True)]
    worst = max(errors, default=0.0)
    return worst if np.isfinite(worst) else float("inf")


def _without_shared_non_finite(la: list[Any], lb: list[Any]) -> tuple[list[Any], list[Any]]:
    """The leaves without the entries where both are NaN or both the same inf (a mutant that overflows
    where the student's code does reproduces it there)."""
    keep = [~((np.isnan(x) & np.isnan(y)) | (np.isinf(x) & (x == y))) for x, y in zip(la, lb, strict=True)]
    return [x[k] for x, k in zip(la, keep, strict=True)], [y[k] for y, k in zip(lb, keep, strict=True)]


def close(a: Any, b: Any, rtol: float, atol: float, equal_nan: bool = False) -> bool:
    """grader.compare's verdict without its messages (this runs many times per failing part): same structure,
    every key of `b` present in `a`, numeric leaves of equal shape, np.allclose(a, b, rtol, atol) with `b` as
    the reference and NaN never close (unless `equal_nan`: student against mutant, NaN where both are NaN).
    Dtypes are ignored: compare already reports them. Missing in both counts as equal."""
    if a is MISSING or b is MISSING:
        return a is b
    if isinstance(b, dict):
        return isinstance(a, dict) and all(k in a and close(a[k], v, rtol, atol, equal_nan) for k, v in b.items())
    if isinstance(b, tuple | list):
        return (isinstance(a, tuple | list) and len(a) == len(b)
                and all(close(x, y, rtol, atol, equal_nan) for x, y in zip(a, b, strict=True)))
    la, lb = numeric_leaves(a), numeric_leaves(b)
    if not la or not lb or isinstance(a, dict | tuple | list) or la[0].shape != lb[0].shape:
        return False
    with np.errstate(all="ignore"):
        return bool(np.allclose(la[0], lb[0], rtol=rtol, atol=atol, equal_nan=equal_nan))


def non_finite_where_finite(student: Any, reference: Any) -> bool:
    """NaN or inf in the student's output where the reference's is finite (same structure and shapes)."""
    ls, lr = numeric_leaves(student), numeric_leaves(reference)
    if not ls or not lr or len(ls) != len(lr):
        return False
    return any(s.shape == r.shape and bool(np.any(~np.isfinite(s) & np.isfinite(r)))
               for s, r in zip(ls, lr, strict=True))


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [x for v in value.values() for x in _leaves(v)]
    if isinstance(value, tuple | list):
        return [x for v in value for x in _leaves(v)]
    return [value]


def float32_evidence(outputs: list[Any]) -> bool:
    """Some output computed in float32: a float32 array, or an output whose values are (almost all) exactly
    float32 numbers although it is float64 (computed in float32, cast back). Judged per output, because a
    float32 recurrence may feed a float64 readout: h is float32 numbers, y = h @ W_hy.T is not."""
    for output in outputs:
        arrays = [a for a in _leaves(output)
                  if isinstance(a, np.ndarray | np.floating | float) and not isinstance(a, bool)]
        if any(isinstance(a, np.ndarray | np.floating) and a.dtype == np.float32 for a in arrays):
            return True
        if not arrays:
            continue
        values = np.concatenate([np.ravel(np.asarray(a, dtype=np.float64)) for a in arrays])
        values = values[np.isfinite(values) & (values != 0)]
        if values.size == 0:
            continue
        with np.errstate(all="ignore"):
            exact = values.astype(np.float32).astype(np.float64) == values
        if exact.mean() >= 0.9:
            return True
    return False
