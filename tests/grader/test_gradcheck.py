"""`rnn-grader gradcheck` (grader.gradcheck): a student's backward against central finite differences of their
own forward, run by the real local runner (a subprocess) on the exercise's declared pair.

For every exercise that declares a pair: a correct solution passes; every catalogued mutant of the backward
function is flagged on exactly the gradients it breaks (computed here from the mutant and the reference on
the same random cases); a forward that raises, returns NaN or the wrong shape stops the check with a clear
message (exit status 2).
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from grader.exercise import Exercise, load_exercises
from grader.gradcheck import Status, draw_cases, gradcheck_source, relative_errors
from grader.gradcheck_spec import GradcheckSpec, parse_gradcheck
from grader.mutant_patches import replace_functions

EXERCISES = {k: e for k, e in load_exercises().items() if e.spec.gradcheck is not None}
SOLUTIONS = Path(__file__).resolve().parents[1] / "solutions"


def _decl(exercise: Exercise) -> GradcheckSpec:
    assert exercise.spec.gradcheck is not None
    return exercise.spec.gradcheck


def _mutants(exercise: Exercise) -> Any:
    return importlib.import_module(exercise.spec.mutants)


def _backward_variants() -> list[tuple[str, str, Any]]:
    out = []
    for exercise_id, exercise in EXERCISES.items():
        decl = _decl(exercise)
        for m in _mutants(exercise).MISCONCEPTIONS:
            for k, v in enumerate(m.variants):
                if v.function == decl.backward and not m.by_harness:
                    out.append((exercise_id, f"{m.name}#{k}", v))
    return out


def test_both_exercises_declare_a_pair() -> None:
    assert set(EXERCISES) == {"rnn", "rnn_gradients"}
    assert len(_backward_variants()) >= 20


@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
def test_a_correct_solution_passes(exercise_id: str) -> None:
    exercise = EXERCISES[exercise_id]
    for source in (_mutants(exercise).BASE_SOURCE, (SOLUTIONS / f"correct_{exercise_id}.py").read_text()):
        report = gradcheck_source(source, "mine.py", _decl(exercise), exercise=exercise_id)
        assert report.status is Status.passed and report.exit_code == 0, report.verdict.en
        assert [t.name for t in report.tensors] == list(_decl(exercise).gradients)
        assert all(t.ok and t.max_rel_error is not None and t.max_rel_error < _decl(exercise).rtol / 10
                   for t in report.tensors)
        assert report.verdict.en.startswith("gradcheck passed") and "梯度检验通过" in report.verdict.zh
        body = report.as_json("en")
        assert body["ok"] is True and body["first_disagreement"] is None
        assert {"name", "max_rel_error", "ok"} <= set(body["tensors"][0])


def _broken(exercise: Exercise, variant: Any, seed: int = 0) -> set[str]:
    """The gradients the mutant gets wrong on gradcheck's own cases, by the reference (not by gradcheck)."""
    decl = _decl(exercise)
    broken = set()
    forward, backward = (getattr(exercise.module, f) for f in (decl.forward, decl.backward))
    for case in draw_cases(decl, seed):
        outputs = forward(*(case.inputs[n] for n in decl.inputs))
        named = dict(zip(decl.outputs, outputs if len(decl.outputs) > 1 else (outputs,), strict=True))
        pool = {**case.inputs, **named, **case.upstream, **case.sizes}
        args = [pool[n] for n in decl.backward_args]
        want, got = backward(*args), variant.run(*args)
        for name in decl.gradients:
            value = got.get(name) if isinstance(got, dict) else None
            if (value is None or np.shape(value) != np.shape(want[name]) or np.asarray(value).dtype != np.float64
                    or np.max(relative_errors(np.asarray(value, dtype=np.float64), want[name])) > decl.rtol):
                broken.add(name)
    return broken


@pytest.mark.slow
@pytest.mark.parametrize(("exercise_id", "label", "variant"), _backward_variants(),
                         ids=[f"{e}-{label}" for e, label, _ in _backward_variants()])
def test_each_backward_mutant_is_flagged_on_the_gradients_it_breaks(exercise_id: str, label: str,
                                                                    variant: Any) -> None:
    exercise = EXERCISES[exercise_id]
    source = replace_functions(_mutants(exercise).BASE_SOURCE, {variant.function: variant.source})
    report = gradcheck_source(source, "mine.py", _decl(exercise), exercise=exercise_id)
    broken = _broken(exercise, variant)
    if not broken:
        # Right on every case gradcheck draws, so rightly not flagged: BPTT truncated further back than its
        # longest sequence (exercise 01), or a truncation mistake of exercise 02, whose gradcheck asks
        # truncated_bptt for the exact gradient (k = T), where nothing is truncated.
        assert "truncat" in label, label
        assert report.status is Status.passed, report.verdict.en
        return
    assert set(variant.paths) <= broken
    assert report.status is Status.failed and report.exit_code == 1, report.verdict.en
    assert {t.name for t in report.tensors if not t.ok} == broken
    first = report.first_disagreement()
    assert first is not None and first["tensor"] in broken
    assert report.verdict.en.startswith("gradcheck failed") and f"dL/d{first['tensor']}" in report.verdict.en


def test_the_first_wrong_time_step_follows_bptt() -> None:
    """Without the gradient carried back from t+1, the last step is right and the one before it is the first
    wrong one in the order BPTT meets them."""
    exercise = EXERCISES["rnn"]
    mutants = _mutants(exercise)
    variant = mutants.BY_NAME["backward.no_dh_next"].variants[0]
    report = gradcheck_source(variant_submission(mutants.BASE_SOURCE, variant), "mine.py", _decl(exercise))
    x = next(t for t in report.tensors if t.name == "x")
    T = report.cases[0]["T"]
    assert not x.ok and (x.first_case, x.first_step, x.steps) == (1, T - 1, T)
    assert f"t = {T - 1} of T = {T}" in report.verdict.en and "the steps it met before agree" in report.verdict.en
    assert report.as_json("zh")["first_disagreement"] == {"tensor": "x", "case": 1, "step": T - 1}


def variant_submission(base: str, variant: Any) -> str:
    return replace_functions(base, {variant.function: variant.source})


@pytest.mark.parametrize(("change", "expected"), [
    ("    raise ValueError('boom')\n", "rnn_forward() raised ValueError at line"),
    ("    return np.zeros((1,)), np.zeros((1,))\n", "rnn_forward() returned y of shape (1,); expected (T, B, O) = "),
    ("    return np.full((x.shape[0], x.shape[1], W_hy.shape[0]), np.nan), np.zeros((x.shape[0], x.shape[1], "
     "W_hh.shape[0]))\n", "rnn_forward() returned NaN or inf on a small random case"),
    ("    return 3\n", "rnn_forward() should return a tuple (y, h); it returned int"),
    ("    return np.zeros((x.shape[0], x.shape[1], W_hy.shape[0]), dtype=np.float32), np.zeros((1,))\n",
     "rnn_forward() returned y as float32"),
])
def test_a_forward_that_cannot_be_differentiated_stops_with_a_clear_message(change: str, expected: str) -> None:
    exercise = EXERCISES["rnn"]
    base = _mutants(exercise).BASE_SOURCE
    source = replace_functions(base, {"rnn_forward": "def rnn_forward(x, h0, W_xh, W_hh, b_h, W_hy, b_y):\n" + change})
    report = gradcheck_source(source, "mine.py", _decl(exercise))
    assert report.status is Status.error and report.exit_code == 2 and report.tensors == []
    assert expected in report.verdict.en, report.verdict.en
    assert report.verdict.en.startswith("gradcheck could not compare any gradient")
    assert report.verdict.zh.startswith("梯度检验无法比较梯度")
    assert report.as_json("en")["ok"] is False


def test_the_template_and_broken_files_cannot_be_run() -> None:
    exercise = EXERCISES["rnn"]
    template = exercise.spec.template_path.read_text(encoding="utf-8")
    report = gradcheck_source(template, "exercise_01_rnn.py", _decl(exercise))
    assert report.exit_code == 2 and "rnn_forward() is not implemented yet" in report.verdict.en
    assert gradcheck_source("def rnn_forward(:\n", "x.py", _decl(exercise)).verdict.en.count("does not compile") == 1
    assert "Function rnn_forward() is not defined" in gradcheck_source("", "x.py", _decl(exercise)).verdict.en
    forward_only = replace_functions(_mutants(exercise).BASE_SOURCE, {"rnn_backward": "rnn_backward = None\n"})
    missing = gradcheck_source(forward_only, "x.py", _decl(exercise))
    assert missing.exit_code == 2 and "Function rnn_backward() is not defined" in missing.verdict.en


def test_a_float32_backward_is_flagged_as_nearly_right() -> None:
    exercise = EXERCISES["rnn"]
    base = _mutants(exercise).BASE_SOURCE
    loose = [v for v in _mutants(exercise).BY_NAME["float32_precision"].variants if v.function == "rnn_backward"]
    for variant in loose:
        report = gradcheck_source(variant_submission(base, variant), "mine.py", _decl(exercise))
        assert report.exit_code == 1
        notes = " ".join(t.problem.en for t in report.tensors if t.problem)
        assert "float32" in notes


def test_a_backward_that_raises_is_reported_with_its_line() -> None:
    exercise = EXERCISES["rnn"]
    source = replace_functions(_mutants(exercise).BASE_SOURCE, {
        "rnn_backward": "def rnn_backward(dy, x, h0, h, W_xh, W_hh, W_hy):\n    return {}['W_xh']\n"})
    report = gradcheck_source(source, "mine.py", _decl(exercise))
    assert report.exit_code == 2 and "rnn_backward() raised KeyError at line" in report.verdict.en


@pytest.mark.parametrize(("change", "message"), [
    ({"gradients": ["nope"]}, "gradcheck.gradients must name some of"),
    ({"sizes": {"T": [2, 4]}}, "gradcheck.sizes lacks"),
    ({"backward_args": ["dz"]}, "neither inputs, outputs"),
    ({"extra": 1}, "unknown keys"),
    ({"sizes": {"T": [0, 4], "B": [1, 2], "I": [2, 3], "H": [2, 4], "O": [1, 3]}}, "1 <= low <= high <= 16"),
    ({"sizes": {"T": [16, 16], "B": [16, 16], "I": [2, 3], "H": [2, 4], "O": [1, 3]}}, "entries to perturb"),
])
def test_a_bad_declaration_is_refused(change: dict[str, Any], message: str) -> None:
    data = {**_decl(EXERCISES["rnn"]).as_json(), **change}
    with pytest.raises(ValueError, match=message):
        parse_gradcheck(data)


def test_the_declaration_round_trips_through_the_public_examples() -> None:
    from grader.casefile import read_manifest

    for exercise in EXERCISES.values():
        manifest, _ = read_manifest(exercise.spec.public_examples_path)
        assert parse_gradcheck(manifest["gradcheck"]) == _decl(exercise)
        assert manifest["student_file"] == exercise.spec.student_file
