"""Under overload a request is refused at once (503 Overloaded + Retry-After) instead of queueing for a request
thread; what was already queued is answered once threads are free, and the liveness check always answers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import anyio.to_thread
import pytest
from helpers import assert_error, wait_for
from starlette.testclient import TestClient

from server.ingress.shedding import ALWAYS_ANSWERED, queued_for_threads

URL = "/api/v1/submissions"


class BusyThreads:
    """Every request thread of the app taken (as by slow requests), until `free()`."""

    def __init__(self, client: TestClient) -> None:
        assert client.portal is not None
        self.portal = client.portal
        self.borrowers = [object() for _ in range(self._call(lambda lim: int(lim.total_tokens)))]
        for borrower in self.borrowers:
            self._call(lambda lim, b=borrower: lim.acquire_on_behalf_of_nowait(b))

    def _call(self, action: Callable[[Any], Any]) -> Any:
        async def run() -> Any:
            return action(anyio.to_thread.current_default_thread_limiter())

        return self.portal.call(run)

    def queued(self) -> int:
        async def run() -> int:
            return queued_for_threads()

        return int(self.portal.call(run))

    def free(self) -> None:
        for borrower in self.borrowers:
            self._call(lambda lim, b=borrower: lim.release_on_behalf_of(b))
        self.borrowers = []


@pytest.fixture
def pool() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(8) as executor:
        yield executor


def test_a_request_that_would_only_queue_is_refused_at_once(
    make_client: Callable[..., TestClient], create_student: Callable[..., dict[str, str]], pool: ThreadPoolExecutor,
) -> None:
    client = make_client(max_queued_requests=3)
    headers = {"Authorization": create_student(client)["authorization"]}
    payload = {"exercise": "rnn", "source": "def rnn_forward():\n    pass\n"}
    busy = BusyThreads(client)
    try:
        queued: list[Future[Any]] = [pool.submit(client.post, URL, json=payload, headers=headers) for _ in range(4)]
        wait_for(lambda: busy.queued() == 4, 60, "four requests queued for a thread")
        refused = client.post(URL, json=payload, headers=headers)
        assert_error(refused, 503, "Overloaded")
        assert refused.headers["retry-after"] == "1"
        assert_error(client.get(URL, headers=headers), 503, "Overloaded")
        assert client.get("/healthz").status_code == 200  # liveness needs no thread
        assert not any(f.done() for f in queued)
    finally:
        busy.free()
    assert [f.result(timeout=60).status_code for f in queued] == [202] * 4  # queued before the limit: served
    assert len(client.get(URL, headers=headers).json()) == 4  # the refused one stored nothing


def test_the_schema_lists_503_with_retry_after_on_every_route(api_client: TestClient) -> None:
    paths = api_client.get("/openapi.json").json()["paths"]
    missing = [(method, path) for path, operations in paths.items() if path not in ALWAYS_ANSWERED
               for method, operation in operations.items()
               if "Retry-After" not in operation["responses"].get("503", {}).get("headers", {})]
    assert not missing
