"""Walking the values a part function takes and returns: numeric leaves with their paths, how much of a part's
tolerance one answer uses against another, inputs moved by rounding, declared shapes resolved from facts."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from grader.exercise import Part

_SYMBOL = re.compile(r"^\s*([A-Za-z_]\w*)\s*(?:([+-])\s*(\d+))?\s*$")


def leaves(value: Any, path: str = "") -> Iterator[tuple[str, np.ndarray[Any, Any]]]:
    """(path, float64 array) for every numeric leaf; tuple items by index, dict items by key."""
    if isinstance(value, dict):
        for key in value:
            yield from leaves(value[key], f"{path}.{key}" if path else str(key))
    elif isinstance(value, tuple | list):
        for i, item in enumerate(value):
            yield from leaves(item, f"{path}.{i}" if path else str(i))
    else:
        yield path, np.asarray(value, dtype=np.float64)


def used_fraction(got: Any, want: Any, part: Part) -> float:
    """max |got - want| / (atol + rtol |want|) over every entry: 1.0 is the edge of the part's tolerance; inf when
    the two do not have the same structure and shapes."""
    pairs = list(zip(leaves(got), leaves(want), strict=False))
    if len(pairs) != len(list(leaves(want))):
        return float("inf")
    worst = 0.0
    with np.errstate(all="ignore"):
        for (path_g, g), (path_w, w) in pairs:
            if path_g != path_w or g.shape != w.shape:
                return float("inf")
            if g.size:
                used = np.abs(g - w) / (part.atol + part.rtol * np.abs(w))
                worst = max(worst, float(np.max(np.where(np.isnan(used), np.inf, used))))
    return worst


def moved(value: Any, rng: np.random.Generator, relative: float) -> Any:
    """The value with every float multiplied by (1 + u), u uniform in [-relative, relative]; ints unchanged."""
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        return value * (1.0 + rng.uniform(-relative, relative, value.shape))
    if isinstance(value, dict):
        return {k: moved(v, rng, relative) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return type(value)(moved(v, rng, relative) for v in value)
    if isinstance(value, float):
        return value * (1.0 + float(rng.uniform(-relative, relative)))
    return value


def in_float32(value: Any) -> Any:
    """The value with every float rounded to float32 (and kept as float64): what float32 code starts from."""
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        return value.astype(np.float32).astype(np.float64)
    if isinstance(value, dict):
        return {k: in_float32(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return type(value)(in_float32(v) for v in value)
    if isinstance(value, float):
        return float(np.float32(value))
    return value


def expected_shape(symbols: str, facts: Mapping[str, Any]) -> tuple[int | None, ...]:
    """ "T+1, B" with facts {T: 5, B: 2} -> (6, 2); a symbol the facts do not give is None (not checked)."""
    out: list[int | None] = []
    for item in symbols.split(","):
        found = _SYMBOL.match(item)
        base = facts.get(found.group(1)) if found else None
        if found is None or not isinstance(base, int):
            out.append(None)
            continue
        offset = int(found.group(3) or 0) * (-1 if found.group(2) == "-" else 1)
        out.append(base + offset)
    return tuple(out)


def output_at(value: Any, part: Part, path: str) -> Any:
    """The output a part's `shapes` key names: a tuple item by its name in `outputs`, else a dict key; a part
    whose only output is returned on its own is that value. None when there is no such output."""
    if len(part.outputs) == 1 and not isinstance(value, tuple | list):
        return value if path == part.outputs[0] else None
    head, _, rest = path.partition(".")
    if part.outputs and isinstance(value, tuple | list) and head in part.outputs:
        found = value[part.outputs.index(head)]
    elif isinstance(value, dict):
        found = value.get(head)
    else:
        return None
    for key in rest.split(".") if rest else ():
        found = found.get(key) if isinstance(found, dict) else None
    return found
