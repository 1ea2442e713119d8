"""`?wait=` that holds nothing: an async wait on the result announcement, then one short read of the row.

A waiting request holds no request thread and no database connection: it is a coroutine parked on an
event until its submission is announced final, or until its wait runs out. Announcements arrive from
- this process's grading threads and the embedded default's worker pipes (`server.grading.protocol.Notifier`,
  from any thread: handed to the event loop with `call_soon_threadsafe`);
- on PostgreSQL, `LISTEN rnn_grader_results` (server.grading.announcements): results written on any host.
A safety net covers what no announcement reaches (a worker of another process on SQLite, a listener that was
reconnecting): every SWEEP_S, one query for all waited ids of this process finds the final ones.

A waiter takes a `mark()` before it reads the row; an id announced after the mark counts as final when it
registers, so a result written between the read and the registration is not slept through. Each principal
(a student, a staff member) may have `per_principal` waits open in one API process; over that a request
answers with the current status at once (docs/server.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter, OrderedDict
from collections.abc import Iterator

import anyio
import anyio.to_thread
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from server.config import is_postgres
from server.grading.announcements import listen
from server.grading.claims import FINAL
from server.grading.protocol import Announcement
from server.tables import submissions_t

log = logging.getLogger("rnn_grader.waiting")

SWEEP_S = 1.0
# Announced ids remembered for waiters that registered just after the announcement (a few minutes' worth).
RECENT_IDS = 20_000
SWEEP_BATCH = 500


class ResultWaits:
    def __init__(self, engine: Engine, database_url: str, per_principal: int) -> None:
        self.engine = engine
        self.database_url = database_url
        self.per_principal = per_principal
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiters: dict[int, set[asyncio.Event]] = {}
        self._open: Counter[str] = Counter()
        self._sequence = 0
        self._recent: OrderedDict[int, int] = OrderedDict()  # id -> the sequence number that announced it
        self._sweep_now = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    # ------------------------------------------------------------------ life
    async def start(self) -> None:
        """In the app's event loop (lifespan): the safety-net sweep and, on PostgreSQL, the listener."""
        self._loop = asyncio.get_running_loop()
        self._sweep_now = asyncio.Event()
        self._tasks = [asyncio.create_task(self._sweep_forever(), name="rnn-grader-result-sweep")]
        if is_postgres(self.database_url):
            self._tasks.append(asyncio.create_task(listen(self.database_url, self.announce),
                                                   name="rnn-grader-result-listener"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        self._loop = None

    # ------------------------------------------------------------------ announcements (any thread)
    def announce(self, submission_ids: Announcement) -> None:
        loop = self._loop
        if loop is None:
            return  # not serving (yet): nobody waits
        try:
            if loop is _running_loop():
                self._arrived(submission_ids)
            else:
                loop.call_soon_threadsafe(self._arrived, submission_ids)
        except RuntimeError:  # the loop closed while the app stopped
            pass

    def _arrived(self, submission_ids: Announcement) -> None:
        self._sequence += 1
        if submission_ids is None:
            self._sweep_now.set()
            return
        for submission_id in submission_ids:
            self._recent[submission_id] = self._sequence
            self._recent.move_to_end(submission_id)
            for event in self._waiters.get(submission_id, ()):
                event.set()
        while len(self._recent) > RECENT_IDS:
            self._recent.popitem(last=False)

    # ------------------------------------------------------------------ waiting (in the event loop)
    def mark(self) -> int:
        """Take before reading the row; pass to `until_final`."""
        return self._sequence

    @contextlib.contextmanager
    def room(self, principal: str) -> Iterator[bool]:
        """One of the principal's `per_principal` waits, held for the block; False if none is free."""
        if self._open[principal] >= self.per_principal:
            yield False
            return
        self._open[principal] += 1
        try:
            yield True
        finally:
            self._open[principal] -= 1
            if self._open[principal] <= 0:
                del self._open[principal]

    async def until_final(self, submission_id: int, timeout_s: float, since: int) -> bool:
        """Until the submission is announced final after `since` (True), or `timeout_s` passed (False)."""
        if self._recent.get(submission_id, -1) > since:
            return True
        event = asyncio.Event()
        self._waiters.setdefault(submission_id, set()).add(event)
        try:
            with anyio.move_on_after(timeout_s):
                await event.wait()
            return event.is_set()
        finally:
            waiting = self._waiters.get(submission_id)
            if waiting is not None:
                waiting.discard(event)
                if not waiting:
                    del self._waiters[submission_id]

    @property
    def waiting(self) -> int:
        return sum(len(events) for events in self._waiters.values())

    # ------------------------------------------------------------------ the safety net
    async def _sweep_forever(self) -> None:
        while True:
            with anyio.move_on_after(SWEEP_S):
                await self._sweep_now.wait()
            self._sweep_now.clear()
            if not self._waiters:
                continue
            started = time.monotonic()
            try:
                final = await anyio.to_thread.run_sync(_final_ids, self.engine, list(self._waiters))
            except sa.exc.SQLAlchemyError as exc:
                log.warning("result sweep: %s", type(exc).__name__)
                continue
            if final:
                self._arrived(final)
            log.debug("result sweep: %d final in %.1f ms", len(final), (time.monotonic() - started) * 1000)


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _final_ids(engine: Engine, submission_ids: list[int]) -> list[int]:
    """Which of these submissions are final now: one short query per SWEEP_BATCH ids."""
    found: list[int] = []
    with engine.connect() as conn:
        for start in range(0, len(submission_ids), SWEEP_BATCH):
            batch = submission_ids[start:start + SWEEP_BATCH]
            found += [int(i) for i in conn.execute(
                sa.select(submissions_t.c.id).where(submissions_t.c.id.in_(batch), submissions_t.c.status.in_(FINAL))
            ).scalars()]
    return found
