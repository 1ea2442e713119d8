"""Backups that restore: taken while submissions are being graded, restored into a fresh database, every row of
every table equal to the source at the backup's moment (SQLite and PostgreSQL); the CLI, the checks that refuse
what is not a backup, and the embedded default's automatic backups."""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from helpers import SharedGrader, clean_env, run_cli, wait_for
from solutions.slow import slow_correct_source

from server.backup import BackupError, backup, restore
from server.backup.postgres_backup import libpq_target
from server.backup.schedule import BackupScheduler, automatic_backups
from server.backup.sqlite_backup import MANIFEST_TABLE, backup_sqlite
from server.config import Settings
from server.sqlite_library import sqlite_module

Rows = dict[str, tuple[list[str], list[tuple[Any, ...]]]]  # table -> (columns, rows)


def _sqlite_path(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///"))


def _all_rows(connection: Any, tables: list[str]) -> Rows:
    out: Rows = {}
    for table in tables:
        cursor = connection.execute(f'SELECT * FROM "{table}"')
        out[table] = ([d[0] for d in cursor.description], sorted(map(tuple, cursor.fetchall()), key=repr))
    return out


def _sqlite_tables(connection: Any) -> list[str]:
    return [r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE "
                                             f"'sqlite_%' AND name != '{MANIFEST_TABLE}' ORDER BY name").fetchall()]


def _pg_tables(connection: Any) -> list[str]:
    return [r[0] for r in connection.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = "
                                             "'public' AND table_type = 'BASE TABLE' ORDER BY 1").fetchall()]


def read_everything(url: str) -> Rows:
    """Every row of every table, through the backend's own driver."""
    if url.startswith("sqlite"):
        connection = sqlite_module().connect(f"file:{_sqlite_path(url)}?mode=ro", uri=True)
        try:
            return _all_rows(connection, _sqlite_tables(connection))
        finally:
            connection.close()
    import psycopg

    target, env = libpq_target(url)
    with psycopg.connect(target, password=env.get("PGPASSWORD")) as connection:
        return _all_rows(connection, _pg_tables(connection))


@contextmanager
def snapshot_backup(url: str, out: Path) -> Iterator[Rows]:
    """Read every row inside one snapshot and back up exactly that snapshot: the source at the backup's moment."""
    if url.startswith("sqlite"):
        connection = sqlite_module().connect(str(_sqlite_path(url)), isolation_level=None, check_same_thread=False)
        try:
            connection.execute("BEGIN")
            rows = _all_rows(connection, _sqlite_tables(connection))
            backup_sqlite(_sqlite_path(url), out, source=connection)
            connection.execute("ROLLBACK")
        finally:
            connection.close()
        yield rows
        return
    import psycopg

    target, env = libpq_target(url)
    with psycopg.connect(target, password=env.get("PGPASSWORD"), autocommit=True) as connection:
        connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        row = connection.execute("SELECT pg_export_snapshot()").fetchone()
        assert row is not None
        rows = _all_rows(connection, _pg_tables(connection))
        backup(url, out, snapshot=str(row[0]))
        connection.execute("ROLLBACK")
    yield rows


def statuses(rows: Rows) -> list[str]:
    columns, submissions = rows["submissions"]
    return [str(r[columns.index("status")]) for r in submissions]


def test_restore_drill_backup_while_grading_restores_every_row(
    make_client: Callable[..., Any], real_grader: Any, create_student: Callable[..., dict[str, str]],
    database_url: str, empty_database_url: str, tmp_path: Path,
) -> None:
    client = make_client(workers=1, grader_factory=lambda: SharedGrader(real_grader))
    student = create_student(client)
    headers = {"Authorization": student["authorization"]}
    source = slow_correct_source(0.3)
    submitted: list[int] = []

    def submit(count: int) -> None:
        for _ in range(count):
            response = client.post("/api/v1/submissions", json={"exercise": "rnn", "source": source}, headers=headers)
            assert response.status_code == 202, response.text
            submitted.append(int(response.json()["id"]))

    submit(8)
    graded = lambda: sum(1 for s in statuses(read_everything(database_url)) if s == "graded")  # noqa: E731
    wait_for(lambda: graded() >= 2, 60, "two gradings", interval=0.2)
    writer = threading.Thread(target=submit, args=(6,))
    writer.start()  # more submissions arrive while the backup is taken
    out = tmp_path / "backups" / "drill.backup"
    with snapshot_backup(database_url, out) as at_backup:
        pass
    writer.join()
    # The backup was taken mid-grading: some graded, some still to grade.
    assert "graded" in statuses(at_backup) and set(statuses(at_backup)) - {"graded"}, statuses(at_backup)
    wait_for(lambda: graded() == len(submitted), 120, "every submission graded", interval=0.2)
    assert read_everything(database_url) != at_backup  # the source moved on after the backup

    restore(out, empty_database_url)
    assert read_everything(empty_database_url) == at_backup


def test_backup_and_restore_through_the_cli(database_url: str, empty_database_url: str, tmp_path: Path,
                                            api_client: Any, create_student: Callable[..., dict[str, str]]) -> None:
    create_student(api_client, "s1")
    create_student(api_client, "s2")
    env = clean_env(tmp_path) | {"RNN_GRADER_DATABASE_URL": database_url}
    out = tmp_path / "course.backup"
    done = run_cli(["backup", "--out", str(out), "--json"], env)
    assert done.returncode == 0, done.stderr
    restored = run_cli(["restore", str(out), "--database-url", empty_database_url], env)
    assert restored.returncode == 0, restored.stderr
    assert "restored" in restored.stderr
    assert read_everything(empty_database_url) == read_everything(database_url)
    assert len(read_everything(empty_database_url)["students"][1]) == 2
    again = run_cli(["restore", str(out), "--database-url", empty_database_url], env)
    assert again.returncode == 1 and again.stderr.startswith("error: ") and "fresh database" in again.stderr
    assert "Traceback" not in again.stderr


def test_what_is_not_a_backup_is_refused(tmp_path: Path) -> None:
    target = f"sqlite:///{tmp_path / 'fresh.db'}"
    garbage = tmp_path / "notes.txt"
    garbage.write_text("not a database")
    with pytest.raises(BackupError, match="neither"):
        restore(garbage, target)
    plain = tmp_path / "plain.db"
    connection = sqlite_module().connect(str(plain))
    connection.execute("CREATE TABLE t (x)")
    connection.commit()
    connection.close()
    with pytest.raises(BackupError, match="manifest"):
        restore(plain, target)
    with pytest.raises(BackupError, match="no backup file"):
        restore(tmp_path / "missing.db", target)
    assert not (tmp_path / "fresh.db").exists()


def test_a_backup_from_a_newer_schema_is_refused(tmp_path: Path, sqlite_template: Path) -> None:
    source = tmp_path / "source.db"
    source.write_bytes(sqlite_template.read_bytes())
    connection = sqlite_module().connect(str(source))
    connection.execute("UPDATE alembic_version SET version_num = '9999'")
    connection.commit()
    connection.close()
    backup(f"sqlite:///{source}", tmp_path / "b.db")
    with pytest.raises(BackupError, match="9999"):
        restore(tmp_path / "b.db", f"sqlite:///{tmp_path / 'fresh.db'}")


def test_the_version_command_names_the_sqlite_the_engine_uses(tmp_path: Path) -> None:
    import json

    env = clean_env(tmp_path) | {"RNN_GRADER_DATA_DIR": str(tmp_path / "data")}
    done = run_cli(["version", "--json"], env)
    assert done.returncode == 0, done.stderr
    info = json.loads(done.stdout)
    assert set(info) == {"version", "python", "numpy", "sqlite_version", "database"}
    assert info["sqlite_version"] == sqlite_module().sqlite_version
    assert tuple(int(p) for p in info["sqlite_version"].split(".")) >= (3, 51, 3)
    assert info["database"] == f"sqlite:///{(tmp_path / 'data' / 'rnn-grader.db').resolve()}"
    assert not (tmp_path / "data").exists()  # asking for the version creates nothing


def test_automatic_backups_keep_the_newest(tmp_path: Path, sqlite_template: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "rnn-grader.db").write_bytes(sqlite_template.read_bytes())
    settings = Settings(data_dir=data, backup_keep=2, backup_interval="1h")
    scheduler = BackupScheduler(settings)
    made = []
    for stamp in ("20260101T000000Z", "20260102T000000Z", "20260103T000000Z"):
        path = scheduler.run_once()
        made.append(path.rename(path.with_name(f"rnn-grader-{stamp}.db")))  # three distinct moments
    scheduler.run_once()
    kept = automatic_backups(data / "backups")
    assert len(kept) == 2 and made[0] not in kept and made[1] not in kept
    assert all(oct(p.stat().st_mode & 0o777) == "0o600" for p in kept)
    assert oct((data / "backups").stat().st_mode & 0o777) == "0o700"
    restore(kept[-1], f"sqlite:///{tmp_path / 'again.db'}")


def test_a_backup_someone_asked_for_is_never_pruned_by_the_schedule(tmp_path: Path, sqlite_template: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "rnn-grader.db").write_bytes(sqlite_template.read_bytes())
    env = {**clean_env(tmp_path), "RNN_GRADER_DATA_DIR": str(data)}
    asked = run_cli(["backup", "--json"], env)
    assert asked.returncode == 0, asked.stderr
    manual = [p for p in (data / "backups").iterdir() if p.name.startswith("rnn-grader-manual-")]
    assert len(manual) == 1 and automatic_backups(data / "backups") == []
    scheduler = BackupScheduler(Settings(data_dir=data, backup_keep=1, backup_interval="1h"))
    for _ in range(2):
        scheduler.run_once()
        time.sleep(1.1)  # a new second: a new name
    assert len(automatic_backups(data / "backups")) == 1 and manual[0].exists()


def test_a_backup_onto_the_live_database_is_refused(tmp_path: Path, sqlite_template: Path) -> None:
    live = tmp_path / "rnn-grader.db"
    live.write_bytes(sqlite_template.read_bytes())
    before = live.read_bytes()
    for out in (live, tmp_path / "." / "rnn-grader.db", tmp_path / "rnn-grader.db-wal"):
        with pytest.raises(BackupError, match="the database itself"):
            backup(f"sqlite:///{live}", out)
    assert live.read_bytes() == before and not (tmp_path / "rnn-grader.db-wal").exists()
    refused = run_cli(["backup", "--out", str(live), "--database-url", f"sqlite:///{live}"], clean_env(tmp_path))
    assert refused.returncode == 1 and "the database itself" in refused.stderr


def test_the_schedule_runs_in_a_thread_and_retries_after_a_failure(
    tmp_path: Path, sqlite_template: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    data = tmp_path / "data"
    settings = Settings(data_dir=data, backup_keep=3, backup_interval="0.2s")
    scheduler = BackupScheduler(settings, first_delay_s=0.0, retry_s=0.05)
    scheduler.start()
    try:
        # No database yet: the attempt fails (logged at ERROR), nothing is written, the schedule keeps going.
        wait_for(lambda: "automatic backup failed" in caplog.text, 10, "a failed attempt")
        assert not automatic_backups(data / "backups")
        data.mkdir(exist_ok=True)
        (data / "rnn-grader.db").write_bytes(sqlite_template.read_bytes())
        wait_for(lambda: len(automatic_backups(data / "backups")) >= 1, 30, "an automatic backup")
    finally:
        scheduler.stop()
    assert not [p for p in (data / "backups").iterdir() if p.name.startswith(".")]  # no partial file left


def test_the_server_takes_its_own_backups(tmp_path: Path) -> None:
    from helpers import running_server

    with running_server(tmp_path, "backup-teacher-token-0123456789", backup_interval="1h") as url:
        assert url.startswith("http://")
        wait_for(lambda: len(automatic_backups(tmp_path / "data" / "backups")) == 1, 60, "the first backup")
    log = (tmp_path / "server.log").read_text()
    assert "automatic backups: every 1:00:00" in log


def test_backups_are_private(tmp_path: Path, sqlite_template: Path) -> None:
    source = tmp_path / "source.db"
    source.write_bytes(sqlite_template.read_bytes())
    old = os.umask(0o022)
    try:
        report = backup(f"sqlite:///{source}", tmp_path / "out" / f"{uuid.uuid4().hex}.db")
    finally:
        os.umask(old)
    assert oct(report.path.stat().st_mode & 0o777) == "0o600"
