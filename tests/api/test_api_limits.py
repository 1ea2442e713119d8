"""Per-student limits under concurrency and before work: the per-minute rate limit holds for requests sent at
once (real threads against the app), an Idempotency-Key is bound to its body, the cap and rate limit refuse an
upload before its notebook is parsed (also on the student page), and regrade requests: one open per
submission, RNN_GRADER_REGRADE_REQUESTS_PER_DAY in any 24 hours."""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from helpers import SharedGrader, assert_error, notebook_bytes
from sqlmodel import Session, select
from starlette.testclient import TestClient

from server.models import Submission
from server.regrades.models import RegradeRequestRecord

URL = "/api/v1/submissions"
SOURCE = "import numpy as np\n\ndef rnn_forward(*args):\n    return None\n"
NOT_A_NOTEBOOK = b'{"cells": [ this is not JSON'  # parsing it is a 422: a refusal before parsing is not


def _rows(client: TestClient, model: Any) -> list[Any]:
    with Session(client.app.state.ctx.engine) as session:  # type: ignore[attr-defined]
        return list(session.exec(select(model)).all())


def _upload(client: TestClient, headers: dict[str, str], data: bytes, name: str = "work.ipynb") -> Any:
    return client.post(URL, data={"exercise": "rnn"}, files={"file": (name, data, "application/x-ipynb+json")},
                       headers=headers)


def test_twenty_concurrent_posts_over_a_limit_of_ten_store_exactly_ten(
    make_client: Callable[..., TestClient], create_student: Callable[..., dict[str, str]],
) -> None:
    client = make_client(rate_limit_per_minute=10)
    headers = {"Authorization": create_student(client)["authorization"]}
    start = threading.Barrier(20)

    def post(i: int) -> int:
        start.wait(timeout=60)  # all twenty leave together
        return client.post(URL, json={"exercise": "rnn", "source": f"{SOURCE}# {i}\n"}, headers=headers).status_code

    with ThreadPoolExecutor(20) as pool:
        statuses = Counter(pool.map(post, range(20)))
    assert statuses == {202: 10, 429: 10}
    assert len(_rows(client, Submission)) == 10


def test_a_submission_cap_holds_for_posts_sent_at_once(
    make_client: Callable[..., TestClient], create_student: Callable[..., dict[str, str]],
) -> None:
    client = make_client(max_submissions={"rnn": 3})
    headers = {"Authorization": create_student(client)["authorization"]}
    start = threading.Barrier(8)

    def post(i: int) -> int:
        start.wait(timeout=60)
        return client.post(URL, json={"exercise": "rnn", "source": f"{SOURCE}# {i}\n"}, headers=headers).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = Counter(pool.map(post, range(8)))
    assert statuses == {202: 3, 403: 5}


def test_an_idempotency_key_is_bound_to_its_body(
    api_client: TestClient, create_student: Callable[..., dict[str, str]],
) -> None:
    headers = {"Authorization": create_student(api_client)["authorization"], "Idempotency-Key": "try-1"}
    first = api_client.post(URL, json={"exercise": "rnn", "source": SOURCE}, headers=headers)
    assert first.status_code == 202
    again = api_client.post(URL, json={"source": SOURCE, "exercise": "rnn"}, headers=headers)  # same body, reordered
    assert again.status_code == 202 and again.json()["id"] == first.json()["id"]
    other = api_client.post(URL, json={"exercise": "rnn", "source": SOURCE + "# changed\n"}, headers=headers)
    body = assert_error(other, 422, "IdempotencyKeyReused")
    assert "Idempotency-Key" in body["detail"]
    assert len(_rows(api_client, Submission)) == 1


def test_a_notebook_retried_with_its_key_is_the_same_submission(
    api_client: TestClient, create_student: Callable[..., dict[str, str]], correct_source: str,
) -> None:
    headers = {"Authorization": create_student(api_client)["authorization"], "Idempotency-Key": "nb-1"}
    notebook = notebook_bytes(correct_source)
    first = _upload(api_client, headers, notebook)  # each upload has its own multipart boundary
    again = _upload(api_client, headers, notebook)
    assert first.status_code == again.status_code == 202 and first.json()["id"] == again.json()["id"]
    changed = notebook_bytes(correct_source + "\n\ndef helper():\n    return 1\n")  # another definition
    assert_error(_upload(api_client, headers, changed), 422, "IdempotencyKeyReused")


def test_the_rate_limit_refuses_a_notebook_before_it_is_parsed(
    make_client: Callable[..., TestClient], create_student: Callable[..., dict[str, str]],
) -> None:
    client = make_client(rate_limit_per_minute=1)
    me = {"Authorization": create_student(client, "s1")["authorization"]}
    fresh = {"Authorization": create_student(client, "s2", "Student Two")["authorization"]}
    assert_error(_upload(client, fresh, NOT_A_NOTEBOOK), 422, "InvalidInput")  # parsed: it is not a notebook
    assert client.post(URL, json={"exercise": "rnn", "source": SOURCE}, headers=me).status_code == 202
    limited = _upload(client, me, NOT_A_NOTEBOOK)
    assert_error(limited, 429, "RateLimited")  # refused first: never parsed
    assert int(limited.headers["retry-after"]) >= 1


def test_the_submission_cap_and_unknown_exercises_refuse_a_notebook_before_it_is_parsed(
    make_client: Callable[..., TestClient], create_student: Callable[..., dict[str, str]],
) -> None:
    client = make_client(max_submissions={"rnn": 1})
    me = {"Authorization": create_student(client)["authorization"]}
    assert client.post(URL, json={"exercise": "rnn", "source": SOURCE}, headers=me).status_code == 202
    assert_error(_upload(client, me, NOT_A_NOTEBOOK), 403, "SubmissionCapReached")
    unknown = client.post(URL, data={"exercise": "nope"}, headers=me,
                          files={"file": ("w.ipynb", NOT_A_NOTEBOOK, "application/x-ipynb+json")})
    assert_error(unknown, 404, "ExerciseNotFound")


def test_the_student_page_refuses_a_notebook_over_the_rate_limit_before_parsing_it(
    make_client: Callable[..., TestClient], create_student: Callable[..., dict[str, str]],
) -> None:
    from helpers import page_sign_in

    client = make_client(rate_limit_per_minute=1)
    student = create_student(client)
    assert page_sign_in(client, student["token"], "/student").status_code == 303
    page = client.get("/student/exercises/rnn")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf is not None

    def upload() -> Any:
        return client.post("/student/exercises/rnn/submit", data={"csrf": csrf.group(1), "source": ""},
                           files={"file": ("w.ipynb", NOT_A_NOTEBOOK, "application/x-ipynb+json")},
                           follow_redirects=False)

    assert upload().status_code == 422  # parsed: not a notebook
    assert client.post(URL, json={"exercise": "rnn", "source": SOURCE},
                       headers={"Authorization": student["authorization"]}).status_code == 202
    assert upload().status_code == 429  # over the limit: refused before the file is parsed


@pytest.fixture
def graded(make_client: Callable[..., TestClient], create_student: Callable[..., dict[str, str]],
           real_grader: Any, correct_source: str) -> tuple[TestClient, dict[str, str], list[int]]:
    client = make_client(workers=1, grader_factory=lambda: SharedGrader(real_grader), regrade_requests_per_day=3)
    headers = {"Authorization": create_student(client)["authorization"]}
    ids = []
    for _ in range(4):
        response = client.post(f"{URL}?wait=60", json={"exercise": "rnn", "source": correct_source}, headers=headers)
        assert response.status_code == 200, response.text
        ids.append(int(response.json()["id"]))
    return client, headers, ids


def test_one_open_regrade_request_per_submission(
    graded: tuple[TestClient, dict[str, str], list[int]], teacher_headers: dict[str, str],
) -> None:
    client, headers, ids = graded
    ask = f"{URL}/{ids[0]}/regrade-requests"
    first = client.post(ask, json={"message": "test 3 looks wrong"}, headers=headers)
    assert first.status_code == 201
    body = assert_error(client.post(ask, json={"message": "again"}, headers=headers), 409, "RegradeRequestOpen")
    assert body["request_id"] == first.json()["id"] and "still open" in body["detail"]
    resolved = client.post(f"/api/v1/regrade-requests/{first.json()['id']}/resolve",
                           json={"action": "reject", "comment": "the result stands"}, headers=teacher_headers)
    assert resolved.status_code == 200
    assert client.post(ask, json={"message": "one more look"}, headers=headers).status_code == 201  # answered: may ask


def test_regrade_requests_per_day_are_capped_and_hold_when_sent_at_once(
    graded: tuple[TestClient, dict[str, str], list[int]],
) -> None:
    client, headers, ids = graded
    start = threading.Barrier(len(ids))

    def ask(submission_id: int) -> int:
        start.wait(timeout=60)
        return client.post(f"{URL}/{submission_id}/regrade-requests", json={"message": "please look"},
                           headers=headers).status_code

    with ThreadPoolExecutor(len(ids)) as pool:
        statuses = Counter(pool.map(ask, ids))
    assert statuses == {201: 3, 429: 1}
    asked = {r.submission_id for r in _rows(client, RegradeRequestRecord)}
    assert len(asked) == 3
    (refused,) = set(ids) - asked
    capped = client.post(f"{URL}/{refused}/regrade-requests", json={"message": "x"}, headers=headers)
    body = assert_error(capped, 429, "RegradeRequestsCapped")
    assert body["regrade_requests_per_day"] == 3 and 1 <= int(capped.headers["retry-after"]) <= 24 * 3600
