"""Storage: migrations match the models on both backends, round-trips, SQLite pragmas."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import Session, SQLModel

from server.db import alembic_config, create_db_engine, run_migrations
from server.models import Student, Submission


def test_migrations_match_the_models(database_url: str) -> None:
    engine = create_db_engine(database_url)
    try:
        run_migrations(engine)  # already at head: a no-op
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, SQLModel.metadata)
        assert diff == []
    finally:
        engine.dispose()


def test_downgrade_and_upgrade_again(database_url: str) -> None:
    engine = create_db_engine(database_url)
    try:
        cfg = alembic_config()
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "base")
        assert "submissions" not in sa.inspect(engine).get_table_names()
        run_migrations(engine)
        assert {"students", "submissions"} <= set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_datetimes_round_trip_as_aware_utc_and_json_results(database_url: str) -> None:
    engine = create_db_engine(database_url)
    created = dt.datetime(2026, 12, 20, 23, 59, 1, 123456, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    try:
        with Session(engine) as session:
            session.add(Student(student_id="s1", name="王", token_hash="0" * 64))
            session.add(Submission(student_id="s1", exercise="rnn", source="x", max_score=100, created_at=created,
                                   result={"parts": [{"name": "forward", "zh": "前向"}]}, seed=2**63 - 1))
            session.commit()
        with Session(engine) as session:
            row = session.get(Submission, 1)
            assert row is not None
            assert row.created_at == created and row.created_at.tzinfo is dt.UTC
            assert row.result == {"parts": [{"name": "forward", "zh": "前向"}]}
            assert row.seed == 2**63 - 1
    finally:
        engine.dispose()


def test_sqlite_uses_wal_and_a_busy_timeout(tmp_path: object) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path}/x.db")
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()
