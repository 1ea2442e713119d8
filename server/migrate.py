"""`python -m server.migrate`: the one migration step of a deployment (the compose `migrate` service).

Alembic to head, which on PostgreSQL includes the job queue's schema (revision 0002). Safe to run while
other processes start: migrations serialise on an advisory lock, and a database at head is a no-op. It
waits up to RNN_GRADER_MIGRATE_WAIT_S (default 60) for the database to accept connections.

The database roles (server.database_roles): with RNN_GRADER_DATABASE_ADMIN_URL (a superuser) the login roles of
RNN_GRADER_DATABASE_URL, RNN_GRADER_GRADER_DATABASE_URL and RNN_GRADER_BACKUP_DATABASE_URL are created or
updated first, and the database handed to the first; after the migrations the grading role gets exactly what
grading needs and the backup role read access to every table (the roles may also come from a DBA, without the
superuser URL).
"""

from __future__ import annotations

import logging
import os
import sys
import time

import psycopg
import sqlalchemy as sa
from sqlalchemy.engine.url import make_url

from server import database_roles
from server.bootstrap import configure_logging, load_settings_without_secrets
from server.config import ConfigError, Settings, is_postgres
from server.db import create_db_engine, run_migrations

log = logging.getLogger("rnn_grader.migrate")


def _provision(settings: Settings) -> None:
    """The roles, as the superuser (only with RNN_GRADER_DATABASE_ADMIN_URL)."""
    if settings.database_admin_url is None:
        return
    admin = settings.database_admin_url.get_secret_value()
    if not (is_postgres(admin) and is_postgres(settings.database_url)):
        raise ConfigError("RNN_GRADER_DATABASE_ADMIN_URL and RNN_GRADER_DATABASE_URL must both be PostgreSQL")
    others = [database_roles.login_role(url.get_secret_value())
              for url in (settings.grader_database_url, settings.backup_database_url) if url is not None]
    database_roles.provision_roles(admin, database_roles.login_role(settings.database_url), others)
    log.info("database roles created or updated")


def _grant(settings: Settings) -> None:
    """The grading and backup roles' privileges, as the owner (for the URLs that are set)."""
    for name, url, grant, what in (
        ("RNN_GRADER_GRADER_DATABASE_URL", settings.grader_database_url, database_roles.grant_grader,
         "the grading role %s what grading needs"),
        ("RNN_GRADER_BACKUP_DATABASE_URL", settings.backup_database_url, database_roles.grant_backup,
         "the backup role %s reading every table"),
    ):
        if url is None:
            continue
        if not (is_postgres(url.get_secret_value()) and is_postgres(settings.database_url)):
            raise ConfigError(f"{name} needs PostgreSQL (SQLite has no roles)")
        role = database_roles.login_role(url.get_secret_value()).name
        grant(settings.database_url, role)
        log.info("granted " + what, role)


def _step(engine: sa.Engine, settings: Settings) -> None:
    _provision(settings)
    run_migrations(engine)
    _grant(settings)


def migrate() -> int:
    settings = load_settings_without_secrets()
    configure_logging(settings.log_level)
    where = make_url(settings.database_url).render_as_string(hide_password=True)
    deadline = time.monotonic() + float(os.environ.get("RNN_GRADER_MIGRATE_WAIT_S", "60"))
    engine = create_db_engine(settings.database_url)
    try:
        while True:
            try:
                _step(engine, settings)
                break
            except (sa.exc.OperationalError, psycopg.OperationalError) as exc:
                if time.monotonic() > deadline:
                    reason = exc.orig if isinstance(exc, sa.exc.OperationalError) else exc
                    print(f"rnn-grader: cannot reach the database {where}: {reason}", file=sys.stderr)
                    return 1
                log.warning("database %s not reachable yet; retrying", where)
                engine.dispose()
                time.sleep(2)
            except ConfigError as exc:
                print(f"rnn-grader: {exc}", file=sys.stderr)
                return 2
    finally:
        engine.dispose()
    print(f"rnn-grader: database {where} is at the latest migration", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(migrate())
