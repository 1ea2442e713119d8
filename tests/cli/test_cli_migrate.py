"""`rnn-grader migrate`: the deployment's one migration step, from the CLI."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from cli.main import app
from server.config import get_settings
from server.db import create_db_engine


@pytest.fixture(autouse=True)
def fresh_settings() -> Iterator[None]:
    get_settings.cache_clear()  # each test is a new process as far as settings go
    # `migrate` configures logging onto CliRunner's stderr, which is closed afterwards: restore the handlers
    # so later tests do not log into a closed stream.
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:], root.level = handlers, level
    get_settings.cache_clear()


def test_migrate_creates_every_table_and_is_idempotent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RNN_GRADER_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("RNN_GRADER_DATABASE_URL", raising=False)
    for _ in range(2):
        result = CliRunner().invoke(app, ["migrate"])
        assert result.exit_code == 0, result.output
        assert "latest migration" in result.output
    engine = create_db_engine(f"sqlite:///{tmp_path / 'rnn-grader.db'}")  # the project's SQLite library
    tables = set(sa.inspect(engine).get_table_names())
    engine.dispose()
    assert {"students", "submissions", "alembic_version"} <= tables


def test_migrate_reports_an_unreachable_database(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RNN_GRADER_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:9/none")
    monkeypatch.setenv("RNN_GRADER_SECRET", "a-real-secret-of-enough-length")
    monkeypatch.setenv("RNN_GRADER_MIGRATE_WAIT_S", "0")
    result = CliRunner().invoke(app, ["migrate"])
    assert result.exit_code == 1
