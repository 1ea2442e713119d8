"""notebooks: submissions.notebook, the report of a notebook upload's skipped cells

A notebook upload is stored as the source of its definitions (grader.notebook); this JSON column keeps which
code cells were not run and why, so the student's feedback and the teacher's view can say so. NULL for .py
files and JSON bodies. docs/client.md.

Revision ID: 0006
Revises: 0005 (temporarily 0003 until 0004 and 0005 are on main; the coordinator re-points it)
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("submissions") as batch:
        batch.add_column(sa.Column("notebook", JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("submissions") as batch:
        batch.drop_column("notebook")
