"""The case-file codec round-trips exactly, loads without pickle, and the committed examples are current."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from grader.casefile import MANIFEST_KEY, CaseFileError, close, load_cases, read_manifest, same_cases, save_cases
from grader.exercise import Case, Limits, Part, load_exercise
from grader.result import Text
from reference.build_examples import build

ROOT = Path(__file__).resolve().parents[2]
EXERCISES = [ROOT / "exercises" / "rnn", ROOT / "tests" / "fixtures" / "tiny"]
PART = Part(name="p", function="f", points=1, rtol=1e-9, atol=1e-10, title=Text(en="P", zh="甲"),
            outputs=("a", "b"), time_major=("a",), shapes={"a": "T, B"}, args=("x", "grads", "k"))


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


def _with_output_moved(source: Path, target: Path, factor: float) -> None:
    with np.load(source, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    arrays["c000_out"] = arrays["c000_out"] * factor
    np.savez(target, **arrays)


@pytest.mark.parametrize(("factor", "fresh"), [(1 + 2**-52, True), (1 + 1e-9, False)])
def test_validate_allows_a_last_bit_of_rounding_in_an_output_but_not_more(tmp_path: Path, factor: float,
                                                                         fresh: bool) -> None:
    # An examples file written on a machine whose BLAS or SIMD tanh rounds the reference's last bit otherwise is
    # still current; a changed reference (1e-9 relative, the tightest grading tolerance) is not.
    import shutil

    from grader.authoring.reference_checks import check_public_examples

    folder = tmp_path / "tiny"
    shutil.copytree(ROOT / "tests" / "fixtures" / "tiny", folder)
    exercise = load_exercise(folder)
    path = exercise.spec.public_examples_path
    _with_output_moved(path, tmp_path / "moved.npz", factor)
    shutil.move(tmp_path / "moved.npz", path)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    check = check_public_examples(exercise, scratch)
    assert check.ok is fresh, check
