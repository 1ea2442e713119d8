"""The SQLite library every rnn-grader process uses for a SQLite database: one that has the WAL-reset fix.

SQLite 3.7.0 to 3.51.2 can corrupt a WAL-mode database when two connections write or checkpoint at the same
moment (the "WAL-reset bug", sqlite.org/wal.html#walresetbug, fixed in 3.51.3). The embedded default is that
case exactly: the API process and its grading processes write to one file. Python's own `sqlite3` links the
system's library (3.40.1 on Debian 12), so the engine takes the DB-API module from the `pysqlite3` binary wheel,
which bundles a recent SQLite, unless the standard library's is recent enough already. Every engine
(`server.db.create_db_engine`: the API, the grading processes, `rnn-grader worker`, migrations) and every tool
that opens the file (`rnn-grader backup` / `restore`) gets its module from here.
"""

from __future__ import annotations

import importlib
from functools import cache
from types import ModuleType

from server.config import ConfigError

MIN_VERSION = (3, 51, 3)


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(".")[:3])


def _is_fixed(module: ModuleType) -> bool:
    return _version(str(module.sqlite_version)) >= MIN_VERSION


@cache
def sqlite_module() -> ModuleType:
    """The DB-API module whose SQLite is >= 3.51.3: the standard library's if it is, else pysqlite3's."""
    import sqlite3

    if _is_fixed(sqlite3):
        return sqlite3
    dbapi2: ModuleType | None
    try:
        dbapi2 = importlib.import_module("pysqlite3.dbapi2")
    except ImportError:
        dbapi2 = None
    if dbapi2 is not None and _is_fixed(dbapi2):
        return dbapi2
    found = str(dbapi2.sqlite_version) if dbapi2 is not None else "not installed"
    raise ConfigError(
        f"SQLite {sqlite3.sqlite_version} (Python's sqlite3) has the WAL-reset corruption bug, fixed in "
        f"{'.'.join(map(str, MIN_VERSION))}, and pysqlite3 is {found}: install the binary wheel "
        "(pip install 'pysqlite3>=0.6.1') or use PostgreSQL (RNN_GRADER_DATABASE_URL)"
    )


def sqlite_version() -> str:
    """The version of the SQLite library the engine uses (raises ConfigError if none is safe)."""
    return str(sqlite_module().sqlite_version)


def describe() -> str:
    """e.g. "SQLite 3.53.4 via pysqlite3", for the start-up banner and `rnn-grader version`."""
    module = sqlite_module()
    return f"SQLite {module.sqlite_version} via {module.__name__.split('.')[0]}"
