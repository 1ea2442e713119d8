"""teachers' policies: per-student extensions, the late penalty of each submission, students' email and SIS id

`extensions` holds one student's own deadline per exercise. `submissions.late_penalty` is the fraction of
the score lost for lateness, decided when the submission came in (0 for every existing row, so their counted
score is their score and `student_exercise_scores`, whose score columns hold counted scores from now on,
needs no backfill). `students.email` and `students.sis_id` identify a student in LMS grade files.
See docs/policies.md.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "extensions",
        sa.Column("student_id", sa.String(64), sa.ForeignKey("students.student_id"), primary_key=True),
        sa.Column("exercise", sa.String(64), primary_key=True),
        sa.Column("deadline", TZ, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
    )
    op.create_index("ix_extensions_exercise", "extensions", ["exercise"])
    op.add_column("submissions", sa.Column("late_penalty", sa.Float(), nullable=False, server_default="0"))
    op.add_column("students", sa.Column("email", sa.String(254), nullable=True))
    op.add_column("students", sa.Column("sis_id", sa.String(100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("students") as batch:
        batch.drop_column("sis_id")
        batch.drop_column("email")
    with op.batch_alter_table("submissions") as batch:
        batch.drop_column("late_penalty")
    op.drop_index("ix_extensions_exercise", table_name="extensions")
    op.drop_table("extensions")
