"""The hint levels of every exercise's catalogue (grader.hints): three levels in both languages for every named
mistake of every exercise in exercises/ and of the skeleton `rnn-grader exercise new` writes, none quoting the
reference's or the base solution's code; and every number of every worked example (level 3) is what the base
solution and the mistake's own mutant compute on the example's inputs (hint_examples.py, one table per exercise:
hint_examples_<exercise>.py)."""

from __future__ import annotations

import importlib
import inspect
import re
from types import ModuleType
from typing import Any

import hint_examples_gradients
import hint_examples_rnn
import hint_examples_skeleton
import pytest
from hint_examples import base_functions, check_worked

from grader.authoring.skeleton import skeleton_files
from grader.exercise import load_exercises
from grader.hints import LEVELS
from grader.mistakes import catalogue_of
from grader.mutants import Misconception

EXERCISES = load_exercises()
# The table of worked examples of each exercise: WORKED (name -> [Worked]) and CHECKED_APART (names whose
# examples cannot be run through the mutant, checked by the table's own `check_apart`).
EXAMPLES: dict[str, ModuleType] = {"rnn": hint_examples_rnn, "rnn_gradients": hint_examples_gradients}


def _cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def _code_lines(source: str) -> set[str]:
    """Lines of trusted solution code long enough to be a giveaway if a hint quoted them."""
    lines = {line.strip() for line in source.splitlines()}
    return {line for line in lines if len(line) >= 16 and not line.startswith(("#", '"', "'")) and
            re.search(r"[=(]", line)}


def _catalogue(exercise_id: str) -> ModuleType:
    """The exercise's catalogue module (spec.toml `mutants`): BASE_SOURCE and MISCONCEPTIONS."""
    return importlib.import_module(EXERCISES[exercise_id].spec.mutants)


def _skeleton_catalogue() -> dict[str, Any]:
    """The catalogue module `exercise new` writes, run here (it imports only grader modules)."""
    namespace: dict[str, Any] = {}
    exec(compile(skeleton_files("demo")["reference/demo_mutants.py"], "<demo_mutants>", "exec"), namespace)
    return namespace


def assert_three_levels(entries: list[dict[str, Any]], code: set[str], where: str) -> None:
    """Every catalogue item has three levels, level 1 its hint, each new, in English (no CJK) and real Chinese,
    none quoting a line of `code`."""
    assert entries, f"{where} names no mistakes"
    for entry in entries:
        name = entry["name"]
        levels = entry.get("hints")
        assert isinstance(levels, list) and len(levels) == LEVELS, (where, name)
        assert levels[0] == entry["hint"], name  # level 1 is the hint every student gets first
        assert len({level["en"] for level in levels}) == LEVELS, name  # each level says something new
        for n, level in enumerate(levels, 1):
            assert set(level) == {"en", "zh"}, (name, n)
            assert level["en"].strip() and level["zh"].strip(), (name, n)
            assert _cjk(level["zh"]) and not _cjk(level["en"]), (name, n)
            quoted = [line for line in code if line in level["en"] or line in level["zh"]]
            assert not quoted, (name, n, quoted)


@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
def test_every_named_mistake_has_three_levels_in_english_and_chinese(exercise_id: str) -> None:
    exercise = EXERCISES[exercise_id]
    code = _code_lines(inspect.getsource(exercise.module)) | _code_lines(_catalogue(exercise_id).BASE_SOURCE)
    assert_three_levels(exercise.hooks.misconception_catalogue(), code, exercise_id)
    # What the grader keeps of them (grader.mistakes): every level, in order.
    for name, described in catalogue_of(exercise.hooks).items():
        assert len(described.hints) == LEVELS and described.hints[0] == described.hint, name


def test_the_skeleton_s_mistakes_have_three_levels_too() -> None:
    """A new exercise starts from the skeleton: its mistakes show the format and pass the same test."""
    catalogue = _skeleton_catalogue()
    files = skeleton_files("demo")
    code = _code_lines(files["reference/demo.py"]) | _code_lines(catalogue["BASE_SOURCE"])
    assert_three_levels([m.entry() for m in catalogue["MISCONCEPTIONS"]], code, "the skeleton")


# ---------------------------------------------------------------- the worked examples
def _cases() -> list[tuple[str, str]]:
    return [(exercise_id, name) for exercise_id, table in EXAMPLES.items() for name in sorted(table.WORKED)]


@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
def test_every_mistake_of_every_exercise_has_a_checked_example(exercise_id: str) -> None:
    assert exercise_id in EXAMPLES, f"add tests/exercise/hint_examples_{exercise_id}.py (docs/authoring.md)"
    table = EXAMPLES[exercise_id]
    names = {m.name for m in _catalogue(exercise_id).MISCONCEPTIONS}
    assert set(table.WORKED) | table.CHECKED_APART == names
    assert not set(table.WORKED) & table.CHECKED_APART


@pytest.mark.parametrize(("exercise_id", "name"), _cases())
def test_the_worked_example_states_what_the_solution_and_the_mistake_compute(exercise_id: str, name: str) -> None:
    catalogue = _catalogue(exercise_id)
    mistake: Misconception = {m.name: m for m in catalogue.MISCONCEPTIONS}[name]
    base = base_functions(catalogue.BASE_SOURCE)
    for worked in EXAMPLES[exercise_id].WORKED[name]:
        check_worked(mistake, base, worked)


@pytest.mark.parametrize("exercise_id", sorted(e for e, table in EXAMPLES.items() if table.CHECKED_APART))
def test_the_examples_checked_apart(exercise_id: str) -> None:
    EXAMPLES[exercise_id].check_apart({m.name: m for m in _catalogue(exercise_id).MISCONCEPTIONS})


def test_the_skeleton_s_examples_state_what_its_solution_and_mistakes_compute() -> None:
    catalogue = _skeleton_catalogue()
    by_name = {m.name: m for m in catalogue["MISCONCEPTIONS"]}
    assert set(hint_examples_skeleton.WORKED) == set(by_name)
    base = base_functions(catalogue["BASE_SOURCE"])
    for name, examples in hint_examples_skeleton.WORKED.items():
        for worked in examples:
            check_worked(by_name[name], base, worked)
