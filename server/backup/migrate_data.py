"""`rnn-grader migrate-data --from URL --to URL`: move a course from one database to another, typically from the
embedded default's SQLite file (or a backup of it) to PostgreSQL.

The target is migrated to the source's schema revision, must be empty, gets every row of every rnn-grader table
in one transaction (in foreign-key order, through the application's own column types, so timestamps and JSON
mean the same on both backends), then its id sequences are moved past the copied ids and it is migrated to the
latest revision. The source is only read (a SQLite source is opened read-only), so it can be a live database
(copy from a backup, or with the server stopped, to get one moment) or a file made by `rnn-grader backup`.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.engine.url import make_url

from server.backup.files import BackupError
from server.db import alembic_config, create_db_engine
from server.sqlite_library import sqlite_module

CHUNK_ROWS = 1000
# Tables that are not course data: the schema version (the target gets its own), a backup's manifest, and
# procrastinate's job queue (PostgreSQL only; a moved course starts with an empty queue and the reconciler
# queues whatever is still to grade).
NOT_COPIED = frozenset({"alembic_version", "rnn_grader_backup"})


def course_tables() -> list[sa.Table]:
    """Every table of rnn-grader, parents before children."""
    from server.table_models import metadata

    return list(metadata.sorted_tables)


def _source_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_db_engine(url)
    path = Path(parsed.database or "")
    if not path.is_file():
        raise BackupError(f"no SQLite database at {path}")
    return sa.create_engine("sqlite://", creator=lambda: sqlite_module().connect(f"file:{path.resolve()}?mode=ro",
                                                                                uri=True))


def _revision(connection: sa.Connection) -> str | None:
    if not sa.inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def _upgrade(engine: Engine, revision: str) -> None:
    from alembic import command

    cfg = alembic_config()
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)


def migrate_data(source_url: str, target_url: str) -> dict[str, int]:
    """Copy every row from `source_url` into the empty database at `target_url`; returns rows per table."""
    if make_url(source_url) == make_url(target_url):
        raise BackupError("--from and --to name the same database")
    tables = course_tables()
    source = _source_engine(source_url)
    target = create_db_engine(target_url)
    try:
        with source.connect() as read:
            revision = _revision(read)
            if revision is None:
                raise BackupError("the source has no rnn-grader schema (no alembic_version)")
            names = set(sa.inspect(read).get_table_names()) - NOT_COPIED
            unknown = names - {t.name for t in tables}
            if unknown:
                raise BackupError(f"the source has tables this rnn-grader does not know: {sorted(unknown)}")
            _upgrade(target, revision)
            copied = {table.name: 0 for table in tables}
            with target.begin() as write:
                # At the source's revision (an older one, say) the schema has only some of today's tables and
                # columns: those are what is compared and copied; the upgrade to head adds and fills the rest.
                existing = set(sa.inspect(write).get_table_names())
                present = [table for table in tables if table.name in existing]
                for table in present:
                    if write.execute(sa.select(sa.func.count()).select_from(sa.table(table.name))).scalar():
                        raise BackupError(f"the target is not empty ({table.name} has rows): use a fresh database")
                for table in present:
                    if table.name in names:
                        copied[table.name] = _copy(read, write, _as_of_revision(read, write, table))
                if write.dialect.name == "postgresql":
                    _advance_sequences(write, [_as_of_revision(read, write, table) for table in present])
        _upgrade(target, "head")
        with target.connect() as check:
            for table in tables:
                count = check.execute(sa.select(sa.func.count()).select_from(table)).scalar()
                if count != copied[table.name]:
                    raise BackupError(f"{table.name}: {copied[table.name]} rows copied but {count} in the target")
        return copied
    finally:
        source.dispose()
        target.dispose()


def _as_of_revision(read: sa.Connection, write: sa.Connection, table: sa.Table) -> sa.Table:
    """`table` with only the columns both databases have at this revision, with the application's column types
    (so timestamps and JSON convert as the server reads them) and no Python-side defaults of later columns."""
    have = {c["name"] for c in sa.inspect(read).get_columns(table.name)} & \
        {c["name"] for c in sa.inspect(write).get_columns(table.name)}
    columns = [sa.Column(c.name, c.type, primary_key=c.primary_key, autoincrement=c.autoincrement)
               for c in table.columns if c.name in have]
    return sa.Table(table.name, sa.MetaData(), *columns)


def _copy(read: sa.Connection, write: sa.Connection, table: sa.Table) -> int:
    total = 0
    order = list(table.primary_key.columns) or list(table.columns)
    result = read.execution_options(yield_per=CHUNK_ROWS).execute(sa.select(table).order_by(*order))
    for chunk in result.mappings().partitions(CHUNK_ROWS):
        write.execute(table.insert(), [dict(row) for row in chunk])
        total += len(chunk)
    return total


def _advance_sequences(write: sa.Connection, tables: list[sa.Table]) -> None:
    """The next id PostgreSQL hands out comes after the copied ones."""
    for table in tables:
        for column in table.primary_key.columns:
            if not column.autoincrement or not isinstance(column.type, sa.Integer):
                continue
            sequence = write.execute(sa.select(sa.func.pg_get_serial_sequence(table.name, column.name))).scalar()
            if sequence is None:
                continue
            highest = write.execute(sa.select(sa.func.max(column))).scalar()
            if highest is not None:
                write.execute(sa.select(sa.func.setval(sequence, highest)))
