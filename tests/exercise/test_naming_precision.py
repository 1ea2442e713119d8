"""Named mistakes are right when they are named: precision >= 0.95 on mistakes written by others, graded
through the real grader (sandbox). A subset of benchmarks/mistake_naming.py sized for CI: every catalogued
mistake in three of the solutions it is written into, on one seed (~100 gradings, a few seconds), and every
uncatalogued mistake (tests/exercise/written_mistakes.py). docs/feedback.md has the whole measurement."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from naming_measure import Tally, measure, measure_uncatalogued, overall
from written_mistakes import UNCATALOGUED, WRITTEN, solution, write

from grader.exercise import load_exercises
from grader.grade import Grader
from reference.rnn_mutants import MISCONCEPTIONS

PRECISION = 0.95
SEED = 2027
PER_MISTAKE = 3


def subset() -> list[tuple[str, str]]:
    """Three solutions per mistake, rotating through the styles so that every solution is used."""
    chosen = []
    for k, (name, by_stem) in enumerate(WRITTEN.items()):
        stems = sorted(by_stem)
        chosen += [(name, stems[(k + j) % len(stems)]) for j in range(min(PER_MISTAKE, len(stems)))]
    return chosen


@pytest.fixture(scope="module")
def grader() -> Iterator[Grader]:
    with Grader({"rnn": load_exercises()["rnn"]}) as sandboxed:
        yield sandboxed


@pytest.fixture(scope="module")
def tallies(grader: Grader) -> dict[str, Tally]:
    return measure(grader, subset(), [SEED])


def test_every_catalogued_mistake_is_written_into_at_least_five_solutions() -> None:
    assert set(WRITTEN) == {m.name for m in MISCONCEPTIONS}
    for name, by_stem in WRITTEN.items():
        assert len(by_stem) >= 5, name
        for stem in by_stem:
            assert write(name, stem) != solution(stem), (name, stem)  # raises if a patch does not apply
    assert len({stem for by_stem in WRITTEN.values() for stem in by_stem}) == 10
    assert len({stem for _, stem in subset()}) == 10


def test_named_mistakes_are_the_ones_written_with_precision_of_at_least_95_percent(
    tallies: dict[str, Tally],
) -> None:
    total = overall(tallies)
    assert total.named >= 0.8 * total.can_be_named, "recall collapsed: the measurement would say nothing"
    assert total.precision is not None and total.precision >= PRECISION, [
        f"{name}: {line}" for name, tally in tallies.items() for line in tally.wrong]


def test_mistakes_the_catalogue_does_not_hold_are_not_named(grader: Grader) -> None:
    tally = measure_uncatalogued(grader, UNCATALOGUED, [SEED])
    assert tally.can_be_named == tally.gradings == len(UNCATALOGUED)  # each really is a mistake
    assert tally.named <= (1 - PRECISION) * tally.gradings, tally.wrong
