"""`rnn-grader serve`: read the settings, migrate, say where the teacher token is, run uvicorn."""

from __future__ import annotations

import sys

import uvicorn

from grader.exercise import SpecError
from server.app import create_app
from server.backup.schedule import scheduler_for
from server.bootstrap import configure_logging, describe, load_settings, migrated_engine
from server.config import ConfigError


def serve() -> None:
    configured, settings = load_settings()
    configure_logging(settings.log_level)
    try:
        migrated_engine(settings).dispose()
    except ConfigError as exc:  # e.g. no SQLite with the WAL-reset fix (server/sqlite_library.py)
        print(f"rnn-grader: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    for line in describe(configured, settings):
        print(f"rnn-grader: {line}", flush=True)
    try:
        app = create_app(settings, migrate=False)
    except (ConfigError, SpecError) as exc:
        print(f"rnn-grader: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    # The embedded default backs itself up (server/backup/schedule.py); PostgreSQL has its own backup job.
    backups = scheduler_for(settings)
    if backups is not None:
        backups.start()
    try:
        uvicorn.run(
            app,
            host=settings.host,
            port=settings.port,
            access_log=False,  # server.access_log writes one line per request
            log_config=None,
            timeout_graceful_shutdown=10,
            # Client address and scheme from X-Forwarded-For/-Proto, trusted only from these proxies.
            proxy_headers=True,
            forwarded_allow_ips=settings.forwarded_allow_ips,
        )
    finally:
        if backups is not None:
            backups.stop()
