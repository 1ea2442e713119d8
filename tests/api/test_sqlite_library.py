"""The embedded default runs on a SQLite with the WAL-reset fix (>= 3.51.3): the engine, the grading processes and
every tool that opens the file use the same library (server/sqlite_library.py)."""

from __future__ import annotations

import multiprocessing as mp
import sqlite3
import types
from pathlib import Path

import pytest
import sqlalchemy as sa

from server import sqlite_library
from server.config import ConfigError
from server.db import create_db_engine

FIXED = (3, 51, 3)


def version_of(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split(".")[:3])


def engine_sqlite_version(url: str) -> str:
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            return str(connection.execute(sa.text("SELECT sqlite_version()")).scalar())
    finally:
        engine.dispose()


def test_the_engine_runs_a_sqlite_with_the_wal_reset_fix(tmp_path: Path) -> None:
    version = engine_sqlite_version(f"sqlite:///{tmp_path / 'x.db'}")
    assert version_of(version) >= FIXED
    assert version == sqlite_library.sqlite_version()


def test_a_grading_process_uses_the_same_library(tmp_path: Path) -> None:
    """The server's grading processes are spawned (a fresh interpreter): they must pick the same library."""
    with mp.get_context("spawn").Pool(1) as pool:
        version = pool.apply(engine_sqlite_version, (f"sqlite:///{tmp_path / 'x.db'}",))
    assert version == sqlite_library.sqlite_version() and version_of(version) >= FIXED


def test_a_sqlite_without_the_fix_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    old = types.ModuleType("pysqlite3.dbapi2")
    old.sqlite_version = "3.45.0"  # type: ignore[attr-defined]
    monkeypatch.setattr(sqlite3, "sqlite_version", "3.40.1")
    monkeypatch.setattr(sqlite_library.importlib, "import_module", lambda name: old)
    sqlite_library.sqlite_module.cache_clear()
    try:
        with pytest.raises(ConfigError, match=r"3\.40\.1.*WAL-reset.*3\.45\.0"):
            sqlite_library.sqlite_module()
    finally:
        sqlite_library.sqlite_module.cache_clear()


def test_the_standard_library_is_used_when_it_is_new_enough(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite3, "sqlite_version", "3.52.0")
    sqlite_library.sqlite_module.cache_clear()
    try:
        assert sqlite_library.sqlite_module() is sqlite3
    finally:
        sqlite_library.sqlite_module.cache_clear()
