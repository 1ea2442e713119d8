"""scoreboard: submissions.summary, the student_exercise_scores table, two covering indexes

Each graded submission keeps a small `summary` of its result (per-part scores, failed tests,
misconceptions); `student_exercise_scores` keeps, per (student, exercise), the best and the latest graded
submission with a copy of their score, late flag and summary. Both are filled here from the stored results
(self-contained: no import of server code, whose shape may change later), then kept by
server.grading.claims.write_result. The indexes cover the scoreboard's GROUP BYs (count and last submission per
pair, submissions per hour) so they never read the wide rows. See docs/scoreboard.md.

Revision ID: 0003
Revises: 0002
Create Date: 2025-12-02
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TZ = sa.DateTime(timezone=True)
BATCH = 500


def _summary(result: dict[str, Any]) -> dict[str, Any]:
    parts: dict[str, float] = {}
    failed: list[str] = []
    misconceptions: list[list[str]] = []
    for part in result.get("parts") or ():
        name = str(part.get("name", ""))
        parts[name] = float(part.get("score") or 0.0)
        for test in part.get("tests") or ():
            if test.get("outcome") != "passed":
                failed.append(str(test.get("name", "")))
            for m in test.get("misconceptions") or ():
                if [name, str(m)] not in misconceptions:
                    misconceptions.append([name, str(m)])
    return {"parts": parts, "failed": failed, "misconceptions": misconceptions}


def _backfill(bind: sa.Connection) -> None:
    subs = sa.table("submissions", sa.column("id"), sa.column("student_id"), sa.column("exercise"),
                    sa.column("status"), sa.column("score"), sa.column("late"), sa.column("created_at", TZ),
                    sa.column("result", JSON), sa.column("summary", JSON))
    scores = sa.table("student_exercise_scores", sa.column("student_id"), sa.column("exercise"),
                      sa.column("best_id"), sa.column("best_score"), sa.column("best_late"),
                      sa.column("best_summary", JSON), sa.column("latest_id"), sa.column("latest_score"),
                      sa.column("latest_late"), sa.column("latest_summary", JSON),
                      sa.column("misconceptions", JSON), sa.column("updated_at", TZ))
    last = 0
    while True:
        rows = bind.execute(
            sa.select(subs.c.id, subs.c.result)
            .where(subs.c.id > last, subs.c.result.is_not(None))
            .order_by(subs.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        for sub_id, result in rows:
            if isinstance(result, dict):
                bind.execute(sa.update(subs).where(subs.c.id == sub_id).values(summary=_summary(result)))
        last = int(rows[-1][0])
    graded = bind.execute(
        sa.select(subs.c.student_id, subs.c.exercise, subs.c.id, subs.c.score, subs.c.created_at, subs.c.summary,
                  subs.c.late)
        .where(subs.c.status == "graded", subs.c.score.is_not(None))
    ).all()
    pairs: dict[tuple[str, str], list[Any]] = {}
    for row in graded:
        pairs.setdefault((row[0], row[1]), []).append(row)
    now = dt.datetime.now(dt.UTC)
    if bind.dialect.name == "sqlite":
        now = now.replace(tzinfo=None)  # as server.db.UTCDateTime stores it
    for (student_id, exercise), rows in pairs.items():
        best = min(rows, key=lambda r: (-r[3], r[2]))
        latest = max(rows, key=lambda r: (r[4], r[2]))
        seen: list[list[str]] = []
        for r in sorted(rows, key=lambda r: r[2]):
            for item in (r[5] or {}).get("misconceptions") or ():
                if list(item) not in seen:
                    seen.append(list(item))
        bind.execute(sa.insert(scores).values(
            student_id=student_id, exercise=exercise, misconceptions=seen, updated_at=now,
            best_id=best[2], best_score=best[3], best_late=bool(best[6]), best_summary=best[5],
            latest_id=latest[2], latest_score=latest[3], latest_late=bool(latest[6]), latest_summary=latest[5],
        ))


def upgrade() -> None:
    op.add_column("submissions", sa.Column("summary", JSON, nullable=True))
    op.create_table(
        "student_exercise_scores",
        sa.Column("student_id", sa.String(64), sa.ForeignKey("students.student_id"), primary_key=True),
        sa.Column("exercise", sa.String(64), primary_key=True),
        sa.Column("best_id", sa.BigInteger(), nullable=True),
        sa.Column("best_score", sa.Float(), nullable=True),
        sa.Column("best_late", sa.Boolean(), nullable=False),
        sa.Column("best_summary", JSON, nullable=True),
        sa.Column("latest_id", sa.BigInteger(), nullable=True),
        sa.Column("latest_score", sa.Float(), nullable=True),
        sa.Column("latest_late", sa.Boolean(), nullable=False),
        sa.Column("latest_summary", JSON, nullable=True),
        sa.Column("misconceptions", JSON, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
    )
    op.create_index("ix_submissions_pair_created", "submissions", ["student_id", "exercise", "created_at"])
    op.create_index("ix_submissions_exercise_created", "submissions", ["exercise", "created_at"])
    _backfill(op.get_bind())


def downgrade() -> None:
    op.drop_index("ix_submissions_exercise_created", table_name="submissions")
    op.drop_index("ix_submissions_pair_created", table_name="submissions")
    op.drop_table("student_exercise_scores")
    with op.batch_alter_table("submissions") as batch:
        batch.drop_column("summary")
