"""Backups and restores of the course database (docs/operations.md).

- SQLite: SQLite's online backup API, a manifest, integrity checks, fsync and an atomic rename
  (`sqlite_backup`); never a copy of the live file and its WAL.
- PostgreSQL: `pg_dump --format=custom` and `pg_restore --single-transaction` (`postgres_backup`).
- The embedded default backs itself up on a schedule (`schedule`).
A restore goes into a fresh database only: it never overwrites one.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine.url import make_url

from server.backup.files import BackupError
from server.backup.postgres_backup import backup_postgres, is_pg_dump_file, restore_postgres
from server.backup.sqlite_backup import backup_sqlite, is_sqlite_file, restore_sqlite
from server.sqlite_library import sqlite_module

__all__ = ["BackupError", "BackupReport", "backup", "database_url_from_environment", "default_backup_name", "restore"]


@dataclass(frozen=True)
class BackupReport:
    path: Path
    backend: str  # "sqlite" or "postgresql"
    bytes: int
    seconds: float
    rows: dict[str, int] | None  # SQLite: the row count of every table in the backup's snapshot


def database_url_from_environment() -> str:
    """RNN_GRADER_DATABASE_URL, else the embedded default's file under RNN_GRADER_DATA_DIR (default ./data). Read
    without the rest of the settings: a backup job needs the database and nothing else (no secret, no token)."""
    url = os.environ.get("RNN_GRADER_DATABASE_URL", "").strip()
    if url:
        return url
    data_dir = Path(os.environ.get("RNN_GRADER_DATA_DIR", "").strip() or "data")
    return f"sqlite:///{(data_dir / 'rnn-grader.db').resolve()}"


def _backend(url: str) -> str:
    backend = make_url(url).get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise BackupError(f"cannot back up a {backend} database (SQLite and PostgreSQL only)")
    return backend


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database has nothing to back up")
    return Path(database)


@contextlib.contextmanager
def _sqlite_errors(what: str) -> Iterator[None]:
    """SQLite's own errors (a full disk, a locked or damaged file) as one line for the operator."""
    try:
        yield
    except sqlite_module().Error as exc:
        raise BackupError(f"{what}: SQLite says {exc}") from None


def default_backup_name(url: str, now: dt.datetime | None = None, *, manual: bool = False) -> str:
    """rnn-grader-20261206T131751Z.db (SQLite) or .dump (pg_dump archive): sortable by time. A backup someone
    asked for (`manual`) is rnn-grader-manual-...: the automatic schedule neither counts nor removes it."""
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%SZ")
    return f"rnn-grader-{'manual-' if manual else ''}{stamp}.{'db' if _backend(url) == 'sqlite' else 'dump'}"


def backup(url: str, out: Path, *, snapshot: str | None = None) -> BackupReport:
    """Back up the database at `url` into `out`. `snapshot` (PostgreSQL): dump an exported snapshot."""
    backend = _backend(url)
    started = time.monotonic()
    rows = None
    if backend == "sqlite":
        with _sqlite_errors(f"backing up {url}"):
            rows = backup_sqlite(_sqlite_path(url), out).rows
    else:
        backup_postgres(url, out, snapshot=snapshot)
    return BackupReport(out, backend, out.stat().st_size, time.monotonic() - started, rows)


def known_revisions() -> frozenset[str]:
    """The schema revisions this rnn-grader's migrations know."""
    from alembic.script import ScriptDirectory

    from server.db import alembic_config

    return frozenset(script.revision for script in ScriptDirectory.from_config(alembic_config()).walk_revisions())


def restore(backup_file: Path, url: str) -> str:
    """Restore `backup_file` into the fresh database at `url`; returns what was restored, in one line."""
    backend = _backend(url)
    if not backup_file.is_file():
        raise BackupError(f"no backup file at {backup_file}")
    if is_sqlite_file(backup_file):
        if backend != "sqlite":
            raise BackupError(f"{backup_file} is a SQLite backup: to move it to PostgreSQL, run "
                              f"`rnn-grader migrate-data --from sqlite:///{backup_file.resolve()} --to URL`")
        with _sqlite_errors(f"restoring {backup_file}"):
            manifest = restore_sqlite(backup_file, _sqlite_path(url), known_revisions())
        return (f"{sum(manifest.rows.values())} rows in {len(manifest.rows)} tables, backed up at "
                f"{manifest.created_at} (schema {manifest.revision})")
    if is_pg_dump_file(backup_file):
        if backend != "postgresql":
            raise BackupError(f"{backup_file} is a pg_dump archive: restore it into PostgreSQL (--database-url)")
        listing = restore_postgres(backup_file, url)
        tables = sum(1 for line in listing if " TABLE DATA " in line)
        return f"{tables} tables from a pg_dump archive"
    raise BackupError(f"{backup_file} is neither an rnn-grader SQLite backup nor a pg_dump archive")
