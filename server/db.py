"""Engine, column types and migrations. SQLite by default (WAL, busy timeout, a library with the WAL-reset fix:
server/sqlite_library.py), PostgreSQL via psycopg."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.engine.url import make_url

from server.sqlite_library import sqlite_module

if TYPE_CHECKING:
    from alembic.config import Config

SERVER_DIR = Path(__file__).resolve().parent
ALEMBIC_INI = SERVER_DIR / "alembic.ini"
MIGRATIONS_DIR = SERVER_DIR / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 10_000
# The API's request threads (server.app) hold at most one pooled connection each at a time, and `?wait=`
# holds none (server.submissions.waiting). The pool has room for every request thread plus the background
# users (sweepers, reconciler, metrics, the result sweep), so a request never queues for a connection; should
# it ever find the pool empty, it answers 503 with Retry-After after POOL_TIMEOUT_S instead of 30 s.
REQUEST_THREADS = 40
POOL_SIZE = 10
POOL_OVERFLOW = REQUEST_THREADS + 10 - POOL_SIZE
POOL_TIMEOUT_S = 5.0


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(sa.types.TypeDecorator[dt.datetime]):
    """Timezone-aware UTC datetimes on both backends (SQLite stores naive UTC, PostgreSQL timestamptz)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def create_db_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(
            parsed,
            module=sqlite_module(),  # a SQLite with the WAL-reset fix (server/sqlite_library.py)
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            pool_size=POOL_SIZE,
            max_overflow=POOL_OVERFLOW,
            pool_timeout=POOL_TIMEOUT_S,
        )
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return sa.create_engine(parsed, pool_pre_ping=True, pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW,
                            pool_timeout=POOL_TIMEOUT_S)


def alembic_config(url: str | None = None) -> Config:
    from alembic.config import Config  # here: grading worker processes import this module, never alembic

    cfg = Config(str(ALEMBIC_INI))
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def run_migrations(engine: Engine) -> None:
    """`alembic upgrade head` on this engine. Concurrent starts on PostgreSQL serialise on a lock."""
    from alembic import command

    cfg = alembic_config()
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")


def ping(engine: Engine) -> bool:
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        return False
    return True
