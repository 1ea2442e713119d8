"""Operator commands (full install only, registered by cli.main): `version`, `backup`, `restore`, `migrate-data`.

They read only the database settings (RNN_GRADER_DATABASE_URL, else the SQLite file under RNN_GRADER_DATA_DIR),
never the secrets: a backup job needs the database and nothing else. docs/operations.md says how to run them.
"""

from __future__ import annotations

import platform
from pathlib import Path
from typing import Annotated, Any

import typer

from cli import render
from cli.base import JsonOpt, fail, handle_errors, note, stdout_console
from cli.version import VERSION

DatabaseUrlOpt = Annotated[
    str | None,
    typer.Option("--database-url", help="SQLAlchemy URL (default: RNN_GRADER_DATABASE_URL, else the SQLite file "
                 "under RNN_GRADER_DATA_DIR)."),
]


def _database_url(given: str | None) -> str:
    from server.backup import database_url_from_environment

    return given.strip() if given and given.strip() else database_url_from_environment()


def _shown(url: str) -> str:
    from sqlalchemy.engine.url import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL is still worth showing, without anything after a colon
        return url.split(":", 1)[0] + ":..."


@handle_errors
def version(json_: JsonOpt = False) -> None:
    """Show the versions of rnn-grader, Python, NumPy and the SQLite library the engine uses, and the database."""
    import numpy

    from server.config import ConfigError
    from server.sqlite_library import sqlite_version

    try:
        sqlite: str | None = sqlite_version()
    except ConfigError:
        sqlite = None  # no SQLite with the WAL-reset fix: the server refuses SQLite (it says so at start)
    info = {"version": VERSION, "python": platform.python_version(), "numpy": numpy.__version__,
            "sqlite_version": sqlite, "database": _shown(_database_url(None))}
    if json_:
        render.print_json(stdout_console(), info)
        return
    for key, value in info.items():
        typer.echo(f"{key}: {value if value is not None else 'none with the WAL-reset fix (>= 3.51.3)'}")


@handle_errors
def backup(
    out: Annotated[Path | None, typer.Option("--out", help="The backup file (default: a new file in the backup "
                                             "directory, RNN_GRADER_BACKUP_DIR or <data_dir>/backups).")] = None,
    database_url: DatabaseUrlOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Back up the database while the server runs: SQLite's online backup API (checked), or pg_dump."""
    import os

    from server.backup import BackupError, default_backup_name
    from server.backup import backup as take_backup

    url = _database_url(database_url)
    if out is None:
        directory = os.environ.get("RNN_GRADER_BACKUP_DIR", "").strip()
        data_dir = Path(os.environ.get("RNN_GRADER_DATA_DIR", "").strip() or "data")
        try:
            out = (Path(directory) if directory else data_dir / "backups") / default_backup_name(url, manual=True)
        except BackupError as exc:
            fail(str(exc))
    try:
        report = take_backup(url, out)
    except BackupError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot write {out}: {exc.strerror or exc}")
    data: dict[str, Any] = {"path": str(report.path.resolve()), "backend": report.backend, "bytes": report.bytes,
                            "seconds": round(report.seconds, 3), "database": _shown(url), "rows": report.rows}
    if json_:
        render.print_json(stdout_console(), data)
    else:
        rows = f", {sum(report.rows.values())} rows" if report.rows is not None else ""
        note(f"backed up {_shown(url)} to {data['path']} ({report.bytes} bytes{rows}, {report.seconds:.1f} s)")


@handle_errors
def restore(
    file: Annotated[Path, typer.Argument(help="A file made by `rnn-grader backup` (SQLite) or pg_dump -Fc.")],
    database_url: DatabaseUrlOpt = None,
) -> None:
    """Restore a backup into a fresh database (never over an existing one); the server migrates it on start."""
    from server.backup import BackupError
    from server.backup import restore as restore_backup

    url = _database_url(database_url)
    try:
        what = restore_backup(file, url)
    except BackupError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot restore {file}: {exc.strerror or exc}")
    note(f"restored {file} into {_shown(url)}: {what}")


@handle_errors
def migrate_data(
    from_url: Annotated[str, typer.Option("--from", help="Where the course is, e.g. sqlite:///data/rnn-grader.db or "
                                          "a file made by `rnn-grader backup`.")],
    to_url: Annotated[str, typer.Option("--to", help="An empty database, e.g. postgresql+psycopg://...")],
) -> None:
    """Copy a course into an empty database (SQLite to PostgreSQL): every row, one transaction, then checked."""
    import sqlalchemy as sa

    from server.backup import BackupError
    from server.backup.migrate_data import migrate_data as copy_course

    try:
        copied = copy_course(from_url, to_url)
    except BackupError as exc:
        fail(str(exc))
    except sa.exc.SQLAlchemyError as exc:
        fail(f"cannot copy: {str(exc).strip().splitlines()[0]}")
    note(f"copied {sum(copied.values())} rows in {len(copied)} tables from {_shown(from_url)} to {_shown(to_url)}")
