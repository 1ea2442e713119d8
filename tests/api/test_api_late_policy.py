"""Late policy (grace, penalty per started day, cap, cutoff), the student's own deadline and the submission
cap, through the API on SQLite and PostgreSQL, with the app's clock set instead of sleeping."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from typing import Any

import pytest
from helpers import assert_error
from policy_helpers import DAY, DEADLINE, MINUTE, SECOND, fail, grade, set_clock, submit
from starlette.testclient import TestClient

POLICY = {"rnn": {"grace_minutes": 10, "penalty_per_day": 0.1, "max_penalty": 0.25, "cutoff_days": 3}}
GRACE = 10 * MINUTE


@pytest.fixture
def client(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client(deadlines={"rnn": DEADLINE.isoformat()}, late_policy=POLICY)


@pytest.fixture
def alice(client: TestClient, create_student: Callable[..., dict[str, str]]) -> dict[str, str]:
    return {"Authorization": create_student(client, "alice", "Alice")["authorization"]}


@pytest.mark.parametrize(
    ("offset", "late", "penalty"),
    [
        (dt.timedelta(0), False, 0.0),  # exactly at the deadline: on time
        (GRACE, False, 0.0),  # the last second of the grace
        (GRACE + SECOND, True, 0.1),  # one second into the first day after the grace
        (GRACE + DAY, True, 0.1),  # exactly one whole day: still the first started day
        (GRACE + DAY + SECOND, True, 0.2),  # a second day started
        (GRACE + 2 * DAY + SECOND, True, 0.25),  # 0.3 capped by max_penalty
        (3 * DAY, True, 0.25),  # exactly at the cutoff: still accepted
    ],
)
def test_late_and_penalty_are_decided_at_submission(
    client: TestClient, alice: dict[str, str], offset: dt.timedelta, late: bool, penalty: float
) -> None:
    set_clock(client, DEADLINE + offset)
    body = submit(client, alice).json()
    assert (body["late"], body["late_penalty"]) == (late, pytest.approx(penalty))
    assert body["score"] is None and body["counted_score"] is None


def test_one_second_after_the_cutoff_is_refused_and_nothing_is_stored(
    client: TestClient, alice: dict[str, str], teacher_headers: dict[str, str]
) -> None:
    set_clock(client, DEADLINE + 3 * DAY + SECOND)
    body = assert_error(submit(client, alice), 403, "SubmissionsClosed")
    assert "closed" in body["detail"]
    assert dt.datetime.fromisoformat(body["cutoff"]) == DEADLINE + 3 * DAY
    assert client.get("/api/v1/submissions", headers=teacher_headers).json() == []


def test_counted_score_applies_the_stored_penalty_everywhere(
    client: TestClient, alice: dict[str, str], teacher_headers: dict[str, str], database_url: str
) -> None:
    set_clock(client, DEADLINE - DAY)
    on_time = submit(client, alice).json()["id"]
    set_clock(client, DEADLINE + GRACE + DAY + MINUTE)  # two started days: 0.2
    late = submit(client, alice).json()["id"]
    grade(database_url, on_time, 20.0)
    grade(database_url, late, 30.0)  # raw 30, counted 24: the best counted score
    body = client.get(f"/api/v1/submissions/{late}", headers=alice).json()
    assert (body["score"], body["late_penalty"], body["counted_score"]) == (30.0, pytest.approx(0.2), 24.0)
    assert "20%" in body["feedback"]
    first = client.get(f"/api/v1/submissions/{on_time}", headers=alice).json()
    assert (first["score"], first["late_penalty"], first["counted_score"]) == (20.0, 0.0, 20.0)
    row = client.get("/api/v1/scoreboard", headers=teacher_headers).json()[0]
    assert row["scores"] == {"rnn": 24.0, "rnn_gradients": None} and row["late_exercises"] == ["rnn"]
    lines = list(csv.reader(io.StringIO(client.get("/api/v1/scoreboard.csv", headers=teacher_headers)
                                        .content.decode("utf-8-sig"))))
    assert lines[1] == ["alice", "Alice", "24", "", "24", "yes"]
    results = client.get(f"/api/v1/submissions/{late}/results.json", headers=alice).json()
    assert results["score"] == 24.0
    assert results["extra_data"]["raw_score"] == 30.0 and results["extra_data"]["late_penalty"] == 0.2


def test_best_chooses_among_counted_scores(
    client: TestClient, alice: dict[str, str], teacher_headers: dict[str, str], database_url: str
) -> None:
    set_clock(client, DEADLINE)
    on_time = submit(client, alice).json()["id"]
    set_clock(client, DEADLINE + GRACE + 2 * DAY + MINUTE)  # 0.3, capped at 0.25
    late = submit(client, alice).json()["id"]
    grade(database_url, on_time, 25.0)
    grade(database_url, late, 30.0)  # counted 22.5 < 25
    row = client.get("/api/v1/scoreboard", headers=teacher_headers).json()[0]
    assert row["scores"] == {"rnn": 25.0, "rnn_gradients": None} and row["late"] is False


def test_extension_replaces_the_deadline_even_when_shorter(
    client: TestClient, alice: dict[str, str], teacher_headers: dict[str, str],
    create_student: Callable[..., dict[str, str]],
) -> None:
    bob = {"Authorization": create_student(client, "bob", "Bob")["authorization"]}
    earlier = DEADLINE - 2 * DAY
    later = DEADLINE + 5 * DAY
    for student, when in (("alice", earlier), ("bob", later)):
        response = client.put(f"/api/v1/extensions/{student}/rnn", json={"deadline": when.isoformat()},
                              headers=teacher_headers)
        assert response.status_code == 200, response.text
    set_clock(client, DEADLINE - DAY)  # before the exercise's deadline, a day after alice's own one
    assert submit(client, alice).json()["late_penalty"] == pytest.approx(0.1)
    set_clock(client, DEADLINE + 4 * DAY)  # past the exercise's cutoff, before bob's own deadline
    body = submit(client, bob).json()
    assert (body["late"], body["late_penalty"]) == (False, 0.0)
    assert_error(submit(client, alice), 403, "SubmissionsClosed")  # alice's cutoff is her deadline + 3 days
    # Each student's exercise list shows their own deadline; the teacher sees the exercise's.
    mine = client.get("/api/v1/exercises/rnn", headers=alice).json()
    assert dt.datetime.fromisoformat(mine["deadline"]) == earlier and mine["extended"] is True
    assert dt.datetime.fromisoformat(mine["exercise_deadline"]) == DEADLINE
    listed = {e["id"]: e for e in client.get("/api/v1/exercises", headers=bob).json()}
    assert dt.datetime.fromisoformat(listed["rnn"]["deadline"]) == later
    teacher = client.get("/api/v1/exercises/rnn", headers=teacher_headers).json()
    assert dt.datetime.fromisoformat(teacher["deadline"]) == DEADLINE and teacher["extended"] is False
    assert teacher["late_policy"] == {"grace_minutes": 10.0, "penalty_per_day": 0.1, "max_penalty": 0.25,
                                      "cutoff_days": 3.0}


def test_submission_cap_counts_everything_but_failed_gradings(
    make_client: Callable[..., TestClient], create_student: Callable[..., dict[str, str]], database_url: str,
) -> None:
    client = make_client(max_submissions={"rnn": 2})
    alice = {"Authorization": create_student(client, "alice", "Alice")["authorization"]}
    first = submit(client, {**alice, "Idempotency-Key": "k1"}).json()["id"]
    second = submit(client, alice).json()["id"]
    grade(database_url, second, 10.0)
    body = assert_error(submit(client, alice), 403, "SubmissionCapReached")
    assert (body["count"], body["max_submissions"]) == (2, 2)
    assert "2 of 2" in body["detail"]
    # An idempotent retry returns the stored submission before any policy is checked.
    retry = submit(client, {**alice, "Idempotency-Key": "k1"})
    assert retry.status_code == 202 and retry.json()["id"] == first
    fail(database_url, first)  # an internal grading failure gives the attempt back
    assert submit(client, alice).status_code == 202
    assert_error(submit(client, alice), 403, "SubmissionCapReached")
    assert client.get("/api/v1/exercises/rnn", headers=alice).json()["max_submissions"] == 2


def test_cap_is_per_student(
    make_client: Callable[..., TestClient], create_student: Callable[..., dict[str, str]]
) -> None:
    client = make_client(max_submissions={"rnn": 1})
    alice = {"Authorization": create_student(client, "alice", "Alice")["authorization"]}
    bob = {"Authorization": create_student(client, "bob", "Bob")["authorization"]}
    assert submit(client, alice).status_code == 202
    assert submit(client, bob).status_code == 202
    assert_error(submit(client, alice), 403, "SubmissionCapReached")


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("late_policy", {"rnn": {"penalty_per_day": 1.5}}, "penalty_per_day must be between"),
        ("late_policy", {"rnn": {"grace": 5}}, "unknown late policy keys"),
        ("late_policy", {"rnn": {"cutoff_days": -1}}, "cutoff_days must be"),
        ("max_submissions", {"rnn": 0}, "max_submissions must be"),
        ("visibility", {"rnn": {"before_deadline": "hidden"}}, "before_deadline must be one of"),
        ("visibility", {"rnn": {"parts": {"nope": {"before_deadline": "summary"}}}}, "unknown parts"),
    ],
)
def test_bad_policy_settings_are_config_errors(
    make_settings: Callable[..., Any], real_exercises: dict[str, Any], setting: str, value: Any, message: str
) -> None:
    from server.app import create_app
    from server.config import ConfigError

    with pytest.raises(ConfigError, match=message):
        create_app(make_settings(**{setting: value}), exercises_by_id=real_exercises, migrate=False)
