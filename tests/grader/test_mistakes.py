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
