"""The grading procedure, on a tiny exercise defined only here, through the unconfined LocalRunner
(the sandbox has its own tests; this is about cases, parts, points, reruns and feedback)."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.exercise import load_exercise
from grader.grade import Grader
from grader.result import Outcome, Result
from grader.runner import LocalRunner

SPEC = """
id = "tiny-proc"
title = "Tiny"
student_file = "tiny.py"
reference = "ref.py"
[limits]
cpu_time_limit_s = 1
wall_time_limit_s = 1.5
[[parts]]
name = "scale"
function = "scale"
points = 6
rtol = 1e-9
atol = 1e-12
args = ["x", "k"]
time_major = [""]
[[parts]]
name = "pair"
function = "pair"
points = 4
rtol = 1e-9
atol = 1e-12
outputs = ["a", "b"]
"""

REFERENCE = '''
import numpy as np
from grader.exercise import Case
from grader.result import Text

def scale(x, k):
    return x * k

def pair(x):
    return x + 1, {"s": x.sum(axis=0)}

def hidden_cases(seed):
    r = np.random.default_rng(seed)
    cases = [Case("scale", f"scale/{i}", Text(en=f"scale {i}", zh=f"缩放 {i}"), (r.normal(size=(4, 3)), 2.5),
                  {"T": 4}) for i in range(3)]
    return cases + [Case("pair", "pair/0", Text(en="pair", zh="对"), (r.normal(size=(4, 3)),))]

def public_cases():
    return hidden_cases(0)

def explain_part(part, cases, tests):
    return [Text(en="part hint", zh="部分提示")]
'''

GOOD = "def scale(x, k):\n    return x * k\n\ndef pair(x):\n    return x + 1, {'s': x.sum(axis=0)}\n"


@pytest.fixture(scope="module")
def grader(tmp_path_factory: pytest.TempPathFactory) -> Grader:
    folder: Path = tmp_path_factory.mktemp("tiny")
    (folder / "spec.toml").write_text(SPEC)
    (folder / "ref.py").write_text(REFERENCE)
    return Grader({"tiny-proc": load_exercise(folder)}, LocalRunner())


def _outcomes(result: Result, part: str) -> list[Outcome]:
    return [t.outcome for p in result.parts if p.name == part for t in p.tests]


def test_correct_source_gets_every_point(grader: Grader) -> None:
    result = grader.grade("tiny-proc", GOOD, seed=7)
    assert (result.score, result.max_score) == (10, 10)
    assert [p.score for p in result.parts] == [6, 4]
    assert [t.max_score for t in result.parts[0].tests] == [2, 2, 2]
    assert result.parts[0].feedback == []  # part hints only when something failed


def test_wrong_values_lose_points_and_name_the_time_step(grader: Grader) -> None:
    source = GOOD.replace("return x * k", "y = x * k\n    y[2:] += 1\n    return y")
    result = grader.grade("tiny-proc", source, seed=7)
    assert result.score == 4
    assert _outcomes(result, "scale") == [Outcome.wrong_answer] * 3
    text = result.parts[0].tests[0].feedback_text("en")
    assert "relative error" in text and "t=3" in text
    assert result.parts[0].feedback[0].en == "part hint"


def test_mutating_an_input_is_named_but_a_right_answer_stays_right(grader: Grader) -> None:
    source = GOOD.replace("return x * k", "x *= k\n    return x")
    result = grader.grade("tiny-proc", source, seed=7)
    assert _outcomes(result, "scale") == [Outcome.passed] * 3
    assert "changed its input argument x in place" in result.parts[0].tests[0].feedback_text("en")
    assert result.parts[0].tests[0].misconceptions == ["mutates_inputs"]
    wrong = GOOD.replace("return x * k", "x *= k\n    return x + 1")
    test = grader.grade("tiny-proc", wrong, seed=7).parts[0].tests[0]
    assert test.outcome is Outcome.wrong_answer and test.misconceptions == ["mutates_inputs"]
    assert "in place" in test.feedback_text("en") and "relative error" in test.feedback_text("en")


def test_an_endless_loop_in_one_part_does_not_cost_the_other(grader: Grader) -> None:
    source = GOOD.replace("return x * k", "while True:\n        pass")
    result = grader.grade("tiny-proc", source, seed=7)
    assert _outcomes(result, "scale")[0] is Outcome.time_limit
    assert _outcomes(result, "pair") == [Outcome.passed]


def test_syntax_error_is_the_students_with_its_line(grader: Grader) -> None:
    result = grader.grade("tiny-proc", "def scale(x, k)\n    return x\n", seed=7)
    assert result.score == 0
    assert "line 1" in result.feedback[0].en and "第 1 行" in result.feedback[0].zh
    assert set(_outcomes(result, "scale")) == {Outcome.runtime_error}
    assert result.parts[0].feedback == []  # patterns explain wrong answers, not a file that did not compile


def test_missing_function_costs_only_its_part(grader: Grader) -> None:
    result = grader.grade("tiny-proc", GOOD.split("def pair")[0], seed=7)
    assert result.score == 6
    assert any("pair()" in t.en for t in result.feedback)


def test_exception_messages_with_numbers_stay_hidden(grader: Grader) -> None:
    source = GOOD.replace("return x * k", "raise ValueError(f'got {x[0, 0]}')")
    result = grader.grade("tiny-proc", source, seed=7)
    text = result.parts[0].tests[0].feedback_text("en")
    assert "ValueError" in text and "line 2" in text and "got" not in text
    source = GOOD.replace("return x * k", "raise ValueError('shapes do not align')")
    assert "shapes do not align" in grader.grade("tiny-proc", source, seed=7).parts[0].tests[0].feedback_text("en")


def test_process_exit_inside_a_function(grader: Grader) -> None:
    source = GOOD.replace("return x * k", "import os\n    os._exit(3)")
    result = grader.grade("tiny-proc", source, seed=7)
    assert set(_outcomes(result, "scale")) == {Outcome.runtime_error}
    assert "exit code 3" in result.parts[0].tests[0].feedback_text("en")
    assert _outcomes(result, "pair") == [Outcome.passed]


def test_same_seed_same_result_different_seed_different_cases(grader: Grader) -> None:
    exercise = grader.exercise("tiny-proc")
    a, b, c = exercise.hidden_cases(1), exercise.hidden_cases(1), exercise.hidden_cases(2)
    assert (a[0].args[0] == b[0].args[0]).all() and not (a[0].args[0] == c[0].args[0]).all()
