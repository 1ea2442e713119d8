"""The case-file codec round-trips exactly, loads without pickle, and the committed examples are current."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from grader.casefile import MANIFEST_KEY, CaseFileError, load_cases, read_manifest, save_cases
from grader.exercise import Case, Limits, Part, load_exercise
from grader.result import Text
from reference.build_examples import build

ROOT = Path(__file__).resolve().parents[2]
EXERCISES = [ROOT / "exercises" / "rnn", ROOT / "tests" / "fixtures" / "tiny"]
PART = Part(name="p", function="f", points=1, rtol=1e-9, atol=1e-10, title=Text(en="P", zh="甲"),
            outputs=("a", "b"), time_major=("a",), shapes={"a": "T, B"}, args=("x", "grads", "k"))


def identical(a: Any, b: Any) -> bool:
    """Same structure, same types, arrays equal bit for bit in value, dtype and shape."""
    if isinstance(a, dict):
        return isinstance(b, dict) and list(a) == list(b) and all(identical(a[k], b[k]) for k in a)
    if isinstance(a, tuple):
        return isinstance(b, tuple) and len(a) == len(b) and all(map(identical, a, b))
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b)
    return type(a) is type(b) and a == b


# Reference outputs are recomputed with whatever BLAS kernel this machine picks: a matrix product may round
# its last bit differently from the machine that committed the file. 1e-12 is 1000x below the tightest
# grading tolerance (1e-9), so a real change of the reference still fails here.
OUTPUT_RTOL = 1e-12


def close(a: Any, b: Any) -> bool:
    """Same structure, types, dtypes and shapes as `identical`; array values within OUTPUT_RTOL."""
    if isinstance(a, dict):
        return isinstance(b, dict) and list(a) == list(b) and all(close(a[k], b[k]) for k in a)
    if isinstance(a, tuple):
        return isinstance(b, tuple) and len(a) == len(b) and all(map(close, a, b))
    if isinstance(a, np.ndarray):
        return (isinstance(b, np.ndarray) and a.dtype == b.dtype and a.shape == b.shape
                and np.allclose(a, b, rtol=OUTPUT_RTOL, atol=0.0))
    return type(a) is type(b) and a == b


def same_cases(a: list[tuple[Case, Any]], b: list[tuple[Case, Any]]) -> bool:
    """Inputs bit for bit (they come from the seeded generator), outputs within OUTPUT_RTOL."""
    return len(a) == len(b) and all(
        (ca.part, ca.name, ca.description, dict(ca.facts), ca.scored)
        == (cb.part, cb.name, cb.description, dict(cb.facts), cb.scored)
        and identical(ca.args, cb.args)
        and close(ea, eb)
        for (ca, ea), (cb, eb) in zip(a, b, strict=True)
    )


def test_round_trip_is_exact(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    case = Case(
        part="p", name="p/one", description=Text(en="one", zh="一"), facts={"T": 3, "kind": "k", "r": 0.5},
        args=(
            rng.standard_normal((3, 2)),
            {"W_xh": rng.standard_normal((2, 2)), "odd key!": np.arange(4, dtype=np.int32), "v": np.zeros(0)},
            0.1 + 0.2,
        ),
    )
    expected = ((rng.standard_normal((3, 2)), np.float64(1.5)), {"nested": (7, np.array(2.5))})
    path = tmp_path / "cases.npz"
    save_cases(path, [case], [expected], [PART], exercise="demo", limits=Limits())
    [(got, want)] = load_cases(path)
    assert same_cases([(got, want)], [(case, ((expected[0][0], 1.5), {"nested": (7, np.array(2.5))}))])
    with np.load(path, allow_pickle=False) as data:
        assert data[MANIFEST_KEY].shape == () and data[MANIFEST_KEY].dtype.kind == "U"
        assert {"c000_arg0", "c000_arg1_W_xh", "c000_arg1_odd_key_", "c000_out0_0", "c000_out1_nested_1"} <= set(data)
    manifest, _ = read_manifest(path)
    assert manifest["exercise"] == "demo" and manifest["limits"]["memory_limit_mib"] == Limits().memory_limit_mib
    assert manifest["parts"]["p"] == {
        "function": "f", "points": 1, "rtol": 1e-9, "atol": 1e-10, "title": {"en": "P", "zh": "甲"},
        "outputs": ["a", "b"], "time_major": ["a"], "time_direction": "forward", "shapes": {"a": "T, B"},
        "args": ["x", "grads", "k"],
    }


@pytest.mark.parametrize(
    "value",
    [np.array(["a"]), np.array([object()], dtype=object), True, float("nan"), {1: np.ones(1)}, [np.ones(1)], None],
)
def test_values_that_cannot_be_stored_are_refused(tmp_path: Path, value: Any) -> None:
    case = Case(part="p", name="p/x", description=Text(en="x", zh="x"), args=(value,))
    with pytest.raises(CaseFileError):
        save_cases(tmp_path / "c.npz", [case], [0.0], [PART])


def test_key_collisions_and_unknown_parts_are_refused(tmp_path: Path) -> None:
    clash = Case(part="p", name="p/x", description=Text(en="x", zh="x"), args=({"a b": np.ones(1), "a_b": np.ones(1)},))
    with pytest.raises(CaseFileError, match="share"):
        save_cases(tmp_path / "c.npz", [clash], [0.0], [PART])
    other = Case(part="q", name="q/x", description=Text(en="x", zh="x"), args=())
    with pytest.raises(CaseFileError, match="unknown part"):
        save_cases(tmp_path / "c.npz", [other], [0.0], [PART])
    with pytest.raises(CaseFileError, match="one expected"):
        save_cases(tmp_path / "c.npz", [other], [], [PART])


def test_files_that_are_not_case_files_are_refused(tmp_path: Path) -> None:
    plain = tmp_path / "plain.npz"
    np.savez(plain, a=np.ones(2))
    with pytest.raises(CaseFileError):
        load_cases(plain)
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, manifest=np.array(json.dumps({"format": "other", "version": 1})))
    with pytest.raises(CaseFileError):
        load_cases(foreign)


@pytest.mark.parametrize("folder", EXERCISES, ids=lambda p: p.name)
def test_committed_examples_equal_a_fresh_build(folder: Path, tmp_path: Path) -> None:
    committed = load_exercise(folder).spec.public_examples_path
    fresh = build(folder, tmp_path / "fresh.npz")
    assert same_cases(load_cases(committed), load_cases(fresh)), (
        f"{committed} is stale: run `python -m reference.build_examples`"
    )
    assert read_manifest(committed)[0] == read_manifest(fresh)[0]


@pytest.mark.parametrize("folder", EXERCISES, ids=lambda p: p.name)
def test_committed_examples_match_spec_and_reference(folder: Path) -> None:
    exercise = load_exercise(folder)
    manifest, _ = read_manifest(exercise.spec.public_examples_path)
    assert manifest["exercise"] == exercise.id
    for part in exercise.spec.parts:
        entry = manifest["parts"][part.name]
        assert (entry["function"], entry["rtol"], entry["atol"]) == (part.function, part.rtol, part.atol)
    pairs = load_cases(exercise.spec.public_examples_path)
    assert [c.name for c, _ in pairs] == [c.name for c in exercise.public_cases()]
    for case, want in pairs:
        assert close(exercise.reference_function(exercise.spec.part(case.part))(*case.args), want)
