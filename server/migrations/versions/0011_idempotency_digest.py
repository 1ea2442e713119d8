"""an Idempotency-Key is bound to its request's body

`submissions.idempotency_hash`: sha256 of the exercise and the source of the request that used the key
(server.submissions.service.body_digest). A retry with the same key and body returns the stored submission;
the same key with another body is refused (422). Rows stored before have none and match any body.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("submissions", sa.Column("idempotency_hash", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("submissions") as batch:
        batch.drop_column("idempotency_hash")
