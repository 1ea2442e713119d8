"""Visibility policy: what a student sees of a result before and after their own deadline (API, list,
results.json); the teacher always sees everything."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from policy_helpers import DAY, DEADLINE, MINUTE, grade, set_clock, submit
from starlette.testclient import TestClient

POLICY = {"rnn": {"before_deadline": "summary", "parts": {"backward": {"before_deadline": "score_only"}}}}
NUMBERS = ("0.125", "3.5", "0.5")  # the numeric feedback of policy_helpers.result()
# Times carry fractions of a second ("...:40.51+00:00") that may contain those digits by chance.
_TIMES = re.compile(r"\d{4}-\d\d-\d\dT[\d:.]+(?:[+-]\d\d:\d\d|Z)?")


def _without_times(value: object) -> str:
    return _TIMES.sub("<time>", str(value))


@pytest.fixture
def mistake(real_exercises: dict[str, Any]) -> dict[str, Any]:
    item: dict[str, Any] = real_exercises["rnn"].hooks.misconception_catalogue()[0]
    return item


@pytest.fixture
def setup(
    make_client: Callable[..., TestClient], create_student: Callable[..., dict[str, str]], database_url: str,
    mistake: dict[str, Any],
) -> tuple[TestClient, dict[str, str], int]:
    client = make_client(deadlines={"rnn": DEADLINE.isoformat()}, visibility=POLICY)
    alice = {"Authorization": create_student(client, "alice", "Alice")["authorization"]}
    set_clock(client, DEADLINE - DAY)
    submission_id = submit(client, alice).json()["id"]
    grade(database_url, submission_id, 12.0, misconception=mistake["name"])
    return client, alice, submission_id


def _parts(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in body["parts"]}


def test_before_the_deadline_summary_and_score_only(
    setup: tuple[TestClient, dict[str, str], int], mistake: dict[str, Any]
) -> None:
    client, alice, submission_id = setup
    body = client.get(f"/api/v1/submissions/{submission_id}", headers=alice).json()
    assert (body["score"], body["counted_score"]) == (12.0, 12.0)
    parts = _parts(body)
    forward = parts["forward"]
    assert forward["score"] == 12.0 and forward["feedback"] == ""
    [test] = forward["tests"]
    assert (test["name"], test["outcome"], test["score"], test["max_score"]) == ("forward_small", "wrong_answer",
                                                                                 12.0, 30.0)
    assert test["feedback"] == f"Likely mistake: {mistake['title']['en']}. {mistake['hint']['en']}"
    assert test["misconceptions"] == [mistake["name"]]
    assert parts["backward"]["tests"] == [] and parts["backward"]["feedback"] == ""
    assert parts["backward"]["mistakes"] == []
    assert parts["backward"]["score"] == 0.0 and parts["backward"]["max_score"] == 50.0
    assert body["diagnostics"] == {}
    assert "full feedback opens after" in body["feedback"]
    text = _without_times(body)
    assert not any(number in text for number in NUMBERS)
    # The same view in the student's list, in Chinese, and in results.json.
    [listed] = client.get("/api/v1/submissions", headers=alice).json()
    assert listed == body
    zh = client.get(f"/api/v1/submissions/{submission_id}", params={"lang": "zh"}, headers=alice).json()
    assert _parts(zh)["forward"]["tests"][0]["feedback"].startswith(f"可能的错误：{mistake['title']['zh']}")
    results = client.get(f"/api/v1/submissions/{submission_id}/results.json", headers=alice).json()
    assert [t["name"] for t in results["tests"]] == ["forward_small"]
    assert not any(number in _without_times(results) for number in NUMBERS)


def test_teacher_always_sees_everything(
    setup: tuple[TestClient, dict[str, str], int], teacher_headers: dict[str, str]
) -> None:
    client, _alice, submission_id = setup
    body = client.get(f"/api/v1/submissions/{submission_id}", headers=teacher_headers).json()
    parts = _parts(body)
    assert parts["forward"]["tests"][0]["feedback"] == "y[2] differs by 0.125 at step 3"
    assert parts["backward"]["tests"][0]["feedback"] == "dW_hh max error 3.5"
    assert body["diagnostics"] == {"chart": "<svg/>"}
    results = client.get(f"/api/v1/submissions/{submission_id}/results.json", headers=teacher_headers).json()
    assert [t["name"] for t in results["tests"]] == ["forward_small", "backward_small"]


def test_after_the_deadline_everything_is_shown(setup: tuple[TestClient, dict[str, str], int]) -> None:
    client, alice, submission_id = setup
    set_clock(client, DEADLINE)  # at the deadline it is still "before"
    assert _parts(client.get(f"/api/v1/submissions/{submission_id}", headers=alice).json())["backward"]["tests"] == []
    set_clock(client, DEADLINE + MINUTE)
    body = client.get(f"/api/v1/submissions/{submission_id}", headers=alice).json()
    assert _parts(body)["backward"]["tests"][0]["feedback"] == "dW_hh max error 3.5"
    assert body["diagnostics"] == {"chart": "<svg/>"}


def test_an_extension_keeps_the_before_deadline_view(
    setup: tuple[TestClient, dict[str, str], int], teacher_headers: dict[str, str]
) -> None:
    client, alice, submission_id = setup
    later = (DEADLINE + 2 * DAY).isoformat()
    response = client.put("/api/v1/extensions/alice/rnn", json={"deadline": later}, headers=teacher_headers)
    assert response.status_code == 200
    set_clock(client, DEADLINE + DAY)
    body = client.get(f"/api/v1/submissions/{submission_id}", headers=alice).json()
    assert _parts(body)["backward"]["tests"] == []


def test_after_deadline_level_can_be_set_too(
    make_client: Callable[..., TestClient], create_student: Callable[..., dict[str, str]], database_url: str
) -> None:
    client = make_client(deadlines={"rnn": DEADLINE.isoformat()},
                         visibility={"rnn": {"before_deadline": "score_only", "after_deadline": "summary"}})
    alice = {"Authorization": create_student(client, "alice", "Alice")["authorization"]}
    set_clock(client, DEADLINE + DAY)
    submission_id = submit(client, alice).json()["id"]
    grade(database_url, submission_id, 30.0)
    parts = _parts(client.get(f"/api/v1/submissions/{submission_id}", headers=alice).json())
    assert parts["forward"]["tests"][0]["feedback"] == "" and parts["forward"]["tests"][0]["outcome"] == "passed"
    assert parts["backward"]["tests"][0]["outcome"] == "wrong_answer"
