"""`rnn-grader worker` (server.grading.command.run_worker): a standalone grading process next to a server that
only stores (RNN_GRADER_WORKERS=0), sharing the database. Real grader."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from server.grading.command import run_worker


def test_standalone_worker_grades_what_the_server_stored(
    make_client: Callable[..., TestClient], make_settings: Callable[..., Any],
    create_student: Callable[..., dict[str, str]], solutions_dir: Path,
) -> None:
    client = make_client()  # no grading threads in the server
    headers = {"Authorization": create_student(client)["authorization"]}
    source = (solutions_dir / "correct_rnn.py").read_text()
    stored = client.post("/api/v1/submissions", json={"exercise": "rnn", "source": source}, headers=headers)
    assert stored.status_code == 202
    sid = stored.json()["id"]
    assert client.get(f"/api/v1/submissions/{sid}?wait=0.5", headers=headers).json()["status"] == "queued"

    stop = threading.Event()
    worker = threading.Thread(target=run_worker, args=(1,), kwargs={"settings": make_settings(), "stop": stop})
    worker.start()
    try:
        body = client.get(f"/api/v1/submissions/{sid}?wait=30", headers=headers).json()
    finally:
        stop.set()
        worker.join(timeout=30)
    assert not worker.is_alive()
    assert body["status"] == "graded" and body["score"] == body["max_score"] == 100
