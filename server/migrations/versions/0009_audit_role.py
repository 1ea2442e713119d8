"""audit_log.role: the role of whoever made each change

Every entry now records the authenticated principal's role beside its id (instructor, ta or student).
Existing entries: a staff member's role where the actor is one; otherwise `instructor`, since before
staff accounts every audited change needed the one teacher token, the bootstrap instructor's.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.add_column(sa.Column("role", sa.String(length=16), nullable=True))
    op.execute(
        "UPDATE audit_log SET role = COALESCE("
        "(SELECT staff.role FROM staff WHERE staff.staff_id = audit_log.actor), 'instructor')"
    )
    with op.batch_alter_table("audit_log") as batch:
        batch.alter_column("role", existing_type=sa.String(length=16), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_column("role")
