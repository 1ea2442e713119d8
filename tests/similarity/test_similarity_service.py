"""The service behind the API and the pages: a separate, lower-priority process computes; the file cache
serves another process; a watched exercise is recomputed in the background when its key changes."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from similarity_corpus import as_submission, entries
from starlette.testclient import TestClient

from server.catalog import build_catalog
from server.db import create_db_engine
from server.similarity.compute import NICE
from server.similarity.service import SimilarityService


def _code(name: str) -> str:
    return as_submission(next(e.code for e in entries() if e.name == name))


@pytest.fixture
def setup(make_client: Callable[..., TestClient], make_settings: Callable[..., Any],
          create_student: Callable[..., dict[str, str]], submit_graded: Callable[..., int],
          real_exercises: dict[str, Any]) -> Iterator[dict[str, Any]]:
    client = make_client()
    headers = {sid: {"Authorization": create_student(client, sid, sid)["authorization"]} for sid in ("a", "b", "c")}
    submit_graded(client, headers["a"], _code("s02_einsum"))
    submit_graded(client, headers["b"], _code("s05_vectorised"))
    settings = make_settings()
    engine = create_db_engine(settings.database_url)
    services: list[SimilarityService] = []

    def service(**kwargs: Any) -> SimilarityService:
        made = SimilarityService(engine, build_catalog(real_exercises, settings), settings, **kwargs)
        services.append(made)
        return made

    yield {"client": client, "headers": headers, "service": service}
    for made in services:
        made.close()
    engine.dispose()


def test_the_report_is_computed_in_another_process_at_lower_priority(setup: dict[str, Any]) -> None:
    service = setup["service"](refresh_s=0)
    status = service.status("rnn", wait=True)
    assert status.state == "ready" and status.report is not None and len(status.report.members) == 2
    pool = service._pool
    assert pool is not None
    pids = [p.pid for p in pool._processes.values()]  # the one worker process
    assert len(pids) == 1 and pids[0] != os.getpid()
    assert os.getpriority(os.PRIO_PROCESS, pids[0]) >= os.getpriority(os.PRIO_PROCESS, 0) + NICE


def test_another_process_reuses_the_saved_report(setup: dict[str, Any]) -> None:
    first = setup["service"](refresh_s=0)
    computed = first.status("rnn", wait=True).report
    second = setup["service"](refresh_s=0)  # as another API process on the same data directory
    status = second.status("rnn", wait=False)
    assert status.state == "ready" and status.report is not None
    assert status.report.key == computed.key and status.report.computed_at == computed.computed_at
    assert second._pool is None  # nothing computed


def test_a_watched_exercise_is_recomputed_in_the_background(setup: dict[str, Any],
                                                            submit_graded: Callable[..., int]) -> None:
    service = setup["service"](refresh_s=0.2)
    before = service.status("rnn", wait=True).report
    assert before is not None and len(before.members) == 2
    submit_graded(setup["client"], setup["headers"]["c"], _code("s05_vectorised__prints_comments"))
    key = service.inputs("rnn").key
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # no request: the refresher notices the new counted submission
        latest = service._latest.get("rnn")
        if latest is not None and latest.key == key:
            break
        time.sleep(0.1)
    else:
        pytest.fail("the report was not recomputed in the background")
    status = service.status("rnn", wait=False)
    assert status.state == "ready" and [(p.student_a, p.student_b) for p in status.report.pairs(0.5)] == [("b", "c")]
