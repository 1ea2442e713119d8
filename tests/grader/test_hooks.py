"""grader.hooks: an exercise's feedback hooks are found once, at load time, typed; missing ones answer nothing."""

from __future__ import annotations

import types
from pathlib import Path

import pytest

from grader.diagnostics import Diagnostics
from grader.exercise import SpecError, load_exercise, load_exercises, load_hooks
from grader.hooks import HOOK_NAMES, ModuleHooks, NoHooks
from grader.result import Text

TINY = Path(__file__).resolve().parents[1] / "fixtures" / "tiny"


def test_a_module_with_every_hook_is_used_as_it_is() -> None:
    exercise = load_exercises()["rnn"]
    assert exercise.hooks is exercise.hooks_module
    assert all(callable(getattr(exercise.hooks, name)) for name in HOOK_NAMES)


def test_an_exercise_without_hooks_gets_neutral_answers() -> None:
    hooks = load_exercise(TINY).hooks
    assert isinstance(hooks, NoHooks)
    assert hooks.chart_cases() == [] and hooks.misconception_catalogue() == []
    assert hooks.chart([], [], []) == Diagnostics() and Diagnostics().as_json() == {}


def test_the_hooks_a_module_defines_are_used_and_the_others_filled_in() -> None:
    module = types.ModuleType("partial_hooks")
    message = Text(en="look at the sign", zh="检查符号")
    module.explain_part = lambda part, cases, tests: [message]  # type: ignore[attr-defined]
    hooks = load_hooks(module)
    assert isinstance(hooks, ModuleHooks)
    assert hooks.explain_part(None, [], []) == [message]  # type: ignore[arg-type]
    assert hooks.explain(None, None, 1, 2) == ([], [])  # type: ignore[arg-type]


def test_a_hook_name_bound_to_something_else_is_a_spec_error_at_load_time() -> None:
    module = types.ModuleType("broken_hooks")
    module.chart = "not a function"  # type: ignore[attr-defined]
    with pytest.raises(SpecError, match="broken_hooks.chart"):
        load_hooks(module)
