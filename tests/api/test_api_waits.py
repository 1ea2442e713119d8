"""`?wait=` holds nothing while it waits (no request thread, no pooled connection), wakes on the result's
announcement (this process's grading threads; PostgreSQL LISTEN/NOTIFY for results written elsewhere; the
sweep as the safety net), and each principal has only a few waits open at once."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import anyio.to_thread
import pytest
from helpers import SharedGrader, wait_for
from starlette.testclient import TestClient

from server.db import POOL_OVERFLOW, POOL_SIZE, POOL_TIMEOUT_S, REQUEST_THREADS
from server.deps import AppContext
from server.grading.claims import GRADED, claim_next, write_result
from server.submissions import waiting
from server.submissions.waiting import ResultWaits

URL = "/api/v1/submissions"
MAX_CLIENT_THREADS = 128
SOURCE = "import numpy as np\n\ndef rnn_forward(*args):\n    return None\n"


class GatedGrader(SharedGrader):
    """The real grader, but each grading starts only once the test opens the gate."""

    def __init__(self, grader: Any, gate: threading.Event) -> None:
        super().__init__(grader)
        self.gate = gate

    def grade(self, exercise_id: str, source: str, seed: int) -> Any:
        assert self.gate.wait(300), "the test never opened the gate"
        return super().grade(exercise_id, source, seed)


def _ctx(client: TestClient) -> AppContext:
    ctx: AppContext = client.app.state.ctx  # type: ignore[attr-defined]
    return ctx


def _submit(client: TestClient, headers: dict[str, str]) -> int:
    response = client.post(URL, json={"exercise": "rnn", "source": SOURCE}, headers=headers)
    assert response.status_code == 202, response.text
    return int(response.json()["id"])


def _grade_elsewhere(ctx: AppContext, grader: Any, submission_id: int) -> None:
    """Claim, grade and write one submission as a grading loop of another process does (no Notifier here)."""
    claim, _failed = claim_next(ctx.engine, "elsewhere", 30, 3, submission_id)
    assert claim is not None
    result = grader.grade(claim.exercise, claim.source, claim.seed)
    assert write_result(ctx.engine, submission_id, GRADED, result)


def _borrowed_threads(client: TestClient) -> int:
    portal = client.portal
    assert portal is not None

    async def borrowed() -> int:
        return int(anyio.to_thread.current_default_thread_limiter().borrowed_tokens)

    return int(portal.call(borrowed))


@pytest.fixture
def pool() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(MAX_CLIENT_THREADS) as executor:
        yield executor


def test_waiting_requests_hold_no_thread_and_no_connection(
    make_client: Callable[..., TestClient], create_student: Callable[..., dict[str, str]], real_grader: Any,
    pool: ThreadPoolExecutor,
) -> None:
    """More waits than request threads and pooled connections together, all parked at once; meanwhile other
    requests are answered; the grading's announcement then answers each wait with its result."""
    gate = threading.Event()
    client = make_client(workers=1, grader_factory=lambda: GatedGrader(real_grader, gate), waits_per_principal=100)
    ctx = _ctx(client)
    headers = {"Authorization": create_student(client)["authorization"]}
    submission_id = _submit(client, headers)
    waiters = REQUEST_THREADS + POOL_SIZE + POOL_OVERFLOW + 5
    assert waiters <= MAX_CLIENT_THREADS
    answers: list[Future[Any]] = [pool.submit(client.get, f"{URL}/{submission_id}?wait=60", headers=headers)
                                  for _ in range(waiters)]
    try:
        wait_for(lambda: ctx.waits.waiting == waiters or any(f.done() for f in answers), 120, "parked waits")
        early = [(f.result().status_code, f.result().text[:300]) for f in answers if f.done()]
        assert ctx.waits.waiting == waiters and not early, early[:1]
        # Holding nothing: a handful of threads and connections at most (the grading thread's lease
        # heartbeat, the result sweep), never one per wait.
        assert _borrowed_threads(client) <= 3
        assert ctx.engine.pool.checkedout() <= 3  # type: ignore[attr-defined]
        listing = client.get(URL, headers=headers)
        assert listing.status_code == 200 and listing.json()[0]["status"] in ("queued", "running")
    finally:
        gate.set()
    bodies = [future.result(timeout=120) for future in answers]
    assert all(r.status_code == 200 and r.json()["status"] == "graded" for r in bodies), bodies[0].text
    assert ctx.waits.waiting == 0


def test_a_post_that_waits_gets_its_result(
    make_client: Callable[..., TestClient], create_student: Callable[..., dict[str, str]], real_grader: Any,
    correct_source: str,
) -> None:
    client = make_client(workers=1, grader_factory=lambda: SharedGrader(real_grader))
    headers = {"Authorization": create_student(client)["authorization"]}
    response = client.post(f"{URL}?wait=60", json={"exercise": "rnn", "source": correct_source}, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "graded" and response.json()["score"] == 100


def test_over_the_waits_per_principal_the_current_status_comes_at_once(
    make_client: Callable[..., TestClient], create_student: Callable[..., dict[str, str]], pool: ThreadPoolExecutor,
    real_grader: Any,
) -> None:
    client = make_client(waits_per_principal=2)  # nothing grades: waits end only by their timeout
    ctx = _ctx(client)
    me = {"Authorization": create_student(client, "s1")["authorization"]}
    other = {"Authorization": create_student(client, "s2", "Student Two")["authorization"]}
    mine = [_submit(client, me) for _ in range(3)]
    theirs = _submit(client, other)
    parked = [pool.submit(client.get, f"{URL}/{sid}?wait=60", headers=me) for sid in mine[:2]]
    wait_for(lambda: ctx.waits.waiting == 2, 60, "two parked waits")
    third = client.get(f"{URL}/{mine[2]}?wait=60", headers=me)  # no room left for s1: at once
    assert third.status_code == 200 and third.json()["status"] == "queued"
    assert ctx.waits.waiting == 2 and not any(f.done() for f in parked)
    theirs_waiting = pool.submit(client.get, f"{URL}/{theirs}?wait=60", headers=other)  # s2 has its own room
    wait_for(lambda: ctx.waits.waiting == 3, 60, "the other student's wait parked too")
    # The submission's result ends the waits (written as a grading loop writes it, announced as it announces).
    for sid in [*mine[:2], theirs]:
        _grade_elsewhere(ctx, real_grader, sid)
        ctx.notifier.announce("graded", "rnn", 0.1, submission_id=sid)
    for future in [*parked, theirs_waiting]:
        answer = future.result(timeout=60)
        assert answer.status_code == 200 and answer.json()["status"] == "graded"


def test_a_result_nobody_announces_in_this_process_still_ends_the_wait(
    api_client: TestClient, create_student: Callable[..., dict[str, str]], pool: ThreadPoolExecutor,
    database_url: str, monkeypatch: pytest.MonkeyPatch, real_grader: Any,
) -> None:
    """Written by another process (here: straight into the database, no Notifier): on PostgreSQL its NOTIFY
    reaches the waiting API process (the sweep is turned off to prove it); on SQLite the sweep finds it."""
    if database_url.startswith("postgresql"):
        monkeypatch.setattr(waiting, "SWEEP_S", 3600.0)
    ctx = _ctx(api_client)
    headers = {"Authorization": create_student(api_client)["authorization"]}
    sid = _submit(api_client, headers)
    answer = pool.submit(api_client.get, f"{URL}/{sid}?wait=60", headers=headers)
    wait_for(lambda: ctx.waits.waiting == 1, 60, "the parked wait")
    _grade_elsewhere(ctx, real_grader, sid)
    response = answer.result(timeout=90)
    assert response.status_code == 200 and response.json()["status"] == "graded"


def test_a_result_announced_between_the_read_and_the_wait_is_not_slept_through(database_url: str) -> None:
    from server.db import create_db_engine

    engine = create_db_engine(database_url)
    waits = ResultWaits(engine, "sqlite://", per_principal=4)  # no listener: only the announcement counts

    async def scenario() -> tuple[bool, bool]:
        await waits.start()
        try:
            mark = waits.mark()  # the waiter reads the row here (not final yet)...
            waits.announce([7])  # ...the result is announced...
            caught = await waits.until_final(7, 30.0, since=mark)  # ...and the wait ends at once
            later = waits.mark()
            waits.announce([8])
            other = await waits.until_final(9, 0.01, since=later)  # another id's announcement ends nothing
            return caught, other
        finally:
            await waits.stop()

    try:
        assert asyncio.run(scenario()) == (True, False)
    finally:
        engine.dispose()


def test_the_pool_has_room_for_every_request_thread_and_never_makes_one_wait_30_s(api_client: TestClient) -> None:
    pool = _ctx(api_client).engine.pool
    assert pool.size() + POOL_OVERFLOW >= REQUEST_THREADS + 5  # type: ignore[attr-defined]
    assert pool.timeout() == POOL_TIMEOUT_S < 30  # type: ignore[attr-defined]
