"""Writing the grading history, in the transaction that changes the submission: one `gradings` row per
grading (exactly once, because the caller only gets here after its guarded UPDATE took the row), and the
regrade batch's report row of the pair brought up to date."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from server.db import utcnow
from server.regrades.models import (
    Why,
    gradings_t,
    regrade_batches_t,
    regrade_items_t,
)
from server.tables import scores_t


@dataclass(frozen=True)
class NewGrading:
    submission_id: int
    student_id: str
    exercise: str
    attempt: int
    why: Why
    status: str
    score: float | None
    max_score: float
    grader_version: str | None
    result: dict[str, Any] | None
    batch_id: int | None = None
    actor: str | None = None
    reason: str | None = None


def record_grading(conn: sa.Connection, grading: NewGrading) -> int:
    """Append the grading (numbered 1, 2, ... per submission) and, for a regrade, update its batch's row of
    the pair. The caller holds the submission's row (its guarded UPDATE), so numbers never collide; the
    unique (submission_id, number) constraint would refuse a second writer anyway."""
    number = conn.execute(
        sa.select(sa.func.coalesce(sa.func.max(gradings_t.c.number), 0) + 1).where(
            gradings_t.c.submission_id == grading.submission_id
        )
    ).scalar_one()
    grading_id = conn.execute(
        sa.insert(gradings_t)
        .values(
            submission_id=grading.submission_id,
            number=int(number),
            attempt=grading.attempt,
            why=grading.why.value,
            status=grading.status,
            score=grading.score,
            max_score=grading.max_score,
            grader_version=grading.grader_version,
            result=grading.result,
            batch_id=grading.batch_id,
            actor=grading.actor,
            reason=grading.reason,
            created_at=utcnow(),
        )
        .returning(gradings_t.c.id)
    ).scalar_one()
    if grading.batch_id is not None:
        _update_batch_item(conn, grading.batch_id, grading.student_id, grading.exercise)
    return int(grading_id)


@dataclass(frozen=True)
class Counted:
    """The submission that counts for a pair now: its id, score and per-part scores (None: nothing counts)."""

    id: int | None
    score: float | None
    parts: dict[str, float] | None


NOTHING_COUNTED = Counted(None, None, None)


def counted_columns(policy: str) -> sa.Select[Any]:
    """The pair, and its counted submission's id, score and summary (per-part scores), from the maintained
    scoreboard table."""
    prefix = "latest" if policy == "latest" else "best"
    return sa.select(scores_t.c.student_id, scores_t.c.exercise, scores_t.c[f"{prefix}_id"].label("counted_id"),
                     scores_t.c[f"{prefix}_score"].label("counted_score"),
                     scores_t.c[f"{prefix}_summary"].label("counted_summary"))


def counted_of(row: Any) -> Counted:
    if row is None or row.counted_id is None:
        return NOTHING_COUNTED
    summary = row.counted_summary if isinstance(row.counted_summary, dict) else {}
    parts = summary.get("parts")
    return Counted(int(row.counted_id), float(row.counted_score) if row.counted_score is not None else None,
                   {str(k): float(v) for k, v in parts.items()} if isinstance(parts, dict) else None)


def counted_now(conn: sa.Connection, student_id: str, exercise: str, policy: str) -> Counted:
    """What counts for the pair now."""
    return counted_of(conn.execute(
        counted_columns(policy).where(scores_t.c.student_id == student_id, scores_t.c.exercise == exercise)
    ).first())


def _update_batch_item(conn: sa.Connection, batch_id: int, student_id: str, exercise: str) -> None:
    policy = conn.execute(
        sa.select(regrade_batches_t.c.policy).where(regrade_batches_t.c.id == batch_id)
    ).scalar_one_or_none()
    if policy is None:
        return
    after = counted_now(conn, student_id, exercise, str(policy))
    conn.execute(
        sa.update(regrade_items_t)
        .where(
            regrade_items_t.c.batch_id == batch_id,
            regrade_items_t.c.student_id == student_id,
            regrade_items_t.c.exercise == exercise,
        )
        .values(
            pending=sa.case((regrade_items_t.c.pending > 0, regrade_items_t.c.pending - 1), else_=0),
            after_id=after.id,
            after_score=after.score,
            after_parts=after.parts,
        )
    )
