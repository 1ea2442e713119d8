"""What grading produces: per test, per part, per submission. Plain data, JSON-serialisable."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field


class Outcome(StrEnum):
    """How one test ended. Only `internal_error` is the grader's fault; it never costs the student."""

    passed = "passed"
    wrong_answer = "wrong_answer"
    runtime_error = "runtime_error"
    time_limit = "time_limit"
    memory_limit = "memory_limit"
    output_limit = "output_limit"
    internal_error = "internal_error"


class Text(BaseModel):
    """One message in every language the course speaks. Built only from the message catalogue."""

    en: str
    zh: str

    def get(self, lang: str) -> str:
        return self.zh if lang.lower().startswith("zh") else self.en


class OutputCredit(BaseModel):
    """One compared output of a test in a part that gives credit per output: its weight and whether it was
    right. The test's score is its points times the weight of the right outputs over the total weight."""

    name: str
    weight: float
    correct: bool


class TestResult(BaseModel):
    __test__ = False  # not a pytest class

    name: str
    description: Text
    score: float
    max_score: float
    outcome: Outcome
    feedback: list[Text] = Field(default_factory=list)
    # Names of catalogued misconceptions the trusted side recognised in this test's output.
    misconceptions: list[str] = Field(default_factory=list)
    # Per compared output, in a part that gives credit per output (grader.credit); empty otherwise, and for
    # a test that returned nothing to compare.
    credit: list[OutputCredit] = Field(default_factory=list)

    def feedback_text(self, lang: str) -> str:
        return "\n".join(t.get(lang) for t in self.feedback)


class Mistake(BaseModel):
    """One named mistake, said once for its part, and the tests of the part it explains."""

    name: str
    message: Text  # "Likely mistake: <title>."
    hint: Text  # level 1: what is wrong
    tests: list[str]
    # Every level of the catalogue's hint (grader.hints: 1 what, 2 where, 3 a worked 1x1 example); results
    # stored before levels, or a catalogue without them, have none (the `hint` is then the only level).
    hints: list[Text] = Field(default_factory=list)
    # Decided by the server when the result is written (server.grading.hint_levels) and stored with it: the
    # level reached, and in how many consecutive graded submissions of the student this mistake was named.
    hint_level: int = 1
    consecutive: int = 1

    @property
    def levels(self) -> list[Text]:
        return self.hints or [self.hint]


class PartResult(BaseModel):
    name: str
    score: float
    max_score: float
    tests: list[TestResult]
    feedback: list[Text] = Field(default_factory=list)
    # The named mistakes grouped over the part's tests (grader.mistakes); results stored before have none.
    mistakes: list[Mistake] = Field(default_factory=list)
    # How its tests give credit (grader.exercise.Credit.per): "test" (all or nothing) or "output".
    credit: str = "test"


class Result(BaseModel):
    exercise: str
    score: float
    max_score: float
    parts: list[PartResult]
    # Submission-level messages (syntax error, missing function, crash) shown above the parts.
    feedback: list[Text] = Field(default_factory=list)
    grader_version: str
    grading_ms: float
    # Captured stdout/stderr of the student's code. It ran on hidden inputs, so only teachers see it.
    output: str = ""
    sandbox_layers: dict[str, bool] = Field(default_factory=dict)
    # Charts and diagnostics computed on public cases only (safe to show the student).
    diagnostics: dict[str, object] = Field(default_factory=dict)

    @property
    def internal_error(self) -> bool:
        return any(t.outcome is Outcome.internal_error for p in self.parts for t in p.tests)

    @property
    def all_passed(self) -> bool:
        """Every test passed and nothing was said about the submission as a whole (import, missing function)."""
        return not self.feedback and all(t.outcome is Outcome.passed for p in self.parts for t in p.tests)
