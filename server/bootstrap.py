"""Start-up shared by every process (`serve`, `worker`, `migrate`): settings, logging, the migrated database."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import TypeVar

from pydantic import ValidationError
from sqlalchemy.engine import Engine
from sqlalchemy.engine.url import make_url

from server import sqlite_library
from server.config import ConfigError, Settings, SettingsWithoutSecrets, get_settings, with_generated_secrets
from server.db import create_db_engine, run_migrations

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
log = logging.getLogger("rnn_grader.bootstrap")
T = TypeVar("T")


def configure_logging(level: str) -> None:
    logging.basicConfig(level=level.upper(), format=LOG_FORMAT, stream=sys.stderr, force=True)


def _or_exit(read: Callable[[], T]) -> T:
    try:
        return read()
    except (ValidationError, ConfigError) as exc:
        print(f"rnn-grader: invalid configuration:\n{exc}", file=sys.stderr)
        raise SystemExit(2) from None


def load_settings() -> tuple[Settings, Settings]:
    """(as configured, with generated secrets filled in). Exits with a message on a bad configuration."""
    configured = _or_exit(get_settings)
    return configured, _or_exit(lambda: with_generated_secrets(configured))


def load_settings_without_secrets() -> Settings:
    """`worker` and `migrate`: no seed secret needed, none generated (server.config.SettingsWithoutSecrets)."""
    return _or_exit(SettingsWithoutSecrets)


def describe(configured: Settings, settings: Settings) -> list[str]:
    """Where things are, for the start-up banner. Never prints a token or a secret."""
    url = make_url(settings.database_url)
    library = f" ({sqlite_library.describe()})" if url.get_backend_name() == "sqlite" else ""
    lines = [
        f"database: {url.render_as_string(hide_password=True)}{library}",
        f"data directory: {settings.data_dir.resolve()}",
        "teacher token: "
        + ("from RNN_GRADER_ADMIN_TOKEN" if configured.admin_token is not None
           else f"in {settings.admin_token_path.resolve()} (mode 0600; send it as Authorization: Bearer <token>)"),
        "seed secret: "
        + ("from RNN_GRADER_SECRET" if configured.secret is not None
           else f"in {settings.secret_path.resolve()} (mode 0600)"),
        (f"grading processes started by this server: {settings.workers}"
         if settings.queue == "inprocess" and settings.worker_processes
         else f"grading threads in this process: {settings.workers}") + f" (queue: {settings.queue})",
        f"API: http://{settings.host}:{settings.port}/api/v1  docs: http://{settings.host}:{settings.port}/docs",
    ]
    if url.get_backend_name() == "sqlite":
        every = settings.backup_interval
        lines.insert(2, f"automatic backups: every {every} into {settings.backups_path.resolve()} (keeping "
                        f"{settings.backup_keep})" if every.total_seconds() > 0
                     else "automatic backups: off (RNN_GRADER_BACKUP_INTERVAL=0); see docs/operations.md")
    return lines


def migrated_engine(settings: Settings) -> Engine:
    """The settings' database, migrated to the latest revision (migrations serialise on a lock)."""
    engine = create_db_engine(settings.database_url)
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            version = connection.exec_driver_sql("SELECT sqlite_version()").scalar()
        log.info("SQLite library: %s (the engine's: %s)", sqlite_library.describe(), version)
    try:
        run_migrations(engine)
    except BaseException:
        engine.dispose()
        raise
    return engine
