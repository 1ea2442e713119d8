"""PostgreSQL backups with PostgreSQL's own tools: `pg_dump --format=custom` (one consistent snapshot, taken while
the database serves) and `pg_restore --single-transaction` into an empty database (all or nothing).

The archive is checked after it is written (`pg_restore --list` must read it and find the schema version), then
fsynced and renamed into place. Ownership and grants are left out (`--no-owner --no-privileges`), so a dump
restores into a database owned by another role. pg_dump must be at least as new as the server (PostgreSQL's rule).
The password travels in PGPASSWORD, never on a command line.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from sqlalchemy.engine.url import URL, make_url

from server.backup.files import BackupError, atomic_output

PGDUMP_MAGIC = b"PGDMP"
TOOL_TIMEOUT_S = 3600.0


def libpq_target(url: str) -> tuple[str, dict[str, str]]:
    """(a libpq connection URI without the password, environment with PGPASSWORD) for a SQLAlchemy URL."""
    parsed = make_url(url)
    env = {"PGPASSWORD": parsed.password} if parsed.password else {}
    bare = URL.create("postgresql", username=parsed.username, host=parsed.host, port=parsed.port,
                      database=parsed.database, query=parsed.query)
    return bare.render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} not found: install PostgreSQL's client tools (Debian: apt-get install "
                          "postgresql-client), as new as the server")
    return found


def _run(args: list[str], env: dict[str, str], what: str) -> str:
    try:
        done = subprocess.run(args, env={**os.environ, **env}, capture_output=True, text=True,
                              timeout=TOOL_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        raise BackupError(f"{what} took more than {TOOL_TIMEOUT_S:.0f} s") from None
    if done.returncode != 0:
        reason = " ".join(done.stderr.strip().splitlines()[-3:]) or f"exit code {done.returncode}"
        raise BackupError(f"{what} failed: {reason}")
    return done.stdout


def is_pg_dump_file(path: Path) -> bool:
    try:
        with path.open("rb") as f:
            return f.read(len(PGDUMP_MAGIC)) == PGDUMP_MAGIC
    except OSError:
        return False


def verify_pg_dump(path: Path) -> list[str]:
    """The archive's table of contents, if pg_restore can read it and it holds rnn-grader's schema version."""
    if not is_pg_dump_file(path):
        raise BackupError(f"{path} is not a pg_dump custom-format archive")
    listing = _run([_tool("pg_restore"), "--list", str(path)], {}, f"reading {path}").splitlines()
    if not any("TABLE DATA" in line and "alembic_version" in line for line in listing):
        raise BackupError(f"{path} holds no rnn-grader schema version (alembic_version): not an rnn-grader backup")
    return listing


def backup_postgres(url: str, out: Path, *, snapshot: str | None = None) -> list[str]:
    """pg_dump the database at `url` into `out` (atomically). `snapshot`: an exported snapshot
    (pg_export_snapshot() of a transaction still open) to dump exactly what that transaction sees."""
    target, env = libpq_target(url)
    args = [_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges"]
    if snapshot is not None:
        args.append(f"--snapshot={snapshot}")
    with atomic_output(out) as tmp:
        _run([*args, f"--file={tmp}", f"--dbname={target}"], env, "pg_dump")
        return verify_pg_dump(tmp)


def _is_empty(url: str) -> bool:
    import psycopg

    target, env = libpq_target(url)
    try:
        with psycopg.connect(target, password=env.get("PGPASSWORD"), connect_timeout=10) as connection:
            row = connection.execute(
                "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN "
                "('r', 'p', 'v', 'm', 'S') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND "
                "n.nspname NOT LIKE 'pg_toast%'").fetchone()
    except psycopg.Error as exc:
        raise BackupError(f"cannot open the target database: {str(exc).strip().splitlines()[0]} (create it empty "
                          "first, e.g. createdb -O rnn_grader NAME)") from None
    return row is not None and int(row[0]) == 0


def restore_postgres(backup: Path, url: str) -> list[str]:
    """pg_restore a verified archive into the empty database at `url`, in one transaction."""
    listing = verify_pg_dump(backup)
    if not _is_empty(url):
        raise BackupError("the target database is not empty: restore only into a fresh database "
                          "(createdb a new one and pass it with --database-url)")
    target, env = libpq_target(url)
    _run([_tool("pg_restore"), "--exit-on-error", "--single-transaction", "--no-owner", "--no-privileges",
          f"--dbname={target}", str(backup)], env, "pg_restore")
    return listing
