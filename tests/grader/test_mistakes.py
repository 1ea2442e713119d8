"""Feedback grouped per part: each named mistake once, with its hint and the tests it explains; the tests'
own lines keep only what is specific to them. Unit checks of grader.mistakes, then a dropped dh_next graded
by the real grader (LocalRunner)."""

from __future__ import annotations

import types

import pytest
from feedback_samples import MISTAKE, grade_dropped_dh_next

from grader.messages import CATALOG
from grader.mistakes import Described, catalogue_of, group_mistakes
from grader.result import Outcome, Result, TestResult, Text
from reference import rnn_feedback
from reference.rnn_mutants import BY_NAME


def _test(name: str, *names: str) -> TestResult:
    return TestResult(name=name, description=Text(en=name, zh=name), score=0.0, max_score=1.0,
                      outcome=Outcome.wrong_answer, misconceptions=list(names))


def test_each_name_is_said_once_with_the_tests_it_explains_in_order() -> None:
    catalogue = {"a": Described(Text(en="Title A", zh="标题A"), Text(en="Hint A", zh="提示A"))}
    tests = [_test("t1", "b"), _test("t2", "a", "b"), _test("t3"), _test("t4", "a", "a")]
    grouped = group_mistakes(tests, catalogue)
    assert [(m.name, m.tests) for m in grouped] == [("b", ["t1", "t2"]), ("a", ["t2", "t4"])]
    a = grouped[1]
    assert a.message.en == CATALOG["mistake"]["en"].format(title="Title A")
    assert a.message.zh == CATALOG["mistake"]["zh"].format(title="标题A")
    assert a.hint == Text(en="Hint A", zh="提示A")
    assert grouped[0].message.en.endswith("b.") and grouped[0].hint.en == ""  # not catalogued: its name
    assert group_mistakes([_test("t1"), _test("t2")], catalogue) == []


def test_the_catalogue_hook_is_read_in_both_shapes_and_a_broken_one_costs_only_wording() -> None:
    hooks = types.SimpleNamespace(misconception_catalogue=lambda: [
        {"name": "x", "title": {"en": "X", "zh": "叉"}, "hint": {"en": "hx", "zh": "提示"}},
        {"name": "y", "title_en": "Y", "title_zh": "歪"},
        "garbage",
    ])
    found = catalogue_of(hooks)
    assert found["x"] == Described(Text(en="X", zh="叉"), Text(en="hx", zh="提示"))
    assert found["y"].title == Text(en="Y", zh="歪") and found["y"].hint == Text(en="", zh="")

    def broken() -> list[object]:
        raise RuntimeError("boom")

    assert catalogue_of(types.SimpleNamespace(misconception_catalogue=broken)) == {}
    assert catalogue_of(None) == {}


@pytest.fixture(scope="module")
def dropped() -> Result:
    return grade_dropped_dh_next()


def test_a_dropped_dh_next_is_said_once_for_the_backward_part(dropped: Result) -> None:
    m = BY_NAME[MISTAKE]
    by_part = {p.name: p for p in dropped.parts}
    backward = by_part["backward"]
    failing = [t.name for t in backward.tests if MISTAKE in t.misconceptions]
    assert len(failing) >= 2  # the mistake shows on several tests: the reason to group
    said = [g for g in backward.mistakes if g.name == MISTAKE]
    assert len(said) == 1
    assert said[0].tests == failing
    assert m.title.en in said[0].message.en and m.title.zh in said[0].message.zh and said[0].hint == m.hint
    for t in backward.tests:
        # Per test only what is specific to it: no hint, no title; the relative error and time step stay.
        assert not any(m.hint.en in f.en or m.title.en in f.en for f in t.feedback)
        if t.name in failing:
            assert "relative error" in t.feedback_text("en") and "相对误差" in t.feedback_text("zh")
    assert by_part["forward"].mistakes == [] and by_part["clip"].mistakes == []
    # Stored results keep reading: the new field is optional, every old field is still there.
    dumped = dropped.model_dump(mode="json")
    assert Result.model_validate(dumped) == dropped
    del dumped["parts"][1]["mistakes"]
    assert Result.model_validate(dumped).parts[1].mistakes == []


@pytest.fixture(scope="module")
def unrecognised() -> Result:
    """dW_xh takes x_{t-1} where x_t belongs: a mistake the catalogue does not hold (and right at T=1)."""
    from feedback_samples import CORRECT_PATH

    from grader.exercise import load_exercises
    from grader.grade import Grader
    from grader.runner import LocalRunner

    source = CORRECT_PATH.read_text(encoding="utf-8")
    assert source.count('grads["W_xh"] += da.T @ x[t]') == 1
    source = source.replace('grads["W_xh"] += da.T @ x[t]', 'grads["W_xh"] += da.T @ x[t - 1]')
    with Grader({"rnn": load_exercises()["rnn"]}, LocalRunner()) as grader:
        return grader.grade("rnn", source, 5)


def test_a_mistake_the_catalogue_does_not_hold_is_said_to_be_unrecognised_with_what_the_tests_show(
    unrecognised: Result,
) -> None:
    backward = next(p for p in unrecognised.parts if p.name == "backward")
    failing = [t for t in backward.tests if t.outcome is Outcome.wrong_answer]
    assert failing and backward.mistakes == [] and all(t.misconceptions == [] for t in backward.tests)
    first = failing[0]  # W_xh is not time-major: no time step to say
    en = [t.en for t in backward.feedback]
    zh = [t.zh for t in backward.feedback]
    assert en[0] == CATALOG["mistake_not_recognised"]["en"] and zh[0] == CATALOG["mistake_not_recognised"]["zh"]
    assert en[1] == f"The first wrong output: rnn_backward() → W_xh, in test {first.name}."
    assert zh[1] == f"第一个出错的输出：测试 {first.name} 中的 rnn_backward() → W_xh。"
    assert en[2] == CATALOG["unrecognised_outputs"]["en"].format(failing=len(failing), outputs=f"W_xh ({len(failing)})")
    # The pattern across tests follows: right at T=1 (x[-1] is x[0] there), wrong on longer sequences.
    assert rnn_feedback.CATALOG["pattern_recurrence_backward"]["en"] == en[3]
    # The parts that pass say nothing.
    assert all(p.feedback == [] and p.mistakes == [] for p in unrecognised.parts if p.name != "backward")


def test_a_named_mistake_is_not_also_said_to_be_unrecognised(dropped: Result) -> None:
    backward = next(p for p in dropped.parts if p.name == "backward")
    assert backward.mistakes and not any(CATALOG["mistake_not_recognised"]["en"] == t.en for t in backward.feedback)


def test_the_first_wrong_output_says_where_along_time_it_goes_wrong() -> None:
    from grader.exercise import DEFAULT_EXERCISES_DIR, copy_value, load_spec
    from grader.mistakes import unrecognised
    from reference import rnn

    part = load_spec(DEFAULT_EXERCISES_DIR / "rnn").part("forward")
    cases = [c for c in rnn.hidden_cases(5) if c.part == "forward" and c.facts["T"] >= 3]
    failing = []
    for case in cases:
        y, h = rnn.rnn_forward(*copy_value(case.args))
        wrong_h = h.copy()
        wrong_h[2:] += 1e-3  # right for two steps, wrong from t=3 on; y stays right
        test = TestResult(name=case.name, description=case.description, score=0.0, max_score=1.0,
                          outcome=Outcome.wrong_answer)
        failing.append((case, test, (y, wrong_h), (y, h)))
    texts = unrecognised(part, failing)
    assert texts[1].en == (f"The first wrong output: rnn_forward() → h, in test {cases[0].name}; "
                           "first wrong at time step t=3 of T.")
    assert "从时间步 t=3 开始出错" in texts[1].zh
    assert texts[2].en.endswith(f"h ({len(cases)}).") and texts[2].zh.endswith(f"h ({len(cases)})。")
