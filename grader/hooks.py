"""The typed extension points of an exercise: what its trusted feedback module may provide.

An exercise's spec names a trusted module (`feedback`, else its `reference`). Any of the functions of
`ExerciseHooks` it defines are used; the others fall back to `NoHooks` (no extra feedback, no chart, an
empty catalogue). They are looked up once, when the exercise is loaded (grader.exercise.load_hooks), and a
name that is there but not callable is a SpecError then, never a surprise during grading.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any, Protocol

from grader.diagnostics import Diagnostics
from grader.result import TestResult, Text

if TYPE_CHECKING:  # grader.exercise loads the hooks (load_hooks), so it imports this module, not the reverse
    from grader.exercise import Case, Part
    from grader.result import Outcome

HOOK_NAMES = ("explain", "explain_part", "name_mistakes", "chart_cases", "chart", "misconception_catalogue")

# What `Observation.student` holds when the test has no decoded answer (it crashed, or its answer could not
# be read back).
NO_ANSWER: Any = None


@dataclass(frozen=True)
class Observation:
    """One scored test of a part, as `name_mistakes` sees it: the case, how it ended, the student's decoded
    answer (NO_ANSWER if there is none) and the reference's."""

    case: Case
    outcome: Outcome
    student: Any
    reference: Any


class ExerciseHooks(Protocol):
    def explain(self, part: Part, case: Case, student: Any, reference: Any) -> tuple[list[Text], list[str]]:
        """One failing test: extra messages and the names of the misconceptions recognised in `student`."""
        ...

    def explain_part(self, part: Part, cases: Sequence[Case], tests: Sequence[TestResult]) -> list[Text]:
        """One part with a wrong answer: messages about patterns across its tests."""
        ...

    def name_mistakes(self, part: Part, observations: Sequence[Observation]) -> list[list[str]]:
        """One part with a wrong answer: the names of the catalogued mistakes recognised, per observation (in
        their order). Precision first: name a mistake only where it explains the whole part
        (grader.naming)."""
        ...

    def chart_cases(self) -> list[Case]:
        """Unscored cases on public inputs, run beside the hidden ones, whose outputs feed `chart`."""
        ...

    def chart(self, student_outputs: list[Any | None], reference_outputs: list[Any],
              cases: list[Case]) -> Diagnostics:
        """Charts (as data) from the outputs on `chart_cases()`; None where the student returned nothing."""
        ...

    def misconception_catalogue(self) -> Sequence[Mapping[str, Any]]:
        """Every named mistake, for the teacher pages: dicts with `name` and `title` ({en, zh}) at least."""
        ...


class NoHooks:
    """An exercise without feedback hooks."""

    def explain(self, part: Part, case: Case, student: Any, reference: Any) -> tuple[list[Text], list[str]]:
        return [], []

    def explain_part(self, part: Part, cases: Sequence[Case], tests: Sequence[TestResult]) -> list[Text]:
        return []

    def name_mistakes(self, part: Part, observations: Sequence[Observation]) -> list[list[str]]:
        return [[] for _ in observations]

    def chart_cases(self) -> list[Case]:
        return []

    def chart(self, student_outputs: list[Any | None], reference_outputs: list[Any],
              cases: list[Case]) -> Diagnostics:
        return Diagnostics()

    def misconception_catalogue(self) -> Sequence[Mapping[str, Any]]:
        return []


class ModuleHooks(NoHooks):
    """The hooks a module defines, with NoHooks' answers for the ones it does not."""

    def __init__(self, module: ModuleType, found: Mapping[str, Any]) -> None:
        self.module = module
        for name, function in found.items():
            setattr(self, name, function)  # an instance attribute shadows NoHooks' method

