"""regrade report per part: regrade_items.before_parts and after_parts

With credit per output (spec.toml `[parts.credit]`), a regrade moves the score of one part of a submission
(backward) and leaves the others: the report keeps each pair's counted per-part scores before the batch and
after its last grading, so a teacher sees which part moved. NULL for rows written before this revision.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("regrade_items") as batch:
        batch.add_column(sa.Column("before_parts", JSON, nullable=True))
        batch.add_column(sa.Column("after_parts", JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("regrade_items") as batch:
        batch.drop_column("after_parts")
        batch.drop_column("before_parts")
