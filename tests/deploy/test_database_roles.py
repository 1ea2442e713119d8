"""The deployment's database roles (server/database_roles.py), made by `rnn-grader migrate` on the real PostgreSQL.

- Every column of every table is a decision: read by the grading role, or withheld (with the table's reason
  in NO_ACCESS), so a new table or column cannot reach the graders unnoticed.
- From an empty database and from one a superuser migrated before (an existing deployment): the three roles
  are login roles without superuser, CREATEROLE or CREATEDB; the application role owns the database and every
  object in it; a second `migrate` is a no-op that takes back a privilege granted by hand.
- The grading role is denied students' token hashes, staff, sessions, the audit log, extensions, regrade
  requests, changing a submission's source or seed, creating tables; the backup role reads every table and
  writes none; the application role cannot run programs on the database host.
- Grading end to end with those roles: the API as the application role, `rnn-grader worker`'s code as the
  grading role (procrastinate jobs, claims, leases, the result write, the history, the scoreboard rows,
  diagnostics, a regrade batch), with the worker holding neither the teacher token nor the seed secret.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest
from helpers import wait_for
from role_databases import RoleDatabase
from sqlalchemy.engine.url import make_url

from server import database_roles
from server.database_roles import GRADER_ACCESS, NO_ACCESS
from server.table_models import metadata

REPO = Path(__file__).resolve().parents[2]
CLI = str(Path(sys.executable).with_name("rnn-grader"))
TEACHER = "roles-teacher-token-0123456789"
SECRET = "roles-seed-secret-0123456789abcd"


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _migrate(database: RoleDatabase, tmp_path: Path, admin: bool = True) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RNN_GRADER_")}
    env.update({"RNN_GRADER_DATABASE_URL": database.app_url, "RNN_GRADER_GRADER_DATABASE_URL": database.grader_url,
                "RNN_GRADER_BACKUP_DATABASE_URL": database.backup_url, "RNN_GRADER_DATA_DIR": str(tmp_path / "data"),
                "PYTHONPATH": str(REPO)})
    if admin:
        env["RNN_GRADER_DATABASE_ADMIN_URL"] = database.admin_url
    done = subprocess.run([CLI, "migrate"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / "data").exists()  # migrate generates no token and no secret
    return done


def _query(url: str, statement: str) -> Any:
    with psycopg.connect(_libpq(url), connect_timeout=10) as conn:
        cursor = conn.execute(statement.encode())
        return cursor.fetchall() if cursor.description else cursor.rowcount


def _user(url: str) -> str:
    return str(make_url(url).username)


# ---------------------------------------------------------------- every column is a decision
def test_every_table_and_column_is_granted_or_withheld_on_purpose() -> None:
    tables = set(metadata.tables)
    assert tables == (set(GRADER_ACCESS) - {"alembic_version"}) | set(NO_ACCESS), (
        "a table the grading role neither gets nor is denied on purpose: add it to GRADER_ACCESS or NO_ACCESS")
    assert not set(GRADER_ACCESS) & set(NO_ACCESS)
    for name, access in GRADER_ACCESS.items():
        if name == "alembic_version":
            continue
        columns = {column.name for column in metadata.tables[name].columns}
        assert set(access.read) | set(access.withheld) == columns, name
        assert not set(access.read) & set(access.withheld), name
        assert set(access.write) <= columns, name
    # What was submitted, by whom and when stays as the API stored it.
    frozen = {"student_id", "exercise", "source", "seed", "priority", "late", "late_penalty", "created_at",
              "idempotency_key", "notebook"}
    assert not frozen & set(GRADER_ACCESS["submissions"].write)


# ---------------------------------------------------------------- the roles
def _assert_roles(database: RoleDatabase) -> None:
    admin = database.admin_url
    for url in (database.app_url, database.grader_url, database.backup_url):
        attributes = _query(admin, f"SELECT rolcanlogin, rolsuper, rolcreaterole, rolcreatedb, rolreplication, "
                                   f"rolbypassrls FROM pg_roles WHERE rolname = '{_user(url)}'")
        assert attributes == [(True, False, False, False, False, False)], (url, attributes)
        memberships = _query(admin, f"SELECT count(*) FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member "
                                    f"WHERE r.rolname = '{_user(url)}'")
        assert memberships == [(0,)]  # no pg_read_server_files, pg_execute_server_program, ...
    app = _user(database.app_url)
    assert _query(admin, f"SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '{database.name}'") == [
        (app,)]
    foreign = _query(admin, f"""
        SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname IN ('public', 'procrastinate') AND pg_get_userbyid(c.relowner) <> '{app}'
        UNION ALL
        SELECT n.nspname, p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = 'procrastinate' AND pg_get_userbyid(p.proowner) <> '{app}'""")
    assert foreign == []
    assert _query(admin, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")[0][0] >= len(GRADER_ACCESS)


DENIED_TO_GRADERS = {
    "students' token hashes": "SELECT token_hash FROM students",
    "students' names": "SELECT name FROM students",
    "staff": "SELECT staff_id FROM staff",
    "web sessions": "SELECT * FROM web_sessions",
    "the audit log": "SELECT * FROM audit_log",
    "writing the audit log": "INSERT INTO audit_log (actor, action, target, detail) VALUES ('x', 'x', 'x', '{}')",
    "extensions": "SELECT * FROM extensions",
    "regrade requests": "SELECT message FROM regrade_requests",
    "a submission's source": "UPDATE submissions SET source = 'x'",
    "a submission's seed": "UPDATE submissions SET seed = 1",
    "a submission's lateness": "UPDATE submissions SET late_penalty = 0",
    "deleting submissions": "DELETE FROM submissions",
    "adding submissions": "INSERT INTO submissions (student_id, exercise, source, status, max_score) "
                          "VALUES ('s', 'rnn', '', 'queued', 1)",
    "idempotency keys": "SELECT idempotency_key FROM submissions",
    "the grading history": "SELECT result FROM gradings",
    "rewriting the history": "UPDATE gradings SET score = 100",
    "a table of its own": "CREATE TABLE mine (x int)",
    "the database's temporary tables": "CREATE TEMPORARY TABLE mine (x int)",
    "the migrations": "UPDATE alembic_version SET version_num = 'x'",
}


@pytest.mark.postgres
@pytest.mark.parametrize("start", ["empty", "migrated by a superuser"])
def test_migrate_makes_the_roles_and_the_grading_role_gets_only_what_grading_needs(
    role_database: Callable[..., RoleDatabase], postgres_template: str, tmp_path: Path, start: str
) -> None:
    database = role_database(None if start == "empty" else postgres_template)
    out = _migrate(database, tmp_path)
    assert "granted the grading role" in out.stderr and "granted the backup role" in out.stderr
    _assert_roles(database)
    grader = database.grader_url
    for what, statement in DENIED_TO_GRADERS.items():
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            _query(grader, statement)
            pytest.fail(f"the grading role may touch {what}")
    # What grading runs works (the full path: test_grading_works_end_to_end_with_the_roles).
    assert _query(grader, "SELECT id, source, seed, status FROM submissions") == []
    assert _query(grader, "UPDATE submissions SET score = 1, result = NULL WHERE false") == 0
    assert _query(grader, "SELECT count(*) FROM procrastinate.procrastinate_jobs") == [(0,)]
    # The backup role reads everything (token hashes included: a backup must restore them) and changes nothing.
    backup = database.backup_url
    assert _query(backup, "SELECT token_hash FROM students") == []
    assert _query(backup, "SELECT count(*) FROM procrastinate.procrastinate_jobs") == [(0,)]
    for statement in ("UPDATE submissions SET score = 1", "DELETE FROM staff", "INSERT INTO audit_log (actor, "
                      "action, target, detail) VALUES ('x', 'x', 'x', '{}')", "CREATE TABLE mine (x int)"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            _query(backup, statement)
    # The application role cannot run programs or read files on the database host.
    for statement in ("COPY (SELECT 1) TO PROGRAM 'true'", "SELECT pg_read_file('/etc/passwd')",
                      "CREATE ROLE intruder SUPERUSER"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            _query(database.app_url, statement)
    # A privilege granted by hand is taken back by the next migrate (also without the superuser URL).
    _query(database.app_url, f'GRANT SELECT ON students TO "{_user(grader)}"')
    assert _query(grader, "SELECT token_hash FROM students") == []
    _migrate(database, tmp_path, admin=False)
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        _query(grader, "SELECT token_hash FROM students")
    _migrate(database, tmp_path)  # again with the roles: their passwords and attributes set again, no error
    _assert_roles(database)


@pytest.mark.postgres
def test_a_worker_on_a_database_it_may_not_migrate_says_to_run_migrate(
    role_database: Callable[..., RoleDatabase], tmp_path: Path
) -> None:
    database = role_database()
    _migrate(database, tmp_path)
    _query(database.app_url, "UPDATE alembic_version SET version_num = '0007'")  # as if the image were newer
    env = {k: v for k, v in os.environ.items() if not k.startswith("RNN_GRADER_")}
    env.update({"RNN_GRADER_DATABASE_URL": database.grader_url, "RNN_GRADER_QUEUE": "procrastinate",
                "RNN_GRADER_DATA_DIR": str(tmp_path / "data"), "PYTHONPATH": str(REPO)})
    done = subprocess.run([CLI, "worker"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert "run `rnn-grader migrate`" in done.stderr and "Traceback" not in done.stderr


def test_a_service_role_cannot_be_the_superuser_itself(tmp_path: Path) -> None:
    with pytest.raises(database_roles.ConfigError, match="role of its own"):
        database_roles.provision_roles("postgresql+psycopg://rnn_grader:pw@db/rnn_grader",
                                       database_roles.LoginRole("rnn_grader", "pw"), [])


# ---------------------------------------------------------------- grading with those roles
@pytest.mark.postgres
@pytest.mark.slow
def test_grading_works_end_to_end_with_the_roles(
    role_database: Callable[..., RoleDatabase], tmp_path: Path, real_exercises: dict[str, Any],
    solutions_dir: Path,
) -> None:
    from starlette.testclient import TestClient

    from server.app import create_app
    from server.config import Settings, SettingsWithoutSecrets
    from server.grading.command import run_worker

    database = role_database()
    _migrate(database, tmp_path)
    common: dict[str, Any] = {"queue": "procrastinate", "rate_limit_per_minute": 0, "lease_seconds": 30,
                              "sweep_seconds": 0.5, "data_dir": tmp_path / "data", "log_level": "INFO"}
    api = Settings(database_url=database.app_url, admin_token=TEACHER, secret=SECRET, workers=0, **common)
    worker = SettingsWithoutSecrets(database_url=database.grader_url, workers=2, **common)
    assert worker.secret is None and worker.admin_token is None
    stop = threading.Event()
    thread = threading.Thread(target=run_worker, kwargs={"settings": worker, "stop": stop}, daemon=True)
    teacher = {"Authorization": f"Bearer {TEACHER}"}
    correct = (solutions_dir / "correct_rnn.py").read_text(encoding="utf-8")
    wrong = correct.replace("dh_next = da @ W_hh", "dh_next = np.zeros_like(h0)")
    with TestClient(create_app(api, exercises_by_id=real_exercises, migrate=False)) as client:
        thread.start()
        created = client.post("/api/v1/students", json={"student_id": "r1", "name": "R"}, headers=teacher)
        student = {"Authorization": f"Bearer {created.json()['token']}"}

        def final(submission_id: int) -> dict[str, Any]:
            def done() -> bool:
                view = client.get(f"/api/v1/submissions/{submission_id}", headers=teacher).json()
                return bool(view["status"] in ("graded", "failed") and not view.get("regrading"))

            wait_for(done, 120, f"submission {submission_id} graded", interval=0.2)
            body: dict[str, Any] = client.get(f"/api/v1/submissions/{submission_id}", headers=teacher).json()
            return body

        ids = [client.post("/api/v1/submissions", json={"exercise": "rnn", "source": source},
                           headers=student).json()["id"] for source in (correct, wrong)]
        graded = [final(i) for i in ids]
        assert (graded[0]["status"], graded[0]["score"]) == ("graded", 100)
        assert graded[1]["status"] == "graded" and 0 < graded[1]["score"] < 100
        # The failing one's diagnostics were computed by the worker, as the grading role.
        wait_for(lambda: client.get(f"/api/v1/submissions/{ids[1]}", headers=teacher).json()
                 .get("diagnostics_status") == "done", 120, "diagnostics", interval=0.2)
        # A regrade batch: graded again, the batch's report row brought up to date by the worker.
        batch = client.post("/api/v1/regrade", json={"exercise": "rnn", "reason": "roles"}, headers=teacher)
        assert batch.status_code == 200, batch.text
        wait_for(lambda: _query(database.admin_url, "SELECT coalesce(sum(pending), -1) FROM regrade_items")
                 == [(0,)], 120, "the regrade batch", interval=0.2)
        history = client.get(f"/api/v1/submissions/{ids[0]}/gradings", headers=teacher).json()
        assert [(g["why"], g["status"]) for g in history] == [("submit", "graded"), ("regrade", "graded")]
        board = client.get("/api/v1/scoreboard", headers=teacher)
        assert board.status_code == 200 and "r1" in board.text
        stop.set()
        thread.join(timeout=60)
    assert not thread.is_alive()
    # Every grading was written by the grading role: two submissions, each graded twice.
    assert _query(database.admin_url, "SELECT count(*) FROM gradings WHERE status = 'graded'") == [(4,)]
