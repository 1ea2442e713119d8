"""Alembic environment. Called programmatically by server.db.run_migrations (with a connection) or
by the alembic command line (URL from the settings)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from server.table_models import metadata

# Any fixed 64-bit number: concurrent starts (api + workers) on PostgreSQL migrate one at a time.
MIGRATION_LOCK_ID = 0x726E6E5F67726472

config = context.config
target_metadata = metadata


def _run(connection: sa.Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK_ID})
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from server.config import get_settings
    from server.db import create_db_engine

    url = config.get_main_option("sqlalchemy.url") or get_settings().database_url
    engine = create_db_engine(url)
    try:
        with engine.begin() as conn:
            _run(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
