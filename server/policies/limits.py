"""Per-student limits that must hold under concurrency: counted while the student's own lock is held.

`lock_student` serialises one student's writing transactions (submissions, regrade requests) until commit or
rollback: on PostgreSQL it locks the student's row (`FOR UPDATE`; READ COMMITTED then shows each later count
every committed row); on SQLite a no-op UPDATE of that row takes the database's write lock (the driver begins
the transaction just before it, so the counts that follow see every committed row and nobody else can write
until we finish). Twenty submissions sent at once over a limit of ten are then counted one after the other:
exactly ten are stored. Other students' submissions wait only on SQLite, which has one writer anyway.
"""

from __future__ import annotations

import datetime as dt
import math

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from server.catalog import Catalog
from server.errors import RateLimited, SubmissionCapReached
from server.models import Submission, SubmissionStatus
from server.tables import students_t


def lock_student(conn: sa.Connection, student_id: str) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(sa.select(students_t.c.student_id).where(students_t.c.student_id == student_id).with_for_update())
    else:
        conn.execute(sa.update(students_t).where(students_t.c.student_id == student_id)
                     .values(name=students_t.c.name))


def seconds_until_free(oldest: dt.datetime, window: dt.timedelta, now: dt.datetime) -> int:
    """Retry-After for a sliding window: when the oldest counted event leaves it (at least 1 s)."""
    return max(1, math.ceil((oldest + window - now).total_seconds()))


def rate_limit(session: Session, student_id: str, per_minute: int, now: dt.datetime) -> None:
    """At most `per_minute` submissions of this student in the last minute (0: no limit)."""
    if per_minute <= 0:
        return
    window = dt.timedelta(minutes=1)
    recent = session.exec(
        select(Submission.created_at)
        .where(Submission.student_id == student_id, Submission.created_at > now - window)
        .order_by(col(Submission.created_at).desc())
        .limit(per_minute)
    ).all()
    if len(recent) >= per_minute:
        raise RateLimited(seconds_until_free(min(recent), window, now))


def submission_cap(session: Session, catalog: Catalog, student_id: str, exercise_id: str) -> None:
    """At most max_submissions per (student, exercise); a submission whose grading failed (an internal
    error) never counts."""
    cap = catalog.max_submissions.get(exercise_id)
    if cap is None:
        return
    used = session.exec(
        select(func.count()).select_from(Submission).where(
            Submission.student_id == student_id,
            Submission.exercise == exercise_id,
            Submission.status != SubmissionStatus.failed.value,
        )
    ).one()
    if used >= cap:
        raise SubmissionCapReached(exercise_id, int(used), cap)

