"""The maintained `student_exercise_scores` table: per (student, exercise) the best and latest graded
submission (a submission being regraded keeps counting with its last score), refreshed in the transaction
that writes a result, and each result's small summary.

Scores here are counted scores: the raw score after the submission's late penalty (grader.policy.counted_score),
so "best" chooses among counted scores and every reader of the table counts what the policy says."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from grader.policy import counted_score
from server.db import utcnow
from server.models import SubmissionStatus
from server.tables import scores_t, submissions_t

GRADED = SubmissionStatus.graded.value
IN_CHUNK = 500  # ids per IN (...) list


def has_counted_result() -> Any:
    """The submissions whose stored score counts: graded ones, and those whose regrade is pending (they keep
    their last grading's score until the new one is written)."""
    return sa.and_(sa.or_(submissions_t.c.status == GRADED, submissions_t.c.regrading == sa.true()),
                   submissions_t.c.score.is_not(None))


# ---------------------------------------------------------------- per-submission summary
def result_summary(result: Mapping[str, Any]) -> dict[str, Any]:
    """The few facts of a stored result (`Result.model_dump(mode="json")`) the scoreboard aggregates:
    per-part scores, names of the tests not passed, and [part, name] of each misconception seen."""
    parts: dict[str, float] = {}
    failed: list[str] = []
    misconceptions: list[list[str]] = []
    for part in result.get("parts") or ():
        name = str(part.get("name", ""))
        parts[name] = float(part.get("score") or 0.0)
        for test in part.get("tests") or ():
            if test.get("outcome") != "passed":
                failed.append(str(test.get("name", "")))
            for misconception in test.get("misconceptions") or ():
                item = [name, str(misconception)]
                if item not in misconceptions:
                    misconceptions.append(item)
    return {"parts": parts, "failed": failed, "misconceptions": misconceptions}


# ---------------------------------------------------------------- the maintained table
@dataclass(frozen=True)
class GradedRow:
    id: int
    score: float  # counted: after the late penalty
    late: bool
    created_at: dt.datetime
    summary: Mapping[str, Any]


def pick_pair(rows: Sequence[GradedRow]) -> dict[str, Any]:
    """The pair's columns: best and latest (same order as counted_submissions()) and misconceptions."""
    if not rows:
        return {"best_id": None, "best_score": None, "best_late": False, "best_summary": None, "latest_id": None,
                "latest_score": None, "latest_late": False, "latest_summary": None, "misconceptions": []}
    best = min(rows, key=lambda r: (-r.score, r.id))
    latest = max(rows, key=lambda r: (r.created_at, r.id))
    seen: list[list[str]] = []
    for row in sorted(rows, key=lambda r: r.id):
        for item in row.summary.get("misconceptions") or ():
            pair = [str(x) for x in item]
            if pair not in seen:
                seen.append(pair)
    return {"best_id": best.id, "best_score": best.score, "best_late": best.late, "best_summary": dict(best.summary),
            "latest_id": latest.id, "latest_score": latest.score, "latest_late": latest.late,
            "latest_summary": dict(latest.summary), "misconceptions": seen}


def graded_rows(conn: sa.Connection, where: Any) -> dict[tuple[str, str], list[GradedRow]]:
    rows = conn.execute(
        sa.select(
            submissions_t.c.student_id,
            submissions_t.c.exercise,
            submissions_t.c.id,
            submissions_t.c.score,
            submissions_t.c.late,
            submissions_t.c.created_at,
            submissions_t.c.summary,
            submissions_t.c.late_penalty,
        ).where(has_counted_result(), where)
    ).all()
    by_pair: dict[tuple[str, str], list[GradedRow]] = {}
    for r in rows:
        by_pair.setdefault((str(r[0]), str(r[1])), []).append(
            GradedRow(id=int(r[2]), score=counted_score(float(r[3]), float(r[7] or 0.0)), late=bool(r[4]),
                      created_at=r[5], summary=r[6] or {})
        )
    return by_pair


def _insert(conn: sa.Connection) -> Any:
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(scores_t)


def refresh_pairs(conn: sa.Connection, pairs: Iterable[tuple[str, str]]) -> None:
    """Recompute these (student, exercise) rows from the graded submissions, inside the caller's
    transaction. On PostgreSQL the pair's row is locked first, so two results of one pair written at
    once are applied one after the other (each sees the other's committed row)."""
    for student_id, exercise in sorted(set(pairs)):  # a fixed order: no lock cycles
        conn.execute(
            _insert(conn)
            .values(student_id=student_id, exercise=exercise, misconceptions=[], updated_at=utcnow())
            .on_conflict_do_nothing()
        )
        this = sa.and_(scores_t.c.student_id == student_id, scores_t.c.exercise == exercise)
        if conn.dialect.name == "postgresql":
            conn.execute(sa.select(scores_t.c.student_id).where(this).with_for_update())
        rows = graded_rows(
            conn, sa.and_(submissions_t.c.student_id == student_id, submissions_t.c.exercise == exercise)
        )
        values = pick_pair(rows.get((student_id, exercise), []))
        conn.execute(sa.update(scores_t).where(this).values(**values, updated_at=utcnow()))


def refresh_for_submission(conn: sa.Connection, submission_id: int) -> None:
    row = conn.execute(
        sa.select(submissions_t.c.student_id, submissions_t.c.exercise).where(submissions_t.c.id == submission_id)
    ).first()
    if row is not None:
        refresh_pairs(conn, [(str(row[0]), str(row[1]))])


def rebuild_pairs(conn: sa.Connection) -> int:
    """Recompute the whole table from the submissions (after a bulk import; the migration does the same)."""
    conn.execute(sa.delete(scores_t))
    by_pair = graded_rows(conn, sa.true())
    now = utcnow()
    values = [{"student_id": student_id, "exercise": exercise, **pick_pair(rows), "updated_at": now}
              for (student_id, exercise), rows in by_pair.items()]
    for start in range(0, len(values), IN_CHUNK):
        conn.execute(sa.insert(scores_t), values[start : start + IN_CHUNK])
    return len(values)
