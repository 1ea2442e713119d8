"""`python -m server.migrate`: the one migration step of a deployment (the compose `migrate` service).

Alembic to head, which on PostgreSQL includes the job queue's schema (revision 0002). Safe to run while
other processes start: migrations serialise on an advisory lock, and a database at head is a no-op. It
waits up to RNN_GRADER_MIGRATE_WAIT_S (default 60) for the database to accept connections.
"""

from __future__ import annotations

import logging
import os
import sys
import time

import sqlalchemy as sa
from sqlalchemy.engine.url import make_url

from server.bootstrap import configure_logging, load_settings
from server.db import create_db_engine, run_migrations

log = logging.getLogger("rnn_grader.migrate")


def migrate() -> int:
    _configured, settings = load_settings()
    configure_logging(settings.log_level)
    where = make_url(settings.database_url).render_as_string(hide_password=True)
    deadline = time.monotonic() + float(os.environ.get("RNN_GRADER_MIGRATE_WAIT_S", "60"))
    engine = create_db_engine(settings.database_url)
    try:
        while True:
            try:
                run_migrations(engine)
                break
            except sa.exc.OperationalError as exc:
                if time.monotonic() > deadline:
                    print(f"rnn-grader: cannot reach the database {where}: {exc.orig}", file=sys.stderr)
                    return 1
                log.warning("database %s not reachable yet; retrying", where)
                time.sleep(2)
    finally:
        engine.dispose()
    print(f"rnn-grader: database {where} is at the latest migration", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(migrate())
