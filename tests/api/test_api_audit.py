"""The audit log names the authenticated principal and its role for every change to grades, policies, the
roster, staff and tokens; GET /audit filters by role as by actor; migration 0009 gives old entries a role.
On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic import command
from helpers import assert_error
from starlette.testclient import TestClient

from grader.result import Result
from server.audit import AuditEntry
from server.db import alembic_config, create_db_engine, run_migrations, utcnow
from server.grading.claims import write_result
from server.tables import table_of

audit_t = table_of(AuditEntry)


def _graded(client: TestClient, headers: dict[str, str], score: float) -> int:
    sid = int(client.post("/api/v1/submissions", json={"exercise": "rnn", "source": "x = 1\n"},
                          headers=headers).json()["id"])
    result = Result(exercise="rnn", score=score, max_score=100.0, parts=[], grader_version="g", grading_ms=1.0)
    assert write_result(client.app.state.ctx.engine, sid, "graded", result)  # type: ignore[attr-defined]
    return sid


def test_every_change_is_audited_with_its_actor_and_role(
    api_client: TestClient, teacher_headers: dict[str, str], create_student: Callable[..., dict[str, str]],
    make_staff: Callable[..., dict[str, str]],
) -> None:
    client = api_client
    prof = make_staff(client, "prof", "instructor")
    ta = make_staff(client, "ta1", "ta")
    student = create_student(client, "s1")  # by `admin`, the bootstrap instructor
    own = {"Authorization": student["authorization"]}
    roster = b"student_id,name\ns2,Two\ns3,Three\n"
    assert client.post("/api/v1/students/import", files={"file": ("r.csv", roster, "text/csv")},
                       headers=prof).status_code == 201
    rotated = client.post("/api/v1/students/s2/token", headers=prof).json()["token"]
    staff = client.post("/api/v1/staff", json={"staff_id": "ta2", "name": "Two", "role": "ta"}, headers=prof).json()
    assert client.put("/api/v1/extensions/s1/rnn", json={"deadline": "2999-01-01T00:00:00Z"},
                      headers=ta).status_code == 200
    first, second = _graded(client, own, 40.0), _graded(client, own, 50.0)
    assert client.post("/api/v1/regrade", json={"submission_id": first}, headers=ta).status_code == 200
    assert client.post(f"/api/v1/submissions/{second}/override", json={"score": 90, "reason": "oral exam"},
                       headers=prof).status_code == 201
    request_id = client.post(f"/api/v1/submissions/{second}/regrade-requests", json={"message": "test 3?"},
                             headers=own).json()["id"]
    assert client.post(f"/api/v1/regrade-requests/{request_id}/resolve", json={"action": "reject", "comment": "no"},
                       headers=ta).status_code == 200

    entries = client.get("/api/v1/audit", params={"limit": 500}, headers=prof).json()
    assert [(e["action"], e["actor"], e["role"], e["target"]) for e in reversed(entries)] == [
        ("student.add", "admin", "instructor", "student:s1"),
        ("student.import", "prof", "instructor", "student:s2"),
        ("student.import", "prof", "instructor", "student:s3"),
        ("student.token", "prof", "instructor", "student:s2"),
        ("staff.add", "prof", "instructor", "staff:ta2"),
        ("extension.set", "ta1", "ta", "s1/rnn"),
        ("regrade", "ta1", "ta", "batch:1"),
        ("override", "prof", "instructor", f"submission:{second}"),
        ("regrade_request.resolve", "ta1", "ta", f"regrade_request:{request_id}"),
    ]
    # A TA sees every entry but the staff accounts' own (e-mails, account states: GET /staff is the
    # instructors'), in the list, its count and its filters.
    seen_by_ta = client.get("/api/v1/audit", params={"limit": 500}, headers=ta)
    assert [e for e in entries if not e["action"].startswith("staff.")] == seen_by_ta.json()
    assert seen_by_ta.headers["X-Total-Count"] == str(len(entries) - 1)
    assert client.get("/api/v1/audit", params={"action": "staff.add"}, headers=ta).json() == []
    assert client.get("/api/v1/audit", params={"target": "staff:ta2"}, headers=prof).json()[0]["action"] == "staff.add"
    secrets = (student["token"], rotated, staff["token"])
    assert not any(token in str(entries) for token in secrets)
    by_ta = client.get("/api/v1/audit", params={"role": "ta"}, headers=ta)
    assert {e["actor"] for e in by_ta.json()} == {"ta1"} and by_ta.headers["X-Total-Count"] == "3"
    assert client.get("/api/v1/audit", params={"role": "student"}, headers=ta).json() == []
    assert_error(client.get("/api/v1/audit", params={"role": "admin"}, headers=ta), 422, "ValidationError")


def test_migration_0009_gives_old_entries_the_role_of_their_actor(database_url: str) -> None:
    """Entries written before 0009: a staff member's role where the actor is one, else instructor (the one
    teacher token of those days)."""
    engine = create_db_engine(database_url)
    try:
        cfg = alembic_config()
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0008")
        with engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO staff (staff_id, name, role, token_hash, created_at) "
                                 "VALUES ('ta1', 'T', 'ta', 'h', :at)"), {"at": utcnow()})
            for actor in ("teacher", "ta1", "someone-via-x-actor"):
                conn.execute(sa.text("INSERT INTO audit_log (at, actor, action, target, detail) "
                                     "VALUES (:at, :actor, 'override', 'submission:1', '{}')"),
                             {"at": utcnow(), "actor": actor})
        run_migrations(engine)
        with engine.connect() as conn:
            rows: list[Any] = conn.execute(sa.select(audit_t.c.actor, audit_t.c.role).order_by(audit_t.c.id)).all()
        assert [tuple(r) for r in rows] == [("teacher", "instructor"), ("ta1", "ta"),
                                           ("someone-via-x-actor", "instructor")]
    finally:
        engine.dispose()
