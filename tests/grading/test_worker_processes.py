"""The embedded default grades in worker processes the server starts itself: results reach `?wait=` and
/metrics, a worker that dies is replaced (its claim given back at once), and shutdown stops them all."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from server.app import create_app
from server.grading.processes import ProcessQueue

URL = "/api/v1/submissions"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0): it exited but was not reaped yet.
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().rsplit(")", 1)[1].split()[0] != "Z"


def _until(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.05)


@pytest.fixture
def server(make_settings: Callable[..., Any]) -> Iterator[TestClient]:
    """The app as `rnn-grader serve` builds it: exercises from the settings, the real grader, 2 workers."""
    app = create_app(make_settings(workers=2), migrate=True)
    with TestClient(app) as client:
        yield client


def _queue(client: TestClient) -> ProcessQueue:
    queue = client.app.state.ctx.queue  # type: ignore[attr-defined]
    assert isinstance(queue, ProcessQueue)
    return queue


def _submit_and_wait(client: TestClient, headers: dict[str, str], source: str) -> dict[str, Any]:
    response = client.post(f"{URL}?wait=60", json={"exercise": "rnn", "source": source}, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_gradings_run_in_worker_processes_and_reach_wait_and_metrics(
    server: TestClient, create_student: Callable[..., dict[str, str]], correct_source: str,
    teacher_headers: dict[str, str],
) -> None:
    queue = _queue(server)
    pids = queue.pids()
    assert len(pids) == 2 and os.getpid() not in pids and all(_alive(p) for p in pids)
    # Below the API's CPU priority (RNN_GRADER_GRADING_NICE), so a backlog never slows the API's answers.
    below = min(19, os.getpriority(os.PRIO_PROCESS, 0) + queue.settings.grading_nice)
    assert queue.settings.grading_nice > 0 and all(os.getpriority(os.PRIO_PROCESS, p) == below for p in pids)
    assert server.get("/readyz").status_code == 200
    headers = {"Authorization": create_student(server)["authorization"]}
    body = _submit_and_wait(server, headers, correct_source)
    assert body["status"] == "graded" and body["score"] == body["max_score"] > 0
    metrics = server.get("/metrics", headers=teacher_headers).text
    assert 'rnn_grader_gradings_total{result="graded"} 1.0' in metrics
    assert 'rnn_grader_grading_seconds_count{exercise="rnn"} 1.0' in metrics


def test_a_killed_worker_is_replaced_and_grading_goes_on(
    server: TestClient, create_student: Callable[..., dict[str, str]], correct_source: str
) -> None:
    queue = _queue(server)
    before = queue.pids()
    os.kill(before[0], signal.SIGKILL)
    _until(lambda: before[0] not in queue.pids() and queue.healthy())
    after = queue.pids()
    assert len(after) == 2 and before[1] in after
    headers = {"Authorization": create_student(server)["authorization"]}
    for _ in range(3):
        assert _submit_and_wait(server, headers, correct_source)["status"] == "graded"


def test_shutdown_stops_every_worker_process(
    make_settings: Callable[..., Any], create_student: Callable[..., dict[str, str]], correct_source: str
) -> None:
    app = create_app(make_settings(workers=2), migrate=True)
    with TestClient(app) as client:
        pids = _queue(client).pids()
        headers = {"Authorization": create_student(client)["authorization"]}
        assert _submit_and_wait(client, headers, correct_source)["status"] == "graded"
    assert pids and not any(_alive(p) for p in pids)
