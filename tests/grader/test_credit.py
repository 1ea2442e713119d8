"""Credit per compared output (`[parts.credit]` in spec.toml, grader.credit): on for `backward` in
exercises/rnn, so a backward with six of its seven gradients right no longer scores 0; weights from the spec,
equal by default; the spec is checked when it is loaded; the offline check scores the same way."""

from __future__ import annotations

import dataclasses
import shutil
import tomllib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from feedback_samples import CORRECT_PATH

from grader.check import check_source
from grader.compare import compare
from grader.credit import credited_share, output_credit
from grader.exercise import (
    DEFAULT_EXERCISES_DIR,
    Credit,
    Exercise,
    SpecError,
    load_exercise,
    load_exercises,
    load_spec,
    parse_credit,
)
from grader.grade import Grader
from grader.result import Outcome, OutputCredit, Result
from grader.runner import LocalRunner

RNN_DIR = DEFAULT_EXERCISES_DIR / "rnn"
SEED = 5
CORRECT = CORRECT_PATH.read_text(encoding="utf-8")
# db_y off by one per step: only b_y is wrong, on every test.
ONE_WRONG = CORRECT.replace('grads["b_y"] += dy[t].sum(axis=0)', 'grads["b_y"] += dy[t].sum(axis=0) + 1.0')
GRADIENTS = ["W_xh", "W_hh", "b_h", "W_hy", "b_y", "x", "h0"]


@pytest.fixture(scope="module")
def exercise() -> Exercise:
    return load_exercises()["rnn"]


@pytest.fixture(scope="module")
def grader(exercise: Exercise) -> Iterator[Grader]:
    with Grader({"rnn": exercise}, LocalRunner()) as local:
        yield local


@pytest.fixture(scope="module")
def one_wrong(grader: Grader) -> Result:
    assert ONE_WRONG != CORRECT
    return grader.grade("rnn", ONE_WRONG, SEED)


def test_the_rnn_spec_gives_credit_per_output_in_backward_only_and_says_why() -> None:
    spec = load_spec(RNN_DIR)
    assert spec.part("backward").credit.per == "output" and spec.part("backward").credit.weights == {}
    assert "six of the seven" in spec.part("backward").credit.why
    assert spec.part("forward").credit == Credit() and spec.part("clip").credit == Credit()
    raw = tomllib.loads((RNN_DIR / "spec.toml").read_text(encoding="utf-8"))
    backward = next(p for p in raw["parts"] if p["name"] == "backward")
    assert backward["credit"]["per"] == "output" and backward["credit"]["why"].strip()


def test_six_of_seven_right_gradients_earn_six_sevenths_of_each_test(one_wrong: Result) -> None:
    backward = next(p for p in one_wrong.parts if p.name == "backward")
    assert backward.credit == "output"
    assert backward.tests and all(t.outcome is Outcome.wrong_answer for t in backward.tests)
    for test in backward.tests:
        assert [c.name for c in test.credit] == GRADIENTS
        assert [c.name for c in test.credit if not c.correct] == ["b_y"]
        assert test.score == pytest.approx(test.max_score * 6 / 7)
        assert test.feedback[0].en.startswith("Credit per output: 6 of 7 outputs right (")
        assert test.feedback[0].en.endswith("; wrong: b_y.") and "7 个输出中 6 个正确" in test.feedback[0].zh
    assert backward.score == pytest.approx(50 * 6 / 7)
    assert one_wrong.score == pytest.approx(30 + 50 * 6 / 7 + 20)
    # The other parts give credit per test, as before, and say nothing of outputs.
    for part in one_wrong.parts:
        if part.name != "backward":
            assert part.credit == "test" and all(t.credit == [] for t in part.tests)


def test_a_right_answer_lists_every_output_right_and_a_crash_earns_nothing(grader: Grader) -> None:
    result = grader.grade("rnn", CORRECT, SEED)
    backward = next(p for p in result.parts if p.name == "backward")
    assert backward.score == 50 and all(c.correct for t in backward.tests for c in t.credit)
    crashing = CORRECT.replace("    grads[\"h0\"] = dh_next\n", "    raise ValueError('no')\n")
    assert crashing != CORRECT
    crashed = next(p for p in grader.grade("rnn", crashing, SEED).parts if p.name == "backward")
    assert crashed.score == 0 and all(t.outcome is Outcome.runtime_error and t.credit == [] for t in crashed.tests)


def test_stored_results_without_credit_still_read(one_wrong: Result) -> None:
    dumped = one_wrong.model_dump(mode="json")
    for part in dumped["parts"]:
        del part["credit"]
        for test in part["tests"]:
            del test["credit"]
    old = Result.model_validate(dumped)
    assert old.parts[1].credit == "test" and old.parts[1].tests[0].credit == []
    assert old.score == one_wrong.score  # scores are stored, never recomputed


def test_weights_from_the_spec_set_each_outputs_share(exercise: Exercise) -> None:
    part = dataclasses.replace(exercise.spec.part("backward"),
                               credit=Credit(per="output", weights={"W_hh": 3.0, "h0": 0.0}))
    case = next(c for c in exercise.hidden_cases(SEED) if c.part == "backward")
    reference = exercise.reference_function(part)(*case.args)
    student = dict(reference, W_hh=reference["W_hh"] + 1.0)
    credit = output_credit(part, compare(student, reference, part, dict(case.facts)), student, reference)
    assert [(c.name, c.weight) for c in credit] == [("W_xh", 1), ("W_hh", 3), ("b_h", 1), ("W_hy", 1),
                                                    ("b_y", 1), ("x", 1), ("h0", 0)]
    assert credited_share(credit) == pytest.approx(5 / 8)  # 1 + 1 + 1 + 1 + 1 + 0 of 8


def test_what_counts_as_a_wrong_output(exercise: Exercise) -> None:
    part = exercise.spec.part("backward")
    case = next(c for c in exercise.hidden_cases(SEED) if c.part == "backward")
    reference = exercise.reference_function(part)(*case.args)

    def verdicts(student: object) -> dict[str, bool]:
        comparison = compare(student, reference, part, dict(case.facts))
        return {c.name: c.correct for c in output_credit(part, comparison, student, reference)}

    missing = {k: v for k, v in reference.items() if k != "h0"}
    assert verdicts(missing) == {**dict.fromkeys(GRADIENTS, True), "h0": False}
    assert verdicts(dict(reference, x=reference["x"].astype(np.float32))) == {**dict.fromkeys(GRADIENTS, True),
                                                                               "x": False}
    assert verdicts(None) == dict.fromkeys(GRADIENTS, False)
    assert verdicts(list(reference.values())) == dict.fromkeys(GRADIENTS, False)
    # A tuple-returning part counts its named items.
    forward = dataclasses.replace(exercise.spec.part("forward"), credit=Credit(per="output"))
    fcase = next(c for c in exercise.hidden_cases(SEED) if c.part == "forward")
    y, h = exercise.reference_function(forward)(*fcase.args)
    comparison = compare((y, h + 1), (y, h), forward, dict(fcase.facts))
    assert [(c.name, c.correct) for c in output_credit(forward, comparison, (y, h + 1), (y, h))] == [
        ("y", True), ("h", False)]
    assert output_credit(exercise.spec.part("forward"), comparison, (y, h + 1), (y, h)) == []  # per test


@pytest.mark.parametrize("table,error", [
    ({"per": "gradient"}, "credit.per must be one of"),
    ({"per": "test", "weights": {"a": 1}}, 'needs credit.per = "output"'),
    ({"per": "output", "weights": {"a": -1}}, "must be a number >= 0"),
    ({"per": "output", "weights": {"a": True}}, "must be a number >= 0"),
    ({"per": "output", "weights": {"a": 0, "b": 0}}, "must not all be 0"),
    ({"per": "output", "bonus": 1}, "unknown credit keys"),
])
def test_a_bad_credit_table_is_a_spec_error(table: dict[str, object], error: str) -> None:
    with pytest.raises(SpecError, match=error):
        parse_credit(table)
    assert parse_credit({"per": "output", "weights": {"a": 2}, "why": " because "}) == Credit(
        "output", {"a": 2.0}, "because")


def _copy_with(tmp_path: Path, old: str, new: str) -> Path:
    folder = tmp_path / "rnn"
    shutil.copytree(RNN_DIR, folder)
    spec = folder / "spec.toml"
    text = spec.read_text(encoding="utf-8")
    assert text.count(old) == 1
    spec.write_text(text.replace(old, new), encoding="utf-8")
    return folder


def test_weights_that_name_no_output_are_refused_when_the_exercise_loads(tmp_path: Path) -> None:
    typo = _copy_with(tmp_path, 'per = "output"\n', 'per = "output"\nweights = { W_hhh = 2 }\n')
    with pytest.raises(SpecError, match=r"credit.weights names no output: \['W_hhh'\]"):
        load_exercise(typo)
    shutil.rmtree(typo)
    shapes = 'shapes = { y = "T, B, O", h = "T, B, H" }\n'
    tuple_typo = _copy_with(tmp_path, shapes, shapes + 'credit = { per = "output", weights = { z = 1 } }\n')
    with pytest.raises(SpecError, match="names no output"):
        load_spec(tuple_typo)


def test_the_offline_check_gives_the_same_credit_per_output(tmp_path: Path) -> None:
    result = check_source(ONE_WRONG, "exercise_01_rnn.py", RNN_DIR / "public_examples.npz")
    backward = next(p for p in result.parts if p.name == "backward")
    assert backward.credit == "output" and backward.tests
    assert all(t.score == pytest.approx(t.max_score * 6 / 7) for t in backward.tests)
    assert all([c.name for c in t.credit if not c.correct] == ["b_y"] for t in backward.tests)
    assert OutputCredit(name="b_y", weight=1.0, correct=False) in backward.tests[0].credit
