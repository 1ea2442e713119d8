"""deferred diagnostics: submissions.diagnostics_status and diagnostics_at

A grading writes and announces its result first; the optional diagnostics (the exercise's charts on public
inputs) are computed afterwards by a grading loop, at once when a test failed, else only when the student
or the teacher asks (server.grading.diagnostics). NULL: the exercise has none, or no result yet.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("submissions") as batch:
        batch.add_column(sa.Column("diagnostics_status", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("diagnostics_at", sa.DateTime(timezone=True), nullable=True))
    # Idle grading loops look up the few rows that want diagnostics; most rows are NULL, available or done.
    op.create_index("ix_submissions_diagnostics", "submissions", ["diagnostics_status", "id"])


def downgrade() -> None:
    op.drop_index("ix_submissions_diagnostics", table_name="submissions")
    with op.batch_alter_table("submissions") as batch:
        batch.drop_column("diagnostics_at")
        batch.drop_column("diagnostics_status")
