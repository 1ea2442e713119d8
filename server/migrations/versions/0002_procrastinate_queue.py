"""job queue: procrastinate's schema, in its own PostgreSQL schema `procrastinate` (no-op on SQLite)

The SQL is the one procrastinate ships as a package resource (`SchemaManager.get_schema()`), applied with
`search_path` pointing at the `procrastinate` schema, so the queue's tables, types and functions never mix
with ours (and `alembic` autogenerate, which looks at the default schema only, does not see them). The
queue's connections set `search_path=procrastinate,public` (server.grading.procrastinate_queue).

Upgrading procrastinate to a version with a new schema needs a later revision that runs the matching
files of procrastinate's `sql/migrations/` the same way; pin the version range in pyproject.

Revision ID: 0002
Revises: 0001
Create Date: 2025-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

QUEUE_SCHEMA = "procrastinate"


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return  # SQLite: the in-process queue only
    from procrastinate.schema import SchemaManager

    previous = bind.execute(sa.text("SELECT current_setting('search_path')")).scalar_one()
    bind.execute(sa.text(f'CREATE SCHEMA IF NOT EXISTS "{QUEUE_SCHEMA}"'))
    bind.execute(sa.text("SELECT set_config('search_path', :path, true)"), {"path": QUEUE_SCHEMA})
    # Several statements, some with '%' in them: run them through the driver with no parameters.
    driver_connection = bind.connection.driver_connection
    assert driver_connection is not None
    driver_connection.execute(SchemaManager.get_schema().encode())
    bind.execute(sa.text("SELECT set_config('search_path', :path, true)"), {"path": previous})


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    bind.execute(sa.text(f'DROP SCHEMA IF EXISTS "{QUEUE_SCHEMA}" CASCADE'))
