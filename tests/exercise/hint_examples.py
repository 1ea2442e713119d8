"""The numbers of hint level 3 (a worked micro-example, grader.hints) as data a test recomputes, for any exercise.

An exercise's table (hint_examples_<exercise>.py) lists, per named mistake, the inputs its example uses and each
number the text states: what the base solution computes (`right`) and what the mistake's own mutant computes
(`wrong`), written as the text writes them. `check_worked` runs both on copies of the inputs and requires the
values, rounded to the digits shown, and both numbers in the English and the Chinese text. Nothing here knows an
exercise: the base solution is the catalogue module's BASE_SOURCE, the mutant is the catalogue's own variant."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from grader.mutants import Misconception

# A value of the result (or of the caller's inputs after the call), from the result and the inputs.
Reading = Callable[[Any, tuple[Any, ...]], float]


@dataclass(frozen=True)
class Worked:
    """One number an example states: the base solution's and the mutant's value, as the text writes them."""

    args: tuple[Any, ...]
    reading: Reading
    right: str
    wrong: str
    variant: int = 0


def arr(*shape_and_values: Any) -> np.ndarray:
    """arr(T, B, H, [values...]): a float64 array of that shape."""
    *shape, values = shape_and_values
    return np.array(values, dtype=np.float64).reshape(shape)


def one(value: float) -> np.ndarray:
    """A (1, 1) array: one sample of one unit (h0, a weight of one input and one unit, a gradient)."""
    return arr(1, 1, value)


def _walk(value: Any, path: tuple[Any, ...]) -> float:
    for step in path:
        value = value[step]
    return float(np.asarray(value).ravel()[0])


def out(*path: Any) -> Reading:
    """An entry of the result: out("a", 1) is result["a"][1] (its first entry if it is still an array)."""
    return lambda result, args: _walk(result, path)


def arg(position: int, *path: Any) -> Reading:
    """An entry of the caller's input `position` after the call (what a function that mutates inputs changes)."""
    return lambda result, args: _walk(args[position], path)


def shown(value: float, text: str) -> bool:
    """The value rounded as the text writes it (the text's number has as many decimals as it shows)."""
    if np.isnan(float(text)):
        return bool(np.isnan(value))
    decimals = len(text.split(".")[1]) if "." in text else 0
    return bool(abs(value - float(text)) <= 0.5 * 10.0 ** -decimals + 1e-12)


def numbers_in(text: str) -> set[str]:
    return set(re.findall(r"-?\d+(?:\.\d+)?(?:e-?\d+)?|nan", text))


def base_functions(source: str) -> dict[str, Any]:
    """The functions of a catalogue's BASE_SOURCE (trusted text), compiled here."""
    namespace: dict[str, Any] = {"np": np}
    exec(compile(source, "<base>", "exec"), namespace)
    return namespace


def check_worked(mistake: Misconception, base: dict[str, Any], worked: Worked) -> None:
    """The example of level 3 states what the base solution and the mistake's mutant compute on its inputs."""
    example = mistake.hints[2]
    variant = mistake.variants[worked.variant]
    base_args = copy.deepcopy(worked.args)
    right = worked.reading(base[variant.function](*base_args), base_args)
    with np.errstate(all="ignore"):
        wrong_args = copy.deepcopy(worked.args)
        wrong = worked.reading(variant.run(*wrong_args), wrong_args)
    assert shown(right, worked.right), (mistake.name, right, worked.right)
    assert shown(wrong, worked.wrong), (mistake.name, wrong, worked.wrong)
    for text in (example.en, example.zh):
        assert {worked.right, worked.wrong} <= numbers_in(text), (mistake.name, worked, text)
