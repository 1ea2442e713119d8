"""Cases and their expected outputs in one `.npz` file, readable with `np.load(allow_pickle=False)`.

Used for an exercise's public examples: students load them with NumPy alone (no copy of this package), so
the format is deliberately plain. Key "manifest" holds a 0-d unicode array with a JSON document:

    {"format": "rnn-grader-cases", "version": 1, "exercise": id, "limits": {...},
     "gradcheck": {...}, "student_file": name (both optional),
     "parts": {name: {"function", "points", "rtol", "atol", "title": {"en", "zh"}, "outputs", "time_major",
                      "time_direction", "shapes", "args", "credit" (optional): {"per", "weights"}}},
     "cases": [{"part", "name", "function", "description": {"en", "zh"}, "facts", "scored",
                "args": [node, ...], "expected": node}]}

    node := {"array": key} | {"float": x} | {"int": n} | {"tuple": [node, ...]} | {"dict": {name: node}}

and every array is stored under its own key, named after its place: "c003_arg0", "c003_arg0_W_xh",
"c003_out1". Python floats live in the JSON, whose repr round-trips them exactly.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from grader.exercise import Case, Limits, Part
from grader.result import Text

FORMAT = "rnn-grader-cases"
VERSION = 1
MANIFEST_KEY = "manifest"


class CaseFileError(ValueError):
    """The file is not a case file this version can read, or a value cannot be stored in one."""


class _Encoder:
    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray[Any, Any]] = {}

    def encode(self, value: Any, key: str, root: bool = False) -> dict[str, Any]:
        if isinstance(value, np.ndarray):
            if value.dtype.kind not in "biufc":
                raise CaseFileError(f"{key}: dtype {value.dtype} cannot be stored without pickle")
            if key in self.arrays or key == MANIFEST_KEY:
                raise CaseFileError(f"two arrays would share the key {key!r}")
            self.arrays[key] = value
            return {"array": key}
        if isinstance(value, bool):  # before int: bool is an int subclass
            raise CaseFileError(f"{key}: booleans are not case values")
        if isinstance(value, float):  # includes np.float64
            if not np.isfinite(value):
                raise CaseFileError(f"{key}: non-finite float")
            return {"float": float(value)}
        if isinstance(value, int):
            return {"int": int(value)}
        if isinstance(value, tuple):
            sep = "" if root else "_"
            return {"tuple": [self.encode(v, f"{key}{sep}{i}") for i, v in enumerate(value)]}
        if isinstance(value, dict):
            if not all(isinstance(k, str) for k in value):
                raise CaseFileError(f"{key}: dict keys must be strings")
            return {"dict": {k: self.encode(v, f"{key}_{re.sub(r'[^A-Za-z0-9]', '_', k)}") for k, v in value.items()}}
        raise CaseFileError(f"{key}: cannot store a {type(value).__name__}")


def _part_entry(p: Part) -> dict[str, Any]:
    return {
        "function": p.function,
        "points": p.points,
        "rtol": p.rtol,
        "atol": p.atol,
        "title": {"en": p.title.en, "zh": p.title.zh},
        "outputs": list(p.outputs),
        "time_major": list(p.time_major),
        "time_direction": p.time_direction,
        "shapes": dict(p.shapes),
        "args": list(p.args),
        # Only when not the default, so that a case file of a part with credit per test is unchanged.
        **({"credit": {"per": p.credit.per, "weights": dict(p.credit.weights)}} if p.credit.per != "test" else {}),
    }


def save_cases(
    path: Path,
    cases: Sequence[Case],
    expected: Sequence[Any],
    parts: Sequence[Part],
    *,
    exercise: str = "",
    limits: Limits | None = None,
    gradcheck: Mapping[str, Any] | None = None,
    student_file: str = "",
) -> None:
    """Write `cases` with their expected outputs (same order), and what an offline check needs to grade
    them like the server: the parts (tolerances, output names, ...) and the limits; the exercise's
    gradcheck declaration (grader.gradcheck_spec) for `rnn-grader gradcheck`, and the name of the student's
    file, so the client finds the examples of a file among several exercises' in one folder."""
    if len(cases) != len(expected):
        raise CaseFileError("one expected output per case")
    by_name = {p.name: p for p in parts}
    encoder = _Encoder()
    entries = []
    for i, (case, want) in enumerate(zip(cases, expected, strict=True)):
        if case.part not in by_name:
            raise CaseFileError(f"case {case.name!r} belongs to unknown part {case.part!r}")
        prefix = f"c{i:03d}"
        entries.append(
            {
                "part": case.part,
                "name": case.name,
                "function": by_name[case.part].function,
                "description": {"en": case.description.en, "zh": case.description.zh},
                "facts": dict(case.facts),
                "scored": case.scored,
                "args": encoder.encode(tuple(case.args), f"{prefix}_arg", root=True)["tuple"],
                "expected": encoder.encode(want, f"{prefix}_out", root=True),
            }
        )
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "exercise": exercise,
        "limits": dataclasses.asdict(limits) if limits is not None else None,
        "parts": {p.name: _part_entry(p) for p in parts},
        "cases": entries,
    }
    if gradcheck is not None:
        manifest["gradcheck"] = dict(gradcheck)
    if student_file:
        manifest["student_file"] = student_file
    text = json.dumps(manifest, ensure_ascii=False, allow_nan=False, indent=1)
    with open(path, "wb") as f:
        np.savez_compressed(f, allow_pickle=False, **{MANIFEST_KEY: np.array(text)}, **encoder.arrays)


def read_manifest(path: Path) -> tuple[dict[str, Any], dict[str, np.ndarray[Any, Any]]]:
    """The manifest and every array of a case file."""
    with np.load(path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    raw = arrays.pop(MANIFEST_KEY, None)
    if raw is None or raw.shape != () or raw.dtype.kind != "U":
        raise CaseFileError(f"{path}: no manifest")
    manifest = json.loads(str(raw[()]))
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise CaseFileError(f"{path}: not a {FORMAT} v{VERSION} file")
    return manifest, arrays


def _decode(node: Any, arrays: dict[str, np.ndarray[Any, Any]]) -> Any:
    if not isinstance(node, dict) or len(node) != 1:
        raise CaseFileError(f"bad node {node!r}")
    ((kind, v),) = node.items()
    if kind == "array":
        if v not in arrays:
            raise CaseFileError(f"missing array {v!r}")
        return arrays[v]
    if kind == "float":
        return float(v)
    if kind == "int":
        return int(v)
    if kind == "tuple":
        return tuple(_decode(x, arrays) for x in v)
    if kind == "dict":
        return {k: _decode(x, arrays) for k, x in v.items()}
    raise CaseFileError(f"unknown node kind {kind!r}")


def load_cases(path: Path) -> list[tuple[Case, Any]]:
    """Every case in the file with its expected output, in the order they were saved."""
    manifest, arrays = read_manifest(path)
    out: list[tuple[Case, Any]] = []
    for entry in manifest["cases"]:
        case = Case(
            part=entry["part"],
            name=entry["name"],
            description=Text(**entry["description"]),
            args=tuple(_decode(a, arrays) for a in entry["args"]),
            facts=entry["facts"],
            scored=bool(entry.get("scored", True)),
        )
        out.append((case, _decode(entry["expected"], arrays)))
    return out


# Reference outputs are recomputed with whatever BLAS kernel and SIMD tanh this machine picks: a matrix product
# may round its last bit differently from the machine that wrote the file (inputs never do: they are built in
# portable arithmetic). 1e-12 is 1000x below the tightest grading tolerance (1e-9), so a real change of the
# reference still shows.
OUTPUT_RTOL = 1e-12


def identical(a: Any, b: Any) -> bool:
    """Same structure, same types, arrays equal bit for bit in value, dtype and shape."""
    if isinstance(a, dict):
        return isinstance(b, dict) and list(a) == list(b) and all(identical(a[k], b[k]) for k in a)
    if isinstance(a, tuple):
        return isinstance(b, tuple) and len(a) == len(b) and all(map(identical, a, b))
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b)
    return type(a) is type(b) and a == b


def close(a: Any, b: Any) -> bool:
    """Same structure, types, dtypes and shapes as `identical`; numbers within OUTPUT_RTOL."""
    if isinstance(a, dict):
        return isinstance(b, dict) and list(a) == list(b) and all(close(a[k], b[k]) for k in a)
    if isinstance(a, tuple):
        return isinstance(b, tuple) and len(a) == len(b) and all(map(close, a, b))
    if isinstance(a, np.ndarray):
        return (isinstance(b, np.ndarray) and a.dtype == b.dtype and a.shape == b.shape
                and np.allclose(a, b, rtol=OUTPUT_RTOL, atol=0.0))
    if isinstance(a, float) and type(b) is float:
        return bool(np.isclose(a, b, rtol=OUTPUT_RTOL, atol=0.0))
    return type(a) is type(b) and a == b


def same_cases(a: Sequence[tuple[Case, Any]], b: Sequence[tuple[Case, Any]]) -> bool:
    """Inputs bit for bit (they come from the seeded generator), outputs within OUTPUT_RTOL."""
    return len(a) == len(b) and all(
        (ca.part, ca.name, ca.description, dict(ca.facts), ca.scored)
        == (cb.part, cb.name, cb.description, dict(cb.facts), cb.scored)
        and identical(ca.args, cb.args)
        and close(ea, eb)
        for (ca, ea), (cb, eb) in zip(a, b, strict=True)
    )
