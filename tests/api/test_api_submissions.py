"""Contract: /api/v1/submissions without grading threads (submissions stay queued): auth, ownership,
payload checks, idempotency, rate limit, lateness, listing and filters."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from helpers import assert_error
from starlette.testclient import TestClient

URL = "/api/v1/submissions"
SOURCE = "import numpy as np\n\ndef rnn_forward(*args):\n    return None\n"
SUBMISSION_KEYS = {
    "id", "student_id", "exercise", "status", "score", "max_score", "late", "late_penalty", "counted_score",
    "created_at", "graded_at", "attempts", "grader_version", "grading_ms", "feedback", "parts", "diagnostics",
    "notebook",  # null unless the submission was a notebook upload (docs/client.md)
    "regrade_pending",  # true while a regrade is queued; the last result still shows (docs/regrades.md)
    "diagnostics_status",  # where the result's charts are: drawn after the result (server.grading.diagnostics)
}


@pytest.fixture
def student(api_client: TestClient, create_student: Callable[..., dict[str, str]]) -> dict[str, str]:
    return {"Authorization": create_student(api_client, "s1")["authorization"]}


@pytest.fixture
def other_student(api_client: TestClient, create_student: Callable[..., dict[str, str]]) -> dict[str, str]:
    return {"Authorization": create_student(api_client, "s2", "Student Two")["authorization"]}


def test_submit_json_is_accepted_and_queued(api_client: TestClient, student: dict[str, str]) -> None:
    response = api_client.post(URL, json={"exercise": "rnn", "source": SOURCE}, headers=student)
    assert response.status_code == 202, response.text
    body = response.json()
    assert set(body) == SUBMISSION_KEYS
    assert body["status"] == "queued" and body["score"] is None and body["graded_at"] is None
    assert body["exercise"] == "rnn" and body["student_id"] == "s1" and body["max_score"] == 100
    assert body["parts"] == [] and body["late"] is False
    assert response.headers["location"] == f"{URL}/{body['id']}"
    assert "source" not in body and "seed" not in body and "output" not in body
    got = api_client.get(f"{URL}/{body['id']}", headers=student)
    assert got.status_code == 200 and got.json() == body


def test_submission_is_committed_with_a_seed_before_grading(api_client: TestClient, student: dict[str, str]) -> None:
    from sqlmodel import Session

    from server.models import Submission
    from server.security import submission_seed

    sid = api_client.post(URL, json={"exercise": "rnn", "source": SOURCE}, headers=student).json()["id"]
    ctx = api_client.app.state.ctx  # type: ignore[attr-defined]
    with Session(ctx.engine) as session:
        row = session.get(Submission, sid)
        assert row is not None
        assert row.source == SOURCE and row.status == "queued"
        assert row.seed == submission_seed(ctx.settings.secret.get_secret_value(), sid)
        assert 0 <= row.seed < 2**63


def test_submit_multipart_file(api_client: TestClient, student: dict[str, str]) -> None:
    response = api_client.post(
        URL, data={"exercise": "rnn"}, files={"file": ("rnn.py", SOURCE.encode(), "text/x-python")}, headers=student
    )
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "queued"


def test_submit_needs_a_valid_student_token(api_client: TestClient, teacher_headers: dict[str, str]) -> None:
    payload = {"exercise": "rnn", "source": SOURCE}
    assert_error(api_client.post(URL, json=payload), 401, "Unauthorized")
    assert_error(api_client.post(URL, json=payload, headers={"Authorization": "Bearer wrong"}), 401, "Unauthorized")
    assert_error(api_client.post(URL, json=payload, headers=teacher_headers), 403, "StudentOnly")


def test_submit_unknown_exercise_is_404(api_client: TestClient, student: dict[str, str]) -> None:
    response = api_client.post(URL, json={"exercise": "lstm", "source": SOURCE}, headers=student)
    assert_error(response, 404, "ExerciseNotFound")


def test_submit_bad_payloads(api_client: TestClient, student: dict[str, str]) -> None:
    for payload in ({}, {"exercise": "rnn"}, {"source": SOURCE}, {"exercise": "rnn", "source": 3},
                    {"exercise": ["rnn"], "source": SOURCE}, {"exercise": "rnn", "source": "a\u0000b"}):
        body = assert_error(api_client.post(URL, json=payload, headers=student), 422, "ValidationError")
        assert body["errors"]
        assert SOURCE not in str(body)  # the input is never echoed back
    json_headers = {**student, "Content-Type": "application/json"}
    assert_error(api_client.post(URL, content=b"{", headers=json_headers), 422, "ValidationError")
    # JSON that is not UTF-8
    bad = '{"exercise": "rnn", "source": "é"}'.encode("latin-1")
    assert_error(api_client.post(URL, content=bad, headers=json_headers), 422, "ValidationError")
    # a file that is not UTF-8
    response = api_client.post(
        URL, data={"exercise": "rnn"}, files={"file": ("rnn.py", b"x = '\xff\xfe'\n", "text/x-python")}, headers=student
    )
    assert_error(response, 422, "InvalidInput")
    # multipart without the file, or without the exercise
    assert_error(api_client.post(URL, data={"exercise": "rnn"}, files={"other": ("a", b"b")}, headers=student),
           422, "ValidationError")
    assert_error(api_client.post(URL, files={"file": ("rnn.py", b"x = 1\n")}, headers=student), 422, "ValidationError")
    assert_error(api_client.post(URL, content=b"x=1", headers={**student, "Content-Type": "text/plain"}),
           415, "UnsupportedMediaType")


def test_wait_must_be_between_0_and_60(api_client: TestClient, student: dict[str, str]) -> None:
    payload = {"exercise": "rnn", "source": SOURCE}
    for wait in ("61", "-1", "soon"):
        assert_error(api_client.post(f"{URL}?wait={wait}", json=payload, headers=student), 422, "ValidationError")
    # within range, nothing grades (no workers): 202 after the wait
    response = api_client.post(f"{URL}?wait=0.3", json=payload, headers=student)
    assert response.status_code == 202 and response.json()["status"] == "queued"


def test_source_over_64_kib_is_413(api_client: TestClient, student: dict[str, str]) -> None:
    big = "#" * (64 * 1024 + 1)
    assert_error(api_client.post(URL, json={"exercise": "rnn", "source": big}, headers=student), 413, "PayloadTooLarge")
    response = api_client.post(
        URL, data={"exercise": "rnn"}, files={"file": ("rnn.py", big.encode(), "text/x-python")}, headers=student
    )
    assert_error(response, 413, "PayloadTooLarge")
    huge = b'{"exercise": "rnn", "source": "' + b"#" * (1024 * 1024) + b'"}'
    assert_error(api_client.post(URL, content=huge, headers={**student, "Content-Type": "application/json"}),
           413, "PayloadTooLarge")
    exactly = "x = 1\n" + "#" * (64 * 1024 - 6)  # code, padded to the limit (a file of only comments is refused)
    assert api_client.post(URL, json={"exercise": "rnn", "source": exactly}, headers=student).status_code == 202


def test_idempotency_key_returns_the_same_submission(api_client: TestClient, student: dict[str, str],
                                                      other_student: dict[str, str]) -> None:
    payload = {"exercise": "rnn", "source": SOURCE}
    first = api_client.post(URL, json=payload, headers={**student, "Idempotency-Key": "abc-1"})
    again = api_client.post(URL, json=payload, headers={**student, "Idempotency-Key": "abc-1"})
    assert first.status_code == again.status_code == 202
    assert first.json()["id"] == again.json()["id"]
    other_key = api_client.post(URL, json=payload, headers={**student, "Idempotency-Key": "abc-2"})
    assert other_key.json()["id"] != first.json()["id"]
    # the same key from another student is another submission
    theirs = api_client.post(URL, json=payload, headers={**other_student, "Idempotency-Key": "abc-1"})
    assert theirs.status_code == 202 and theirs.json()["id"] not in (first.json()["id"], other_key.json()["id"])
    assert len(api_client.get(URL, headers=student).json()) == 2
    assert_error(api_client.post(URL, json=payload, headers={**student, "Idempotency-Key": "x" * 200}),
           422, "ValidationError")


def test_rate_limit_per_student_is_429_with_retry_after(
    make_client: Callable[..., TestClient], create_student: Callable[..., dict[str, str]]
) -> None:
    client = make_client(rate_limit_per_minute=3)
    alice = {"Authorization": create_student(client, "alice")["authorization"]}
    bob = {"Authorization": create_student(client, "bob")["authorization"]}
    payload = {"exercise": "rnn", "source": SOURCE}
    for _ in range(3):
        assert client.post(URL, json=payload, headers=alice).status_code == 202
    limited = client.post(URL, json=payload, headers=alice)
    assert_error(limited, 429, "RateLimited")
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    # a retry with a known Idempotency-Key is not a new submission: never limited
    keyed = client.post(URL, json=payload, headers={**bob, "Idempotency-Key": "k"})
    assert keyed.status_code == 202
    for _ in range(2):
        assert client.post(URL, json=payload, headers=bob).status_code == 202
    assert client.post(URL, json=payload, headers={**bob, "Idempotency-Key": "k"}).status_code == 202
    assert_error(client.post(URL, json=payload, headers=bob), 429, "RateLimited")


def test_late_submissions_are_accepted_and_flagged(
    make_client: Callable[..., TestClient], create_student: Callable[..., dict[str, str]]
) -> None:
    past = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    client = make_client(deadlines={"rnn": past.isoformat()})
    headers = {"Authorization": create_student(client)["authorization"]}
    response = client.post(URL, json={"exercise": "rnn", "source": SOURCE}, headers=headers)
    assert response.status_code == 202
    assert response.json()["late"] is True
    assert "deadline" in response.json()["feedback"]
    exercise = client.get("/api/v1/exercises/rnn", headers=headers).json()
    assert dt.datetime.fromisoformat(exercise["deadline"]) == past


def test_on_time_submission_before_a_future_deadline(
    make_client: Callable[..., TestClient], create_student: Callable[..., dict[str, str]]
) -> None:
    client = make_client(deadlines={"rnn": "2999-12-20T23:59:00+08:00"})
    headers = {"Authorization": create_student(client)["authorization"]}
    assert client.post(URL, json={"exercise": "rnn", "source": SOURCE}, headers=headers).json()["late"] is False


def test_get_submission_ownership(api_client: TestClient, student: dict[str, str], other_student: dict[str, str],
                                  teacher_headers: dict[str, str]) -> None:
    sid = api_client.post(URL, json={"exercise": "rnn", "source": SOURCE}, headers=student).json()["id"]
    assert_error(api_client.get(f"{URL}/{sid}"), 401, "Unauthorized")
    assert_error(api_client.get(f"{URL}/{sid}", headers={"Authorization": "Bearer x"}), 401, "Unauthorized")
    assert_error(api_client.get(f"{URL}/{sid}", headers=other_student), 404, "SubmissionNotFound")
    assert_error(api_client.get(f"{URL}/999999", headers=student), 404, "SubmissionNotFound")
    assert_error(api_client.get(f"{URL}/abc", headers=student), 422, "ValidationError")
    assert_error(api_client.get(f"{URL}/0", headers=student), 422, "ValidationError")
    assert_error(api_client.get(f"{URL}/{sid}?lang=fr", headers=student), 422, "ValidationError")
    mine = api_client.get(f"{URL}/{sid}", headers=student).json()
    assert "output" not in mine and "last_error" not in mine and "sandbox_layers" not in mine
    teacher = api_client.get(f"{URL}/{sid}", headers=teacher_headers)
    assert teacher.status_code == 200
    assert teacher.json()["output"] == "" and "sandbox_layers" in teacher.json()


def test_list_submissions_own_and_teacher_filters(
    api_client: TestClient, student: dict[str, str], other_student: dict[str, str], teacher_headers: dict[str, str]
) -> None:
    payload = {"exercise": "rnn", "source": SOURCE}
    mine = [api_client.post(URL, json=payload, headers=student).json()["id"] for _ in range(3)]
    theirs = api_client.post(URL, json=payload, headers=other_student).json()["id"]

    own = api_client.get(URL, headers=student)
    assert own.status_code == 200
    assert [s["id"] for s in own.json()] == sorted(mine, reverse=True)
    assert own.headers["x-total-count"] == "3"
    assert_error(api_client.get(f"{URL}?student_id=s2", headers=student), 403, "Forbidden")
    assert len(api_client.get(f"{URL}?student_id=s1", headers=student).json()) == 3

    everything = api_client.get(URL, headers=teacher_headers).json()
    assert [s["id"] for s in everything] == sorted([*mine, theirs], reverse=True)
    assert all("output" in s for s in everything)
    assert [s["id"] for s in api_client.get(f"{URL}?student_id=s2", headers=teacher_headers).json()] == [theirs]
    assert len(api_client.get(f"{URL}?exercise=rnn&status=queued", headers=teacher_headers).json()) == 4
    assert api_client.get(f"{URL}?status=graded", headers=teacher_headers).json() == []
    assert api_client.get(f"{URL}?exercise=other", headers=teacher_headers).json() == []
    page = api_client.get(f"{URL}?limit=2&offset=1", headers=teacher_headers)
    assert [s["id"] for s in page.json()] == sorted([*mine, theirs], reverse=True)[1:3]
    assert page.headers["x-total-count"] == "4"
    for bad in ("limit=0", "limit=201", "offset=-1", "status=done", "student_id=a%20b"):
        assert_error(api_client.get(f"{URL}?{bad}", headers=teacher_headers), 422, "ValidationError")
    assert_error(api_client.get(URL), 401, "Unauthorized")


def test_unknown_route_and_method_are_json(api_client: TestClient, student: dict[str, str]) -> None:
    assert_error(api_client.get("/api/v1/nothing", headers=student), 404, "NotFound")
    assert_error(api_client.delete(f"{URL}/1", headers=student), 405, "MethodNotAllowed")
