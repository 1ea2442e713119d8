"""The one place that says when a student's exercise is due.

The student's own deadline: their extension when they have one, else the exercise's deadline from the
catalogue (spec.toml, or RNN_GRADER_DEADLINES); see server.policies.deadlines and docs/policies.md. Every
caller (the student pages, their late warning) goes through it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session

from server.catalog import Catalog
from server.policies.deadlines import student_deadline


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
    own = student_deadline(db, catalog, student_id, exercise_id)
    return Due(deadline=own.deadline, extended=own.extended)
