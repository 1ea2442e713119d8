"""grader.hints: the level a repeated mistake reaches under each policy, the policy in spec.toml and its
override's parsing, the `hints` list of a catalogue read by grader.mistakes, and the catalogue's levels joined
by grader.mutants.with_hint_levels."""

from __future__ import annotations

import shutil
import types
from pathlib import Path

import pytest

from grader.exercise import SpecError, load_spec
from grader.hints import HintLevels, HintMode, HintPolicy, labelled, parse_hint_policy, reached, unlocked
from grader.mistakes import catalogue_of, group_mistakes
from grader.mutants import Misconception, with_hint_levels
from grader.result import Outcome, TestResult, Text

TINY_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "tiny"


@pytest.mark.parametrize(
    ("policy", "levels"),
    [
        (HintPolicy(), [1, 2, 3, 3, 3]),
        (HintPolicy(repeats=2), [1, 1, 2, 2, 3, 3, 3]),
        (HintPolicy(repeats=3), [1, 1, 1, 2, 2, 2, 3]),
        (HintPolicy(HintMode.all), [3, 3, 3]),
        (HintPolicy(HintMode.first, repeats=1), [1, 1, 1, 1]),
    ],
)
def test_the_level_after_each_consecutive_submission(policy: HintPolicy, levels: list[int]) -> None:
    assert [policy.level(n, available=3) for n in range(1, len(levels) + 1)] == levels


def test_a_catalogue_with_fewer_levels_stops_at_its_last() -> None:
    assert HintPolicy().level(5, available=1) == 1 and HintPolicy().level(5, available=2) == 2
    assert HintPolicy(HintMode.all).level(1, available=1) == 1
    assert HintPolicy().level(0, available=0) == 1  # never below level 1
    assert unlocked(["a", "b", "c"], 2) == ["a", "b"] and unlocked(["a"], 3) == ["a"]
    assert unlocked(["a", "b"], 0) == ["a"]


def test_parsing_modes_repeats_and_errors() -> None:
    base = HintPolicy(HintMode.progressive, 2)
    assert parse_hint_policy("all", base) == HintPolicy(HintMode.all, 2)
    assert parse_hint_policy({"hint_repeats": 3}, base) == HintPolicy(HintMode.progressive, 3)
    assert parse_hint_policy({"hints": "first", "hint_repeats": 1}) == HintPolicy(HintMode.first, 1)
    assert parse_hint_policy({}) == HintPolicy()
    for bad, words in [({"hints": "sometimes"}, "hints must be one of"), ({"hint_repeats": 0}, "hint_repeats"),
                       ({"hint_repeats": 2.5}, "hint_repeats"), ({"hint_repeats": True}, "hint_repeats"),
                       ({"hint_repeats": 21}, "between 1 and 20"), ({"level": 2}, "unknown hint policy keys"),
                       (["all"], "a mode or a table")]:
        with pytest.raises(ValueError, match=words):
            parse_hint_policy(bad)  # type: ignore[arg-type]


def _spec_with(tmp_path: Path, lines: str) -> Path:
    target = tmp_path / "tiny"
    shutil.copytree(TINY_DIR, target)
    spec = target / "spec.toml"
    spec.write_text(lines + spec.read_text(encoding="utf-8"), encoding="utf-8")
    return target


def test_the_policy_in_spec_toml(tmp_path: Path) -> None:
    assert load_spec(TINY_DIR).hints == HintPolicy()
    spec = load_spec(_spec_with(tmp_path, 'hints = "progressive"\nhint_repeats = 2\n'))
    assert spec.hints == HintPolicy(HintMode.progressive, 2)
    with pytest.raises(SpecError, match="hints must be one of"):
        load_spec(_spec_with(tmp_path / "bad", 'hints = "always"\n'))


def test_labels_and_the_level_reached_in_both_languages() -> None:
    assert labelled(["one", "two", "three"], "en") == ["one", "Where: two", "Worked example (1x1): three"]
    assert labelled(["一", "二"], "zh") == ["一", "出错的位置：二"]
    assert reached(1, 1, "en") == ""
    assert reached(2, 2, "en") == "Hint level 2; named in 2 graded submission(s) in a row."
    assert reached(1, 3, "zh") == "提示等级 1；连续 3 次评分的提交中出现。"


def test_the_catalogue_hooks_hints_are_kept_by_the_grouping() -> None:
    levels = [{"en": f"level {n}", "zh": f"第 {n} 级"} for n in (1, 2, 3)]
    hooks = types.SimpleNamespace(misconception_catalogue=lambda: [
        {"name": "x", "title": {"en": "X", "zh": "叉"}, "hint": levels[0], "hints": levels},
        {"name": "y", "title": {"en": "Y", "zh": "歪"}, "hints": [*levels, levels[0]]},  # more than three: cut
        {"name": "z", "title": {"en": "Z", "zh": "字"}, "hint": {"en": "only", "zh": "仅"}},
    ])
    found = catalogue_of(hooks)
    assert [t.en for t in found["x"].hints] == ["level 1", "level 2", "level 3"]
    assert found["y"].hint.en == "level 1" and len(found["y"].hints) == 3  # no `hint`: level 1 is it
    assert found["z"].hints == ()
    test = TestResult(name="t", description=Text(en="t", zh="t"), score=0.0, max_score=1.0,
                      outcome=Outcome.wrong_answer, misconceptions=["x", "z"])
    x, z = group_mistakes([test], found)
    assert [t.zh for t in x.hints] == ["第 1 级", "第 2 级", "第 3 级"] and x.levels == x.hints
    assert (x.hint_level, x.consecutive) == (1, 1)  # the server decides (server.grading.hint_levels)
    assert z.hints == [] and z.levels == [Text(en="only", zh="仅")]


def test_levels_join_the_catalogue_by_name_and_a_typo_is_an_error() -> None:
    def text(word: str) -> Text:
        return Text(en=word, zh=word)

    catalogue = (Misconception("a", "forward", text("A"), text("hint a")),
                 Misconception("b", "forward", text("B"), text("hint b")))
    joined = with_hint_levels(catalogue, {"a": HintLevels(text("where a"), text("example a"))})
    assert [t.en for t in joined[0].hints] == ["hint a", "where a", "example a"]
    assert joined[1].hints == (text("hint b"),)
    assert joined[0].entry()["hints"] == [{"en": w, "zh": w} for w in ("hint a", "where a", "example a")]
    with pytest.raises(ValueError, match=r"\['c'\]"):
        with_hint_levels(catalogue, {"c": HintLevels(text("w"), text("e"))})
