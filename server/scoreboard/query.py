"""The scoreboard: per student, the counted submission of each exercise (best or latest graded one).

Fast at any class size: `student_exercise_scores` keeps, per (student, exercise), the ids of the best and
the latest graded submission; `refresh_pairs()` recomputes a pair in the transaction that writes one of
its results (server.grading.claims.write_result), and each submission keeps a small `summary` of its result
(per-part scores, failed tests, misconceptions) so nothing here parses whole results. A regrade puts a
counted submission back in the queue with `regrading` set: it keeps counting with its last score until the
new grading is written, so the scoreboard never drops it (docs/regrades.md). A counted row that lost its
result some other way (queued again without that marker) is found through the status index and its pair
recomputed from the submissions (`counted_by_pair`). `counted_submissions()` (a window function over
every graded row) is the exact definition the tests compare this with. The JSON route, the CSV route and
the teacher's HTML page all build on `counted_by_pair()`. See docs/scoreboard.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import sqlalchemy as sa
from sqlmodel import Session, select

from grader.policy import counted_score
from server.models import ScoreboardRow, Student, SubmissionStatus
from server.scoreboard.cache import graded_rows, has_counted_result, pick_pair
from server.tables import scores_t, submissions_t

ScorePolicy = Literal["best", "latest"]
GRADED = SubmissionStatus.graded.value
NOT_GRADED = tuple(s.value for s in SubmissionStatus if s is not SubmissionStatus.graded)
IN_CHUNK = 500  # ids per IN (...) list


def counted_submissions(session: Session, policy: ScorePolicy) -> list[tuple[str, str, float, bool, int]]:
    """(student_id, exercise, counted score, late, submission id) of the submission that counts, per pair:
    the best counted score (raw score after the late penalty) or the latest."""
    s = submissions_t.c
    counted = s.score * (1.0 - s.late_penalty)
    order = (counted.desc(), s.id.asc()) if policy == "best" else (s.created_at.desc(), s.id.desc())
    ranked = (
        sa.select(
            s.student_id,
            s.exercise,
            s.score,
            s.late_penalty,
            s.late,
            s.id,
            sa.func.row_number().over(partition_by=(s.student_id, s.exercise), order_by=order).label("rank"),
        )
        .where(has_counted_result())
        .subquery()
    )
    rows = session.execute(
        sa.select(ranked.c.student_id, ranked.c.exercise, ranked.c.score, ranked.c.late_penalty, ranked.c.late,
                  ranked.c.id).where(ranked.c.rank == 1)
    ).all()
    return [(str(r[0]), str(r[1]), counted_score(float(r[2]), float(r[3])), bool(r[4]), int(r[5])) for r in rows]


# ---------------------------------------------------------------- reading it
@dataclass(frozen=True)
class Counted:
    """The submission that counts for one (student, exercise)."""

    submission_id: int
    score: float
    late: bool
    parts: Mapping[str, float]
    failed: Sequence[str]
    misconceptions: Sequence[tuple[str, str]]


@dataclass
class PairScore:
    counted: Counted | None
    # [part, name] seen in any graded submission of the pair.
    misconceptions_ever: list[tuple[str, str]] = field(default_factory=list)


def _counted(submission_id: Any, score: Any, late: Any, summary: Any) -> Counted:
    summary = summary or {}
    return Counted(
        submission_id=int(submission_id),
        score=float(score),
        late=bool(late),
        parts={str(k): float(v) for k, v in (summary.get("parts") or {}).items()},
        failed=[str(x) for x in summary.get("failed") or ()],
        misconceptions=[(str(a), str(b)) for a, b in summary.get("misconceptions") or ()],
    )


def counted_by_pair(conn: sa.Connection | Session, policy: ScorePolicy) -> dict[tuple[str, str], PairScore]:
    """Per (student, exercise) with a graded submission: the counted one and the misconceptions seen.
    One scan of the small table; pairs whose counted submission lost its result (not graded and no
    regrade pending, found through the status index) are recomputed from the submissions."""
    connection = conn.connection() if isinstance(conn, Session) else conn
    prefix = "best" if policy == "best" else "latest"
    cols = [scores_t.c[f"{prefix}_{name}"] for name in ("id", "score", "late", "summary")]
    rows = connection.execute(
        sa.select(scores_t.c.student_id, scores_t.c.exercise, scores_t.c.misconceptions, *cols).where(
            cols[0].is_not(None)
        )
    ).all()
    not_graded = {
        int(i)
        for i in connection.execute(
            sa.select(submissions_t.c.id).where(submissions_t.c.status.in_(NOT_GRADED),
                                                submissions_t.c.regrading == sa.false())
        ).scalars()
    }
    out: dict[tuple[str, str], PairScore] = {}
    stale: set[tuple[str, str]] = set()
    for student_id, exercise, misconceptions, sub_id, score, late, summary in rows:
        pair = (str(student_id), str(exercise))
        if int(sub_id) in not_graded or score is None:
            stale.add(pair)
            continue
        out[pair] = PairScore(_counted(sub_id, score, late, summary), [(str(a), str(b)) for a, b in misconceptions])
    students = sorted({s for s, _ in stale})
    for start in range(0, len(students), IN_CHUNK):
        by_pair = graded_rows(connection, submissions_t.c.student_id.in_(students[start : start + IN_CHUNK]))
        for pair, graded in by_pair.items():
            if pair in stale:
                v = pick_pair(graded)
                out[pair] = PairScore(
                    _counted(v[f"{prefix}_id"], v[f"{prefix}_score"], v[f"{prefix}_late"], v[f"{prefix}_summary"]),
                    [(a, b) for a, b in v["misconceptions"]],
                )
    return out


@dataclass(frozen=True)
class Activity:
    submissions: int
    last_submitted_at: dt.datetime


def activity_by_pair(conn: sa.Connection | Session) -> dict[tuple[str, str], Activity]:
    """Per (student, exercise): how many submissions (any status) and when the last one came in."""
    connection = conn.connection() if isinstance(conn, Session) else conn
    rows = connection.execute(
        sa.select(
            submissions_t.c.student_id,
            submissions_t.c.exercise,
            sa.func.count(),
            sa.func.max(submissions_t.c.created_at),
        ).group_by(submissions_t.c.student_id, submissions_t.c.exercise)
    ).all()
    out: dict[tuple[str, str], Activity] = {}
    for student_id, exercise, count, last in rows:
        if isinstance(last, str):  # SQLite: an aggregate loses the column type
            last = dt.datetime.fromisoformat(last)
        if last.tzinfo is None:
            last = last.replace(tzinfo=dt.UTC)
        out[(str(student_id), str(exercise))] = Activity(int(count), last)
    return out


def scoreboard_rows(session: Session, exercise_ids: Sequence[str], policy: ScorePolicy) -> list[ScoreboardRow]:
    """One row per student (sorted by student id), a column per exercise (offered ones plus any graded)."""
    counted = counted_by_pair(session, policy)
    exercises = list(exercise_ids) + sorted({e for _s, e in counted} - set(exercise_ids))
    by_student: dict[str, dict[str, tuple[float, bool]]] = {}
    for (student_id, exercise), pair in counted.items():
        if pair.counted is not None:
            by_student.setdefault(student_id, {})[exercise] = (pair.counted.score, pair.counted.late)
    rows: list[ScoreboardRow] = []
    for student in session.exec(select(Student).order_by(Student.student_id)).all():
        cells = by_student.get(student.student_id, {})
        scores: dict[str, float | None] = {e: cells[e][0] if e in cells else None for e in exercises}
        late_ones = [e for e in exercises if e in cells and cells[e][1]]
        rows.append(
            ScoreboardRow(
                student_id=student.student_id,
                name=student.name,
                scores=scores,
                total=round(sum(v for v in scores.values() if v is not None), 4),
                late=bool(late_ones),
                late_exercises=late_ones,
            )
        )
    return rows
