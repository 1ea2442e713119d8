"""How precisely, and how often, the real grader names the mistakes of tests/exercise/written_mistakes.py:
each written mistake is graded as a submission (hidden cases of a seed, the sandbox, the exercise's hooks) and
what the grader names is compared with what was written. benchmarks/mistake_naming.py prints the whole
measurement (docs/feedback.md); tests/exercise/test_naming_precision.py checks a subset in CI.

Per written mistake and seed, one grading:
  - it *can be named* when some test of it fails (a mistake that a seed's cases do not reveal passes every
    test and names nothing), or when the harness names it (changing inputs in place needs no failure);
  - it is *named* when any mistake is named on it (the names of every part, the harness's in-place name
    left out unless that is the mistake written);
  - it is *named correctly* when what is named is exactly the mistake written.
precision = named correctly / named; recall = named / can be named.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from written_mistakes import write, write_uncatalogued

from grader.grade import Grader
from grader.result import Outcome, Result

IN_PLACE = "mutates_inputs"


@dataclass
class Tally:
    gradings: int = 0
    can_be_named: int = 0
    named: int = 0
    correct: int = 0
    # What was named where it should not have been: "<solution> seed <n>: <names>".
    wrong: list[str] = field(default_factory=list)

    def add(self, other: Tally) -> None:
        self.gradings += other.gradings
        self.can_be_named += other.can_be_named
        self.named += other.named
        self.correct += other.correct
        self.wrong += other.wrong

    @property
    def precision(self) -> float | None:
        return self.correct / self.named if self.named else None

    @property
    def recall(self) -> float | None:
        return self.named / self.can_be_named if self.can_be_named else None


def named_in(result: Result, written: str | None) -> set[str]:
    names = {n for p in result.parts for t in p.tests for n in t.misconceptions}
    return names if written == IN_PLACE else names - {IN_PLACE}


def fails(result: Result) -> bool:
    return bool(result.feedback) or any(t.outcome is not Outcome.passed for p in result.parts for t in p.tests)


def measure(grader: Grader, written: Iterable[tuple[str, str]], seeds: Sequence[int]) -> dict[str, Tally]:
    """Per catalogued mistake, the tally of its written versions `(mistake, solution)` on every seed."""
    tallies: dict[str, Tally] = {}
    for name, stem in written:
        tally = tallies.setdefault(name, Tally())
        source = write(name, stem)
        for seed in seeds:
            result = grader.grade("rnn", source, seed)
            names = named_in(result, name)
            tally.gradings += 1
            tally.can_be_named += fails(result) or name == IN_PLACE
            tally.named += bool(names)
            tally.correct += names == {name}
            if names and names != {name}:
                tally.wrong.append(f"{stem} seed {seed}: {', '.join(sorted(names))}")
    return tallies


def measure_uncatalogued(grader: Grader, descriptions: Iterable[str], seeds: Sequence[int]) -> Tally:
    """Mistakes the catalogue does not hold: every name given to one is wrong (`correct` stays 0)."""
    tally = Tally()
    for description in descriptions:
        source = write_uncatalogued(description)
        for seed in seeds:
            result = grader.grade("rnn", source, seed)
            names = named_in(result, None)
            tally.gradings += 1
            tally.can_be_named += fails(result)
            tally.named += bool(names)
            if names:
                tally.wrong.append(f"{description} seed {seed}: {', '.join(sorted(names))}")
    return tally


def overall(tallies: dict[str, Tally]) -> Tally:
    total = Tally()
    for tally in tallies.values():
        total.add(tally)
    return total
