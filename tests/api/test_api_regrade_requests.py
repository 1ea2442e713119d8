"""Contract: regrade requests. The owner asks (201 with the request's id; someone else's submission is
404; an empty or too long message 422), the teacher lists open ones and resolves each once (regrade,
override with a score in [0, max], or reject; a second resolve is 409), the student sees the answer, and
every resolution is in the audit log. On SQLite and PostgreSQL."""

from __future__ import annotations

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
REQUESTS = "/api/v1/regrade-requests"


@pytest.fixture
def engine(database_url: str) -> Iterator[sa.Engine]:
    engine = create_db_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def world(api_client: TestClient, create_student: Callable[..., dict[str, str]], teacher_headers: dict[str, str],
          engine: sa.Engine) -> dict[str, Any]:
    alice = {"Authorization": create_student(api_client, "alice", "Alice")["authorization"]}
    bob = {"Authorization": create_student(api_client, "bob", "Bob")["authorization"]}
    sid = api_client.post(SUBMIT, json={"exercise": "rnn", "source": "x = 1\n"}, headers=alice).json()["id"]
    result = Result(exercise="rnn", score=40.0, max_score=100.0, parts=[], grader_version="g1", grading_ms=1.0)
    assert write_result(engine, sid, "graded", result)
    return {"client": api_client, "teacher": teacher_headers, "alice": alice, "bob": bob, "sid": sid}


def ask(world: dict[str, Any], message: str = "test 3 uses the wrong sign convention") -> dict[str, Any]:
    response = world["client"].post(f"{SUBMIT}/{world['sid']}/regrade-requests", json={"message": message},
                                    headers=world["alice"])
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_request_then_reject_and_the_student_sees_the_answer(world: dict[str, Any]) -> None:
    client, teacher, alice = world["client"], world["teacher"], world["alice"]
    created = ask(world)
    assert created["status"] == "open" and created["submission_id"] == world["sid"] and created["id"] >= 1
    assert [r["id"] for r in client.get(REQUESTS, params={"status": "open"}, headers=teacher).json()] == [created["id"]]
    response = client.post(f"{REQUESTS}/{created['id']}/resolve",
                           json={"action": "reject", "comment": "the sign is part of the task"}, headers=teacher)
    assert response.status_code == 200, response.text
    mine = client.get(REQUESTS, headers=alice).json()
    assert [(r["status"], r["action"], r["comment"]) for r in mine] == [
        ("resolved", "reject", "the sign is part of the task")]
    assert client.get(REQUESTS, params={"status": "open"}, headers=teacher).json() == []
    again = client.post(f"{REQUESTS}/{created['id']}/resolve", json={"action": "reject", "comment": "no"},
                        headers=teacher)
    assert_error(again, 409, "RequestAlreadyResolved")
    entries = client.get("/api/v1/audit", params={"action": "regrade_request.resolve"}, headers=teacher).json()
    assert [(e["target"], e["reason"], e["detail"]["action"]) for e in entries] == [
        (f"regrade_request:{created['id']}", "the sign is part of the task", "reject")]


def test_resolve_with_an_override_counts_on_the_scoreboard(world: dict[str, Any]) -> None:
    client, teacher, alice = world["client"], world["teacher"], world["alice"]
    created = ask(world)
    url = f"{REQUESTS}/{created['id']}/resolve"
    assert_error(client.post(url, json={"action": "override", "score": 100.01, "comment": "ok"}, headers=teacher),
                 422, "InvalidInput")
    assert_error(client.post(url, json={"action": "override", "score": -0.5, "comment": "ok"}, headers=teacher),
                 422, "InvalidInput")
    assert_error(client.post(url, json={"action": "override", "comment": "ok"}, headers=teacher), 422, "InvalidInput")
    assert_error(client.post(url, json={"action": "override", "score": 60}, headers=teacher), 422, "InvalidInput")
    assert_error(client.post(url, json={"action": "reject", "score": 60, "comment": "x"}, headers=teacher),
                 422, "InvalidInput")
    assert_error(client.post(url, json={"action": "shrug"}, headers=teacher), 422, "ValidationError")
    assert client.get(REQUESTS, params={"status": "open"}, headers=teacher).json()[0]["id"] == created["id"]
    done = client.post(url, json={"action": "override", "score": 65, "comment": "sign convention accepted"},
                       headers=teacher)
    assert done.status_code == 200 and done.json()["score"] == 65 and done.json()["action"] == "override"
    board = {r["student_id"]: r for r in client.get("/api/v1/scoreboard", headers=teacher).json()}
    assert board["alice"]["scores"]["rnn"] == 65
    history = client.get(f"{SUBMIT}/{world['sid']}/gradings", headers=alice).json()
    assert [(g["why"], g["score"], g["reason"]) for g in history] == [
        ("submit", 40.0, None), ("override", 65.0, "sign convention accepted")]
    assert_error(client.post(url, json={"action": "regrade"}, headers=teacher), 409, "RequestAlreadyResolved")


def test_resolve_with_a_regrade_starts_a_batch(world: dict[str, Any], engine: sa.Engine) -> None:
    client, teacher, alice = world["client"], world["teacher"], world["alice"]
    created = ask(world)
    done = client.post(f"{REQUESTS}/{created['id']}/resolve", json={"action": "regrade", "comment": "rechecking"},
                       headers=teacher).json()
    assert done["action"] == "regrade" and isinstance(done["batch_id"], int)
    submission = client.get(f"{SUBMIT}/{world['sid']}", headers=alice).json()
    assert submission["regrade_pending"] is True and submission["score"] == 40.0
    result = Result(exercise="rnn", score=90.0, max_score=100.0, parts=[], grader_version="g2", grading_ms=1.0)
    assert write_result(engine, world["sid"], "graded", result)
    report = client.get(f"/api/v1/regrades/{done['batch_id']}", headers=teacher).json()
    assert report["totals"]["up"] == 1 and report["selector"]["request_id"] == created["id"]
    assert client.get(f"{REQUESTS}/{created['id']}", headers=alice).json()["status"] == "resolved"


def test_request_errors(world: dict[str, Any]) -> None:
    client, teacher, alice, bob, sid = world["client"], world["teacher"], world["alice"], world["bob"], world["sid"]
    url = f"{SUBMIT}/{sid}/regrade-requests"
    assert_error(client.post(url, json={"message": "mine now"}, headers=bob), 404, "SubmissionNotFound")
    assert_error(client.post(f"{SUBMIT}/987654/regrade-requests", json={"message": "x"}, headers=alice),
                 404, "SubmissionNotFound")
    assert_error(client.post(url, json={"message": "   "}, headers=alice), 422, "ValidationError")
    assert_error(client.post(url, json={"message": "x" * 2001}, headers=alice), 422, "ValidationError")
    assert_error(client.post(url, json={}, headers=alice), 422, "ValidationError")
    assert_error(client.post(url, json={"message": "x"}, headers=teacher), 403, "StudentOnly")
    created = ask(world)
    assert_error(client.get(f"{REQUESTS}/{created['id']}", headers=bob), 404, "RegradeRequestNotFound")
    assert client.get(REQUESTS, headers=bob).json() == []
    assert_error(client.get(REQUESTS, params={"student_id": "alice"}, headers=bob), 403, "Forbidden")
    assert_error(client.post(f"{REQUESTS}/{created['id']}/resolve", json={"action": "reject"}, headers=alice),
                 403, "TeacherOnly")
    assert_error(client.post(f"{REQUESTS}/424242/resolve", json={"action": "reject"}, headers=teacher),
                 404, "RegradeRequestNotFound")
    assert_error(client.get(REQUESTS, params={"status": "maybe"}, headers=teacher), 422, "ValidationError")
