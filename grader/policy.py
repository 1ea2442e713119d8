"""A teacher's policies for one exercise, as written in spec.toml (and, on the server, in the
RNN_GRADER_LATE_POLICY / RNN_GRADER_MAX_SUBMISSIONS / RNN_GRADER_VISIBILITY overrides): how late work is
penalised, how many submissions count, and how much of a result a student sees before and after the deadline.

Plain data and parsing only; the server applies them (server.policies). Every parser raises ValueError with
a message that names the bad key, so a teacher's typo stops start-up instead of silently changing grades.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

DAY = dt.timedelta(days=1)
# Upper bounds that keep deadline arithmetic far from datetime's range (and catch typos like 10080 days).
MAX_GRACE_MINUTES = 60 * 24 * 366
MAX_CUTOFF_DAYS = 3660


@dataclass(frozen=True)
class LatePolicy:
    """grace_minutes: late within the grace is not late. penalty_per_day: fraction of the score lost per
    started day after deadline + grace. max_penalty: the cap. cutoff_days: after deadline + cutoff a
    submission is refused (None = never)."""

    grace_minutes: float = 0.0
    penalty_per_day: float = 0.0
    max_penalty: float = 1.0
    cutoff_days: float | None = None

    def is_late(self, deadline: dt.datetime | None, at: dt.datetime) -> bool:
        return deadline is not None and at > deadline + dt.timedelta(minutes=self.grace_minutes)

    def penalty(self, deadline: dt.datetime | None, at: dt.datetime) -> float:
        """The fraction of the score lost by a submission made at `at`: 0 on time or inside the grace."""
        if deadline is None or not self.is_late(deadline, at):
            return 0.0
        started_days = math.ceil((at - deadline - dt.timedelta(minutes=self.grace_minutes)) / DAY)
        return round(min(self.max_penalty, self.penalty_per_day * started_days), 6)

    def refuses(self, deadline: dt.datetime | None, at: dt.datetime) -> bool:
        """True after deadline + cutoff_days (exactly at it is still accepted)."""
        return deadline is not None and self.cutoff_days is not None and at > deadline + self.cutoff_days * DAY


def counted_score(score: float, penalty: float) -> float:
    """The score after a late penalty (the score itself when there is none)."""
    return score if penalty <= 0 else round(score * (1.0 - penalty), 6)


def _number(data: Mapping[str, Any], key: str, low: float, high: float | None) -> float | None:
    if key not in data or data[key] is None:
        return None
    value = data[key]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{key} must be a number, not {value!r}")
    if value < low or (high is not None and value > high):
        bound = f"between {low:g} and {high:g}" if high is not None else f">= {low:g}"
        raise ValueError(f"{key} must be {bound}, not {value!r}")
    return float(value)


def parse_late_policy(data: Mapping[str, Any], base: LatePolicy | None = None) -> LatePolicy:
    """A LatePolicy from a [late_policy] table or a JSON override; keys missing here keep `base`'s values."""
    if not isinstance(data, Mapping):
        raise ValueError(f"a late policy is a table of keys, not {data!r}")
    base = base or LatePolicy()
    known = {"grace_minutes", "penalty_per_day", "max_penalty", "cutoff_days"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValueError(f"unknown late policy keys {unknown}; known: {sorted(known)}")
    grace = _number(data, "grace_minutes", 0, MAX_GRACE_MINUTES)
    per_day = _number(data, "penalty_per_day", 0, 1)
    cap = _number(data, "max_penalty", 0, 1)
    cutoff = _number(data, "cutoff_days", 0, MAX_CUTOFF_DAYS)
    return LatePolicy(
        grace_minutes=base.grace_minutes if grace is None else grace,
        penalty_per_day=base.penalty_per_day if per_day is None else per_day,
        max_penalty=base.max_penalty if cap is None else cap,
        cutoff_days=cutoff if "cutoff_days" in data else base.cutoff_days,
    )


def parse_max_submissions(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"max_submissions must be a whole number >= 1, not {value!r}")
    return value


# ---------------------------------------------------------------- visibility
class Visibility(StrEnum):
    """How much of a part's result a student sees. Ordered from most to least."""

    full = "full"  # every test, its feedback and the charts
    summary = "summary"  # per-test outcome and points; feedback only names the mistake, without numbers
    score_only = "score_only"  # the part's score only


@dataclass(frozen=True)
class PartVisibility:
    before_deadline: Visibility = Visibility.full
    after_deadline: Visibility = Visibility.full

    def at(self, after_deadline: bool) -> Visibility:
        return self.after_deadline if after_deadline else self.before_deadline


@dataclass(frozen=True)
class VisibilityPolicy:
    """The exercise's default and per-part overrides."""

    default: PartVisibility = PartVisibility()
    parts: Mapping[str, PartVisibility] = field(default_factory=dict)

    def for_part(self, part: str) -> PartVisibility:
        return self.parts.get(part, self.default)

    @property
    def is_full(self) -> bool:
        return all(v == PartVisibility() for v in (self.default, *self.parts.values()))


def _level(data: Mapping[str, Any], key: str, base: Visibility) -> Visibility:
    if key not in data:
        return base
    try:
        return Visibility(data[key])
    except ValueError:
        raise ValueError(f"{key} must be one of {[v.value for v in Visibility]}, not {data[key]!r}") from None


def _part_visibility(data: Any, base: PartVisibility, where: str) -> PartVisibility:
    if not isinstance(data, Mapping):
        raise ValueError(f"{where} must be a table with before_deadline / after_deadline")
    unknown = sorted(set(data) - {"before_deadline", "after_deadline"})
    if unknown:
        raise ValueError(f"{where}: unknown keys {unknown}; known: ['after_deadline', 'before_deadline']")
    return PartVisibility(_level(data, "before_deadline", base.before_deadline),
                          _level(data, "after_deadline", base.after_deadline))


def parse_visibility(
    data: Mapping[str, Any], part_names: tuple[str, ...], base: VisibilityPolicy | None = None
) -> VisibilityPolicy:
    """A [visibility] table: before_deadline / after_deadline for every part, and `parts.<name>` tables
    with the same keys for one part. Keys missing here keep `base`'s values."""
    if not isinstance(data, Mapping):
        raise ValueError(f"visibility is a table of keys, not {data!r}")
    base = base or VisibilityPolicy()
    unknown = sorted(set(data) - {"before_deadline", "after_deadline", "parts"})
    if unknown:
        raise ValueError(f"unknown visibility keys {unknown}; known: ['after_deadline', 'before_deadline', 'parts']")
    default = _part_visibility({k: v for k, v in data.items() if k != "parts"}, base.default, "visibility")
    parts_data = data.get("parts", {})
    if not isinstance(parts_data, Mapping):
        raise ValueError("visibility.parts must be a table keyed by part name")
    bad = sorted(set(parts_data) - set(part_names))
    if bad:
        raise ValueError(f"visibility.parts names unknown parts {bad}; parts: {list(part_names)}")
    parts: dict[str, PartVisibility] = {}
    for name in part_names:
        # A part without its own entry follows the (new) default unless the base set it explicitly.
        inherited = base.parts.get(name, default)
        if name in parts_data:
            parts[name] = _part_visibility(parts_data[name], inherited, f"visibility.parts.{name}")
        elif name in base.parts:
            parts[name] = inherited
    return VisibilityPolicy(default=default, parts=parts)
