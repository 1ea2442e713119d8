"""A student's own deadline (their extension, else the exercise's) and what it means for a submission made
now: late or not, the penalty, refused after the cutoff."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session, select

from server.catalog import Catalog
from server.errors import SubmissionsClosed
from server.models import Extension


@dataclass(frozen=True)
class OwnDeadline:
    deadline: dt.datetime | None  # None: no deadline
    extended: bool  # the deadline is the student's own extension, not the exercise's

    def seconds_left(self, now: dt.datetime) -> float | None:
        return None if self.deadline is None else (self.deadline - now).total_seconds()


def extensions_of(session: Session, student_id: str) -> dict[str, dt.datetime]:
    """exercise -> the student's extended deadline (one query for every exercise)."""
    rows = session.exec(select(Extension).where(Extension.student_id == student_id)).all()
    return {row.exercise: row.deadline for row in rows}


def own_deadline(catalog: Catalog, exercise_id: str, extensions: dict[str, dt.datetime]) -> OwnDeadline:
    """An extension replaces the exercise's deadline for that student, even when it is earlier."""
    if exercise_id in extensions:
        return OwnDeadline(extensions[exercise_id], True)
    return OwnDeadline(catalog.deadlines.get(exercise_id), False)


def student_deadline(session: Session, catalog: Catalog, student_id: str, exercise_id: str) -> OwnDeadline:
    extension = session.get(Extension, (student_id, exercise_id))
    return own_deadline(catalog, exercise_id, {exercise_id: extension.deadline} if extension else {})


@dataclass(frozen=True)
class LateDecision:
    late: bool
    penalty: float


def decide_late(catalog: Catalog, exercise_id: str, deadline: dt.datetime | None, now: dt.datetime) -> LateDecision:
    """Late and penalty of a submission made `now`; SubmissionsClosed after deadline + cutoff."""
    policy = catalog.late_policy(exercise_id)
    if deadline is not None and policy.refuses(deadline, now):
        assert policy.cutoff_days is not None
        cutoff = deadline + dt.timedelta(days=policy.cutoff_days)
        raise SubmissionsClosed(exercise_id, deadline, cutoff, catalog.zone, now)
    return LateDecision(policy.is_late(deadline, now), policy.penalty(deadline, now))


def after_deadline(catalog: Catalog, exercise_id: str, deadline: dt.datetime | None, now: dt.datetime) -> bool:
    """Whether the student's deadline (plus the grace, while on-time work may still come in) has passed:
    when the visibility policy's `after_deadline` level applies. No deadline: never after."""
    return catalog.late_policy(exercise_id).is_late(deadline, now)
