"""Hints that grow with repeated mistakes: the three levels of a named mistake's hint, and the teacher's policy
that decides which level a student reaches (docs/feedback.md, "Hints that grow").

Levels, from the exercise's catalogue (grader.mutants.Misconception, or the `hints` list of a
`misconception_catalogue()` item):
  1. what is wrong (the mistake's `hint`, what every student is told the first time),
  2. where: the formula or the step of the loop where it goes wrong,
  3. a worked micro-example on a 1x1 case, with numbers a student can check by hand.
Level n shows levels 1..n. The level is decided by the server when a result is written, from the same
student's earlier graded submissions of the exercise (server.grading.hint_levels), and stored with the
result; an offline check has no history and stays at level 1.

Policy per exercise (spec.toml `hints` and `hint_repeats`, or RNN_GRADER_HINTS): `progressive` (default)
moves one level up after every `hint_repeats` consecutive graded submissions naming the same mistake in the
same part; `all` shows every level at once; `first` only ever shows level 1.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from grader.messages import msg
from grader.result import Text

LEVELS = 3
# Keeps a typo (hint_repeats = 100) from hiding levels 2 and 3 for the whole course.
MAX_REPEATS = 20
T = TypeVar("T")


@dataclass(frozen=True)
class HintLevels:
    """Levels 2 and 3 of a catalogued mistake's hint; level 1 is the mistake's own `hint`."""

    where: Text
    example: Text


class HintMode(StrEnum):
    progressive = "progressive"
    all = "all"
    first = "first"


@dataclass(frozen=True)
class HintPolicy:
    mode: HintMode = HintMode.progressive
    # Consecutive graded submissions naming the mistake that each level lasts (progressive only).
    repeats: int = 1

    def level(self, consecutive: int, available: int) -> int:
        """The level for a mistake named in `consecutive` graded submissions in a row (this one included),
        when the catalogue has `available` levels for it (results and catalogues without levels have 1)."""
        top = max(1, min(LEVELS, available))
        if self.mode is HintMode.first:
            return 1
        if self.mode is HintMode.all:
            return top
        return min(top, 1 + (max(1, consecutive) - 1) // self.repeats)


def unlocked(levels: Sequence[T], level: int) -> list[T]:
    """The hints a student has at `level`: levels 1..level of those the catalogue gives (at least one)."""
    return list(levels[: max(1, min(level, len(levels)))])


def labelled(hints: Sequence[str], lang: str) -> list[str]:
    """The unlocked hints as shown in text (CLI, Jupyter, results.json): level 1 as it is (it follows the
    mistake's message), each higher level after its label ("Where: ...")."""
    colon = "：" if lang.lower().startswith("zh") else ": "
    return [hint if n == 1 else msg(f"hint_level_{n}").get(lang) + colon + hint for n, hint in enumerate(hints, 1)]


def reached(level: int, consecutive: int, lang: str) -> str:
    """"Hint level 2; named in 2 graded submission(s) in a row." ("" for a first, level-1 mistake)."""
    if level <= 1 and consecutive <= 1:
        return ""
    return msg("hint_reached", level=level, count=consecutive).get(lang)


def parse_hint_policy(data: Mapping[str, Any] | str, base: HintPolicy | None = None) -> HintPolicy:
    """A HintPolicy from spec.toml's top-level `hints` / `hint_repeats`, or from an RNN_GRADER_HINTS entry:
    {"hints": "progressive", "hint_repeats": 2}, or just the mode ("all"). Missing keys keep `base`'s."""
    base = base or HintPolicy()
    if isinstance(data, str):
        data = {"hints": data}
    if not isinstance(data, Mapping):
        raise ValueError(f"a hint policy is a mode or a table of keys, not {data!r}")
    unknown = sorted(set(data) - {"hints", "hint_repeats"})
    if unknown:
        raise ValueError(f"unknown hint policy keys {unknown}; known: ['hint_repeats', 'hints']")
    mode = base.mode
    if data.get("hints") is not None:
        try:
            mode = HintMode(data["hints"])
        except ValueError:
            raise ValueError(f"hints must be one of {[m.value for m in HintMode]}, not {data['hints']!r}") from None
    repeats = data.get("hint_repeats", base.repeats)
    if isinstance(repeats, bool) or not isinstance(repeats, int) or not 1 <= repeats <= MAX_REPEATS:
        raise ValueError(f"hint_repeats must be a whole number between 1 and {MAX_REPEATS}, not {repeats!r}")
    return HintPolicy(mode=mode, repeats=repeats)
