"""Moving a course: `rnn-grader migrate-data` copies a SQLite course (live file or backup) into an empty database
(SQLite, or PostgreSQL for the `postgres` variant); every row arrives with the same meaning, and the server goes on
from there (new ids after the copied ones)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from helpers import SharedGrader, clean_env, run_cli, wait_for

from server.backup import backup
from server.backup.migrate_data import course_tables, migrate_data
from server.db import alembic_config, create_db_engine


def typed_rows(url: str) -> dict[str, list[dict[str, Any]]]:
    """Every row of every rnn-grader table, read through the application's column types."""
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            return {t.name: [dict(r) for r in connection.execute(sa.select(t).order_by(*t.primary_key.columns))
                             .mappings()] for t in course_tables()}
    finally:
        engine.dispose()


def test_a_sqlite_course_moves_to_an_empty_database(
    make_client: Callable[..., Any], real_grader: Any, create_student: Callable[..., dict[str, str]],
    correct_source: str, sqlite_template: Path, empty_database_url: str, tmp_path: Path,
) -> None:
    course = tmp_path / "course.db"
    course.write_bytes(sqlite_template.read_bytes())
    source_url = f"sqlite:///{course}"
    client = make_client(workers=1, grader_factory=lambda: SharedGrader(real_grader), database_url=source_url)
    headers = {"Authorization": create_student(client, "s1")["authorization"]}
    create_student(client, "s2")
    ids = [client.post("/api/v1/submissions", json={"exercise": "rnn", "source": correct_source},
                       headers=headers).json()["id"] for _ in range(3)]
    wait_for(lambda: all(client.get(f"/api/v1/submissions/{i}", headers=headers).json()["status"] == "graded"
                         for i in ids), 120, "three gradings", interval=0.1)
    backed_up = tmp_path / "course.backup"
    backup(source_url, backed_up)

    env = clean_env(tmp_path)
    done = run_cli(["migrate-data", "--from", f"sqlite:///{backed_up}", "--to", empty_database_url], env)
    assert done.returncode == 0, done.stderr
    assert "copied" in done.stderr
    moved, original = typed_rows(empty_database_url), typed_rows(source_url)
    assert moved == original
    assert len(moved["submissions"]) == 3 and len(moved["gradings"]) == 3 and moved["gradings"][0]["result"]

    again = run_cli(["migrate-data", "--from", f"sqlite:///{backed_up}", "--to", empty_database_url], env)
    assert again.returncode == 1 and "not empty" in again.stderr

    # The course goes on in its new database: the next submission gets the next id.
    moved_client = make_client(database_url=empty_database_url)
    next_id = moved_client.post("/api/v1/submissions", json={"exercise": "rnn", "source": correct_source},
                                headers=headers)
    assert next_id.status_code == 202, next_id.text
    assert next_id.json()["id"] == max(ids) + 1


def test_a_course_of_an_older_revision_moves_and_is_upgraded(
    make_client: Callable[..., Any], create_student: Callable[..., dict[str, str]], sqlite_template: Path,
    empty_database_url: str, tmp_path: Path,
) -> None:
    """A backup made by an earlier rnn-grader (schema 0007: no staff, no sessions, no idempotency digest) moves
    too: what it has is copied at its revision, and the upgrade to head adds and fills the rest."""
    course = tmp_path / "old.db"
    course.write_bytes(sqlite_template.read_bytes())
    source_url = f"sqlite:///{course}"
    client = make_client(database_url=source_url)
    headers = {"Authorization": create_student(client, "s1")["authorization"]}
    create_student(client, "s2")
    sid = client.post("/api/v1/submissions", json={"exercise": "rnn", "source": "x = 1\n"}, headers=headers)
    assert sid.status_code == 202, sid.text
    engine = create_db_engine(source_url)
    try:
        cfg = alembic_config()
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0007")
        with engine.connect() as conn:
            assert not sa.inspect(conn).has_table("staff")
            students_then = conn.execute(sa.text("SELECT student_id, name FROM students ORDER BY 1")).all()
    finally:
        engine.dispose()

    copied = migrate_data(source_url, empty_database_url)
    assert copied["students"] == 2 and copied["submissions"] == 1 and copied["staff"] == 0
    moved = typed_rows(empty_database_url)
    assert [(r["student_id"], r["name"]) for r in moved["students"]] == [tuple(r) for r in students_then]
    assert moved["submissions"][0]["source"] == "x = 1\n" and moved["submissions"][0]["idempotency_hash"] is None
    target = create_db_engine(empty_database_url)
    try:
        with target.connect() as conn:
            assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == "0011"
    finally:
        target.dispose()


def test_moving_from_nowhere_is_refused(tmp_path: Path) -> None:
    done = run_cli(["migrate-data", "--from", f"sqlite:///{tmp_path / 'missing.db'}", "--to",
                    f"sqlite:///{tmp_path / 'new.db'}"], clean_env(tmp_path))
    assert done.returncode == 1 and done.stderr.startswith("error: no SQLite database at")
