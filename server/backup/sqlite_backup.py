"""SQLite backups through SQLite's online backup API, never a copy of the live file.

A copy of `rnn-grader.db` taken while the server writes misses what is still in `-wal`, or mixes pages of
different moments; with its `-wal` copied a moment later it can be torn. The backup API instead copies every
page inside one read transaction of the source: one snapshot, taken while the server keeps serving (in WAL
mode readers do not block writers). The copy is then made self-contained (rollback journal, no `-wal`), gets a
manifest (`rnn_grader_backup`: when, which schema revision, the row count of every table in that same
snapshot), passes `PRAGMA integrity_check` and `foreign_key_check`, and is fsynced and renamed into place.

`restore_sqlite` accepts only such a file: a raw copy of a live database (WAL mode, or a `-wal` beside it) or a
file whose rows do not match its manifest is refused.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from server.backup.files import BackupError, atomic_output
from server.sqlite_library import sqlite_module

MANIFEST_TABLE = "rnn_grader_backup"
FORMAT = 1
SQLITE_MAGIC = b"SQLite format 3\x00"
BUSY_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Manifest:
    created_at: str
    revision: str | None
    rows: dict[str, int]
    sqlite_version: str

    def as_json(self) -> dict[str, Any]:
        return {"format": FORMAT, "created_at": self.created_at, "revision": self.revision, "rows": self.rows,
                "sqlite_version": self.sqlite_version}


def _connect(path: Path, *, read_only: bool = False) -> Any:
    uri = f"file:{path.resolve()}{'?mode=ro' if read_only else ''}"
    return sqlite_module().connect(uri, uri=True, timeout=BUSY_TIMEOUT_S, isolation_level=None,
                                   check_same_thread=False)


def _tables(connection: Any) -> list[str]:
    rows = connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").fetchall()
    return [str(r[0]) for r in rows]


def row_counts(connection: Any, exclude: tuple[str, ...] = (MANIFEST_TABLE,)) -> dict[str, int]:
    return {t: int(connection.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0])
            for t in _tables(connection) if t not in exclude}


def _revision(connection: Any) -> str | None:
    if "alembic_version" not in _tables(connection):
        return None
    row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    return str(row[0]) if row else None


def check_integrity(connection: Any, what: str) -> None:
    result = [str(r[0]) for r in connection.execute("PRAGMA integrity_check").fetchall()]
    if result != ["ok"]:
        raise BackupError(f"{what} fails PRAGMA integrity_check: {'; '.join(result[:3])}")
    broken = connection.execute("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise BackupError(f"{what} has {len(broken)} row(s) whose foreign key points nowhere")


def backup_sqlite(database: Path, out: Path, *, source: Any | None = None) -> Manifest:
    """Back up the SQLite database at `database` into `out` (atomically; an existing `out` is replaced).

    `source`: an open connection (of `sqlite_module()`) already inside a read transaction, to back up exactly
    the snapshot it sees; by default a connection of its own is opened and a snapshot taken now."""
    if source is None and not database.is_file():
        raise BackupError(f"no SQLite database at {database}")
    live = database.resolve()
    if out.resolve() in {live, live.with_name(live.name + "-wal"), live.with_name(live.name + "-shm"),
                         live.with_name(live.name + "-journal")}:
        raise BackupError(f"{out} is the database itself (or one of its files): back up to another file")
    own = source is None
    src: Any = _connect(database) if source is None else source
    try:
        if own:
            src.execute("BEGIN")  # the snapshot is fixed by the first read below and kept until ROLLBACK
        rows = row_counts(src)
        manifest = Manifest(created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), revision=_revision(src),
                            rows=rows, sqlite_version=str(sqlite_module().sqlite_version))
        with atomic_output(out) as tmp:
            dst = _connect(tmp)
            try:
                src.backup(dst)  # every page, in one step, inside the source's read transaction
                dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
                dst.execute(f"CREATE TABLE {MANIFEST_TABLE} (name TEXT PRIMARY KEY, value TEXT NOT NULL)")
                dst.execute(f"INSERT INTO {MANIFEST_TABLE} VALUES ('manifest', ?)", (json.dumps(manifest.as_json()),))
                check_integrity(dst, f"the backup of {database}")
                if row_counts(dst) != rows:
                    raise BackupError(f"the backup of {database} does not hold the rows it was taken with")
            finally:
                dst.close()
    finally:
        if own:
            src.execute("ROLLBACK")
            src.close()
    return manifest


def _header(path: Path) -> bytes:
    try:
        with path.open("rb") as f:
            return f.read(100)
    except OSError as exc:
        raise BackupError(f"cannot read {path}: {exc.strerror or exc}") from None


def is_sqlite_file(path: Path) -> bool:
    return _header(path).startswith(SQLITE_MAGIC)


def verify_sqlite_backup(path: Path) -> Manifest:
    """The manifest of a verified rnn-grader backup file, or BackupError saying what is wrong with it."""
    header = _header(path)
    if not header.startswith(SQLITE_MAGIC):
        raise BackupError(f"{path} is not a SQLite database")
    if header[18] == 2 or header[19] == 2 or path.with_name(path.name + "-wal").exists():
        raise BackupError(f"{path} is a copy of a live WAL-mode database file, not a backup (it can be torn or miss "
                          "what was still in its -wal); take backups with `rnn-grader backup`")
    connection = _connect(path, read_only=True)
    try:
        if MANIFEST_TABLE not in _tables(connection):
            raise BackupError(f"{path} has no backup manifest: it was not made by `rnn-grader backup`")
        check_integrity(connection, str(path))
        row = connection.execute(f"SELECT value FROM {MANIFEST_TABLE} WHERE name = 'manifest'").fetchone()
        data = json.loads(row[0]) if row else {}
        manifest = Manifest(created_at=str(data.get("created_at")), revision=data.get("revision"),
                            rows={str(k): int(v) for k, v in dict(data.get("rows", {})).items()},
                            sqlite_version=str(data.get("sqlite_version")))
        if row_counts(connection) != manifest.rows:
            raise BackupError(f"{path} does not hold the rows its manifest lists")
    finally:
        connection.close()
    return manifest


def restore_sqlite(backup: Path, database: Path, known_revisions: frozenset[str] | None = None) -> Manifest:
    """Restore a verified backup into a fresh SQLite database at `database` (which must not exist yet). A backup
    whose schema revision is not in `known_revisions` (made by a newer rnn-grader) is refused."""
    manifest = verify_sqlite_backup(backup)
    if known_revisions is not None and manifest.revision not in known_revisions:
        raise BackupError(f"{backup} has schema revision {manifest.revision}, which this rnn-grader does not know: "
                          "restore it with the version that made it (or a newer one)")
    for existing in (database, database.with_name(database.name + "-wal")):
        if existing.exists() and existing.stat().st_size > 0:
            raise BackupError(f"{existing} already exists: restore only into a fresh database (stop the server and "
                              "move the old files away first, or pass --database-url)")
    if database.exists():
        database.unlink()  # an empty file, e.g. left by a connection that never wrote
    source = _connect(backup, read_only=True)
    try:
        with atomic_output(database, replace=False) as tmp:
            target = _connect(tmp)
            try:
                source.backup(target)
                target.execute(f"DROP TABLE {MANIFEST_TABLE}")
                check_integrity(target, f"the database restored from {backup}")
                if row_counts(target) != manifest.rows:
                    raise BackupError(f"restoring {backup} did not reproduce its rows")
            finally:
                target.close()
    finally:
        source.close()
    return manifest
