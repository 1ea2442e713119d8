"""The one place that says when a student's exercise is due.

Today that is the exercise's deadline from the catalogue (spec.toml, or RNN_GRADER_DEADLINES). Per-student
extensions (issue 12) replace the body of `deadline_for`; every caller (the student pages, their late
warning) goes through it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session

from server.catalog import Catalog


@dataclass(frozen=True)
class Due:
    deadline: dt.datetime | None  # None: no deadline
    extended: bool = False  # the deadline is the student's own extension, not the exercise's

    def seconds_left(self, now: dt.datetime) -> float | None:
        return None if self.deadline is None else (self.deadline - now).total_seconds()

    def is_late(self, at: dt.datetime) -> bool:
        return self.deadline is not None and at > self.deadline


def deadline_for(db: Session, catalog: Catalog, student_id: str, exercise_id: str) -> Due:
    """The deadline that applies to this student on this exercise."""
    del db, student_id  # used once extensions exist (issue 12)
    return Due(deadline=catalog.deadlines.get(exercise_id))
