"""Contract: nothing lost on regrade. Every grading is kept (GET /submissions/{id}/gradings), a regrade
batch reports counted scores up/down/same with per-student before/after (JSON and CSV), a regrade keeps
the counted score on the scoreboard until the new grading is written, overrides are gradings with the
teacher's reason, and every teacher change is in the audit log. On SQLite and PostgreSQL.

The grader is played by `write_result` (what a grading slot calls), so each test picks the new scores."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from helpers import assert_error
from starlette.testclient import TestClient

from grader.result import Result
from server.db import create_db_engine
from server.grading.claims import write_result

SUBMIT = "/api/v1/submissions"


@pytest.fixture
def engine(database_url: str) -> Iterator[sa.Engine]:
    engine = create_db_engine(database_url)
    yield engine
    engine.dispose()


def grade(engine: sa.Engine, submission_id: int, score: float) -> None:
    """What a grading slot does when the grader returns this score."""
    result = Result(exercise="rnn", score=score, max_score=100.0, parts=[], grader_version="g1", grading_ms=1.0)
    assert write_result(engine, submission_id, "graded", result)


def counted(client: TestClient, teacher: dict[str, str], student_id: str) -> Any:
    rows = {r["student_id"]: r for r in client.get("/api/v1/scoreboard", headers=teacher).json()}
    return rows[student_id]["scores"]["rnn"]


@pytest.fixture
def setup(api_client: TestClient, create_student: Callable[..., dict[str, str]],
          teacher_headers: dict[str, str]) -> dict[str, Any]:
    alice = {"Authorization": create_student(api_client, "alice", "Alice")["authorization"]}
    bob = {"Authorization": create_student(api_client, "bob", "Bob")["authorization"]}
    return {"client": api_client, "teacher": teacher_headers, "alice": alice, "bob": bob}


def submit(client: TestClient, headers: dict[str, str]) -> int:
    response = client.post(SUBMIT, json={"exercise": "rnn", "source": "x = 1\n"}, headers=headers)
    assert response.status_code == 202, response.text
    return int(response.json()["id"])


def test_a_lower_regrade_is_kept_in_history_and_reported_down(setup: dict[str, Any], engine: sa.Engine) -> None:
    client, teacher, alice = setup["client"], setup["teacher"], setup["alice"]
    sid = submit(client, alice)
    grade(engine, sid, 80.0)
    started = client.post("/api/v1/regrade", json={"exercise": "rnn", "reason": "grader fix"}, headers=teacher)
    assert started.status_code == 200 and started.json()["queued"] == 1
    batch = started.json()["batch_id"]
    # while the regrade is pending, the last result counts: on the scoreboard and on the submission
    assert counted(client, teacher, "alice") == 80.0
    pending = client.get(f"{SUBMIT}/{sid}", headers=alice).json()
    assert pending["status"] == "queued" and pending["score"] == 80.0 and pending["regrade_pending"] is True
    running = client.get(f"/api/v1/regrades/{batch}", headers=teacher).json()
    assert running["total"] == 1 and running["done"] == 0 and running["finished"] is False
    assert running["totals"] == {"up": 0, "down": 0, "same": 0, "pending": 1}

    grade(engine, sid, 55.0)
    assert counted(client, teacher, "alice") == 55.0
    report = client.get(f"/api/v1/regrades/{batch}", headers=teacher).json()
    assert report["finished"] is True and report["done"] == 1 and report["reason"] == "grader fix"
    assert report["totals"] == {"up": 0, "down": 1, "same": 0, "pending": 0}
    assert [(r["student_id"], r["name"], r["exercise"], r["before"], r["after"], r["change"])
            for r in report["students"]] == [("alice", "Alice", "rnn", 80.0, 55.0, "down")]
    history = client.get(f"{SUBMIT}/{sid}/gradings", headers=alice).json()
    assert [(g["number"], g["why"], g["score"], g["batch_id"]) for g in history] == [
        (1, "submit", 80.0, None), (2, "regrade", 55.0, batch)]
    assert all(g["result"] is None for g in history)  # students read feedback from the submission
    teacher_view = client.get(f"{SUBMIT}/{sid}/gradings", headers=teacher).json()
    assert [g["result"]["score"] for g in teacher_view] == [80.0, 55.0]
    for url in (f"/api/v1/regrades/{batch}.csv", f"/api/v1/regrades/{batch}?format=csv"):
        response = client.get(url, headers=teacher)
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert rows == [["student_id", "name", "exercise", "before", "after", "change", "submissions", "pending"],
                        ["alice", "Alice", "rnn", "80", "55", "down", "1", "0"]]
    listed = client.get("/api/v1/regrades", headers=teacher).json()
    assert [(b["id"], b["total"], b["done"], b["finished"]) for b in listed] == [(batch, 1, 1, True)]
    audit = client.get("/api/v1/audit", params={"action": "regrade"}, headers=teacher).json()
    assert [(a["actor"], a["target"], a["reason"], a["detail"]["queued"]) for a in audit] == [
        ("admin", f"batch:{batch}", "grader fix", 1)]


def test_report_counts_up_same_and_per_student(setup: dict[str, Any], engine: sa.Engine) -> None:
    client, teacher = setup["client"], setup["teacher"]
    a1, a2, b1 = submit(client, setup["alice"]), submit(client, setup["alice"]), submit(client, setup["bob"])
    grade(engine, a1, 40.0)
    grade(engine, a2, 70.0)
    grade(engine, b1, 90.0)
    batch = client.post("/api/v1/regrade", json={"all": True}, headers=teacher).json()["batch_id"]
    grade(engine, a1, 95.0)  # alice's best goes 70 -> 95
    half = client.get(f"/api/v1/regrades/{batch}", headers=teacher).json()
    assert half["done"] == 1 and half["totals"]["pending"] == 2
    grade(engine, a2, 10.0)
    grade(engine, b1, 90.0)
    report = client.get(f"/api/v1/regrades/{batch}", headers=teacher).json()
    assert report["totals"] == {"up": 1, "down": 0, "same": 1, "pending": 0}
    assert {r["student_id"]: (r["before"], r["after"], r["change"], r["submissions"]) for r in report["students"]} == {
        "alice": (70.0, 95.0, "up", 2), "bob": (90.0, 90.0, "same", 1)}


def test_override_then_regrade(setup: dict[str, Any], engine: sa.Engine, make_staff: Any) -> None:
    client, teacher, alice = setup["client"], setup["teacher"], setup["alice"]
    sid = submit(client, alice)
    grade(engine, sid, 30.0)
    chen = make_staff(client, "Dr Chen", role="instructor")
    response = client.post(f"{SUBMIT}/{sid}/override", json={"score": 75, "reason": "partial credit: sign slip"},
                           headers={**chen, "X-Actor": "not-me"})
    assert response.status_code == 201, response.text
    assert response.json()["why"] == "override" and response.json()["actor"] == "Dr Chen"
    assert counted(client, teacher, "alice") == 75.0
    assert client.get(f"{SUBMIT}/{sid}", headers=alice).json()["score"] == 75.0
    batch = client.post("/api/v1/regrade", json={"submission_id": sid}, headers=teacher).json()["batch_id"]
    assert counted(client, teacher, "alice") == 75.0  # the override counts until the regrade is written
    grade(engine, sid, 35.0)
    assert counted(client, teacher, "alice") == 35.0  # the latest grading counts; the override stays in history
    history = client.get(f"{SUBMIT}/{sid}/gradings", headers=alice).json()
    assert [(g["why"], g["score"], g["reason"]) for g in history] == [
        ("submit", 30.0, None), ("override", 75.0, "partial credit: sign slip"), ("regrade", 35.0, None)]
    report = client.get(f"/api/v1/regrades/{batch}", headers=teacher).json()
    assert [(r["before"], r["after"], r["change"]) for r in report["students"]] == [(75.0, 35.0, "down")]
    audit = client.get("/api/v1/audit", params={"target": f"submission:{sid}"}, headers=teacher).json()
    assert [(a["actor"], a["action"], a["detail"]["before"], a["detail"]["after"]) for a in audit] == [
        ("Dr Chen", "override", 30.0, 75.0)]


def test_override_errors(setup: dict[str, Any], engine: sa.Engine) -> None:
    client, teacher, alice = setup["client"], setup["teacher"], setup["alice"]
    sid = submit(client, alice)
    url = f"{SUBMIT}/{sid}/override"
    assert_error(client.post(url, json={"score": 50, "reason": "x"}, headers=teacher), 409, "GradingInProgress")
    grade(engine, sid, 30.0)
    assert_error(client.post(url, json={"score": 100.5, "reason": "x"}, headers=teacher), 422, "InvalidInput")
    assert_error(client.post(url, json={"score": -1, "reason": "x"}, headers=teacher), 422, "InvalidInput")
    assert_error(client.post(url, json={"score": 50, "reason": " "}, headers=teacher), 422, "ValidationError")
    assert_error(client.post(url, json={"score": 50, "reason": "x"}, headers=alice), 403, "TeacherOnly")
    assert_error(client.post(f"{SUBMIT}/999999/override", json={"score": 1, "reason": "x"}, headers=teacher),
                 404, "SubmissionNotFound")
    assert counted(client, teacher, "alice") == 30.0
    assert len(client.get(f"{SUBMIT}/{sid}/gradings", headers=teacher).json()) == 1


def test_gradings_are_visible_to_the_owner_and_the_teacher_only(setup: dict[str, Any], engine: sa.Engine) -> None:
    client, teacher, alice, bob = setup["client"], setup["teacher"], setup["alice"], setup["bob"]
    sid = submit(client, alice)
    assert client.get(f"{SUBMIT}/{sid}/gradings", headers=alice).json() == []
    grade(engine, sid, 20.0)
    assert_error(client.get(f"{SUBMIT}/{sid}/gradings", headers=bob), 404, "SubmissionNotFound")
    assert_error(client.get(f"{SUBMIT}/{sid}/gradings"), 401, "Unauthorized")
    assert len(client.get(f"{SUBMIT}/{sid}/gradings", headers=teacher).json()) == 1


def test_regrade_reports_and_audit_are_for_the_teacher(setup: dict[str, Any]) -> None:
    client, teacher, alice = setup["client"], setup["teacher"], setup["alice"]
    assert_error(client.get("/api/v1/regrades/1", headers=alice), 403, "TeacherOnly")
    assert_error(client.get("/api/v1/regrades/424242", headers=teacher), 404, "RegradeBatchNotFound")
    assert_error(client.get("/api/v1/regrades/424242.csv", headers=teacher), 404, "RegradeBatchNotFound")
    assert_error(client.get("/api/v1/regrades/1?format=xml", headers=teacher), 422, "ValidationError")
    assert_error(client.get("/api/v1/audit", headers=alice), 403, "TeacherOnly")
    assert_error(client.get("/api/v1/audit", params={"since": "yesterday"}, headers=teacher), 422, "ValidationError")
    # X-Actor is ignored: the audit log names the authenticated staff member.
    ignored = {**teacher, "X-Actor": "bad\u0000name"}
    assert client.post("/api/v1/regrade", json={"all": True}, headers=ignored).status_code == 200
    assert client.get("/api/v1/audit", params={"action": "regrade"}, headers=teacher).json()[0]["actor"] == "admin"
