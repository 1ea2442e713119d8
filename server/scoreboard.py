"""The scoreboard: per student, the counted submission of each exercise (best or latest graded one).

`scoreboard_rows()` is the one query (a window function, the same on SQLite and PostgreSQL); the JSON
route, the CSV route and the teacher's HTML page all build on it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Literal

import sqlalchemy as sa
from sqlmodel import Session, select

from server.models import ScoreboardRow, Student, Submission, SubmissionStatus

ScorePolicy = Literal["best", "latest"]
# A cell starting with one of these is a formula to a spreadsheet: prefix it so it stays text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def counted_submissions(session: Session, policy: ScorePolicy) -> list[tuple[str, str, float, bool, int]]:
    """(student_id, exercise, score, late, submission id) of the submission that counts, per pair."""
    s = Submission.__table__.c  # type: ignore[attr-defined]
    order = (s.score.desc(), s.id.asc()) if policy == "best" else (s.created_at.desc(), s.id.desc())
    ranked = (
        sa.select(
            s.student_id,
            s.exercise,
            s.score,
            s.late,
            s.id,
            sa.func.row_number().over(partition_by=(s.student_id, s.exercise), order_by=order).label("rank"),
        )
        .where(s.status == SubmissionStatus.graded.value, s.score.is_not(None))
        .subquery()
    )
    rows = session.execute(
        sa.select(ranked.c.student_id, ranked.c.exercise, ranked.c.score, ranked.c.late, ranked.c.id).where(
            ranked.c.rank == 1
        )
    ).all()
    return [(str(r[0]), str(r[1]), float(r[2]), bool(r[3]), int(r[4])) for r in rows]


def scoreboard_rows(session: Session, exercise_ids: Sequence[str], policy: ScorePolicy) -> list[ScoreboardRow]:
    """One row per student (sorted by student id), a column per exercise (offered ones plus any graded)."""
    counted = counted_submissions(session, policy)
    exercises = list(exercise_ids) + sorted({c[1] for c in counted} - set(exercise_ids))
    by_student: dict[str, dict[str, tuple[float, bool]]] = {}
    for student_id, exercise, score, late, _id in counted:
        by_student.setdefault(student_id, {})[exercise] = (score, late)
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


def _cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


def scoreboard_csv(rows: Sequence[ScoreboardRow], exercise_ids: Sequence[str]) -> bytes:
    """UTF-8 with a BOM (so spreadsheet programs read Chinese names right)."""
    exercises = list(exercise_ids)
    for row in rows:
        exercises += [e for e in row.scores if e not in exercises]
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(["student_id", "name", *exercises, "total", "late"])
    for row in rows:
        scores = [row.scores.get(e) for e in exercises]
        writer.writerow(
            [
                _cell(row.student_id),
                _cell(row.name),
                *("" if v is None else f"{v:g}" for v in scores),
                f"{row.total:g}",
                "yes" if row.late else "no",
            ]
        )
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")
