"""Deferred diagnostics through the API, with the real grader: the result first, the charts after it (at
once when a test failed, on request when every test passed), never lost or mixed up with a newer result."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from feedback_samples import dropped_dh_next_source
from helpers import SharedGrader
from starlette.testclient import TestClient

from server.db import utcnow
from server.grading import diagnostics
from server.tables import submissions_t

URL = "/api/v1/submissions"
DIAGNOSTICS_TIMEOUT_S = 60.0


def _until_settled(client: TestClient, sid: int, headers: dict[str, str]) -> dict[str, Any]:
    """The submission once its result is written and its charts are no longer on their way."""
    deadline = time.monotonic() + DIAGNOSTICS_TIMEOUT_S
    while True:
        body = client.get(f"{URL}/{sid}?wait=30", headers=headers).json()
        if body["status"] in ("graded", "failed") and body["diagnostics_status"] not in ("wanted", "running"):
            return body
        assert time.monotonic() < deadline, body["diagnostics_status"]
        time.sleep(0.05)


def _curves(body: dict[str, Any]) -> list[dict[str, Any]]:
    return body["diagnostics"]["grad_norm_series"]


@pytest.fixture
def student(grading_client: TestClient, create_student: Callable[..., dict[str, str]]) -> dict[str, str]:
    return {"Authorization": create_student(grading_client, "s1")["authorization"]}


def test_a_correct_submission_gets_its_result_without_charts_and_its_charts_on_request(
    grading_client: TestClient, student: dict[str, str], correct_source: str, teacher_headers: dict[str, str]
) -> None:
    first = grading_client.post(f"{URL}?wait=30", json={"exercise": "rnn", "source": correct_source}, headers=student)
    assert first.status_code == 200 and first.json()["score"] == 100
    sid = first.json()["id"]
    body = _until_settled(grading_client, sid, student)
    assert body["diagnostics_status"] == "available" and body["diagnostics"] == {}

    asked = grading_client.post(f"{URL}/{sid}/diagnostics", headers=student)
    assert asked.status_code == 202 and asked.json()["diagnostics_status"] in ("wanted", "running", "done")
    body = _until_settled(grading_client, sid, student)
    assert body["diagnostics_status"] == "done" and body["score"] == 100
    for series in _curves(body):
        assert series["student"] == pytest.approx(series["reference"], rel=1e-9)
    # Asking again changes nothing; the teacher may ask too; the score and the history are untouched.
    again = grading_client.post(f"{URL}/{sid}/diagnostics", headers=student)
    assert again.status_code == 200 and again.json()["diagnostics"] == body["diagnostics"]
    assert grading_client.post(f"{URL}/{sid}/diagnostics", headers=teacher_headers).status_code == 200
    history = grading_client.get(f"{URL}/{sid}/gradings", headers=student).json()
    assert len(history) == 1 and history[0]["score"] == 100


def test_a_failing_submission_gets_its_charts_without_asking(
    grading_client: TestClient, student: dict[str, str]
) -> None:
    response = grading_client.post(f"{URL}?wait=30", json={"exercise": "rnn", "source": dropped_dh_next_source()},
                                   headers=student)
    assert response.status_code == 200 and response.json()["score"] < 100
    assert response.json()["diagnostics_status"] in ("wanted", "running", "done")
    body = _until_settled(grading_client, response.json()["id"], student)
    assert body["diagnostics_status"] == "done"
    for series in _curves(body):
        assert series["student"][:-1] == [0.0] * (len(series["student"]) - 1)  # no carry through h_{t-1}
        assert series["student"] != series["reference"]


def test_asking_is_for_the_owner_of_a_graded_result(
    grading_client: TestClient, student: dict[str, str], create_student: Callable[..., dict[str, str]],
    make_client: Callable[..., TestClient]
) -> None:
    other = {"Authorization": create_student(grading_client, "s2")["authorization"]}
    sid = grading_client.post(f"{URL}?wait=30", json={"exercise": "rnn", "source": "x = 1\n"},
                              headers=student).json()["id"]
    someone_elses = grading_client.post(f"{URL}/{sid}/diagnostics", headers=other)
    assert someone_elses.status_code == 404 and someone_elses.json()["detail"]
    assert grading_client.post(f"{URL}/999999/diagnostics", headers=student).status_code == 404


def test_no_result_yet_is_a_clear_409(api_client: TestClient, create_student: Callable[..., dict[str, str]],
                                      correct_source: str) -> None:
    student = {"Authorization": create_student(api_client, "s1")["authorization"]}
    sid = api_client.post(URL, json={"exercise": "rnn", "source": correct_source}, headers=student).json()["id"]
    refused = api_client.post(f"{URL}/{sid}/diagnostics", headers=student)
    assert refused.status_code == 409 and "no result yet" in refused.json()["detail"]


def test_a_policy_that_hides_details_hides_the_charts_from_the_student(
    make_client: Callable[..., TestClient], real_grader: Any, create_student: Callable[..., dict[str, str]],
    teacher_headers: dict[str, str], correct_source: str
) -> None:
    client = make_client(workers=1, grader_factory=lambda: SharedGrader(real_grader),
                         visibility={"rnn": {"before_deadline": "score_only"}})
    student = {"Authorization": create_student(client, "s1")["authorization"]}
    body = client.post(f"{URL}?wait=30", json={"exercise": "rnn", "source": correct_source}, headers=student).json()
    assert body["status"] == "graded" and body["diagnostics_status"] is None
    refused = client.post(f"{URL}/{body['id']}/diagnostics", headers=student)
    assert refused.status_code == 403 and "visibility" in refused.json()["detail"]
    assert client.post(f"{URL}/{body['id']}/diagnostics", headers=teacher_headers).status_code == 202


# ---------------------------------------------------------------- the claim and the guarded write
def test_charts_of_a_result_replaced_meanwhile_are_discarded_and_a_dead_loops_claim_is_taken_again(
    grading_client: TestClient, student: dict[str, str], correct_source: str
) -> None:
    engine = grading_client.app.state.ctx.engine  # type: ignore[attr-defined]
    sid = grading_client.post(f"{URL}?wait=30", json={"exercise": "rnn", "source": correct_source},
                              headers=student).json()["id"]
    _until_settled(grading_client, sid, student)
    grading_client.app.state.ctx.queue.stop()  # type: ignore[attr-defined]  # nobody else takes the claim
    with engine.begin() as conn:
        conn.execute(sa.update(submissions_t).where(submissions_t.c.id == sid)
                     .values(diagnostics_status=diagnostics.WANTED))
    taken = diagnostics.claim(engine, lease_seconds=30)
    assert taken is not None and taken.id == sid and diagnostics.claim(engine, lease_seconds=30) is None
    # A regrade wrote a new result meanwhile: these charts belong to the old one.
    with engine.begin() as conn:
        conn.execute(sa.update(submissions_t).where(submissions_t.c.id == sid)
                     .values(graded_at=utcnow() + dt.timedelta(seconds=1)))
    assert diagnostics.store(engine, taken, {"charts": []}) is False
    # The loop that took them died: after the lease they are taken again, and stored once.
    with engine.begin() as conn:
        conn.execute(sa.update(submissions_t).where(submissions_t.c.id == sid)
                     .values(diagnostics_at=utcnow() - dt.timedelta(seconds=31)))
    again = diagnostics.claim(engine, lease_seconds=30, submission_id=sid)
    assert again is not None
    assert diagnostics.store(engine, again, {"values": {"k": 1}}) is True
    assert diagnostics.store(engine, again, {"values": {"k": 2}}) is False
    body = grading_client.get(f"{URL}/{sid}", headers=student).json()
    assert body["diagnostics_status"] == "done" and body["diagnostics"] == {"values": {"k": 1}}
    assert body["score"] == 100
