"""Result announcements across hosts: on PostgreSQL every final result write also sends
`NOTIFY rnn_grader_results, '<submission id>'` in its own transaction (delivered at commit, never for a
rolled-back write), and each API process LISTENs, so a `?wait=` on one API replica hears of a result graded
by a worker on any host. In-process announcements (grading threads, the embedded default's worker pipes)
go through `server.grading.protocol.Notifier`; both reach the same `server.submissions.waiting.ResultWaits`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import psycopg
import sqlalchemy as sa
from sqlalchemy.engine.url import make_url

from server.grading.protocol import Announcement

log = logging.getLogger("rnn_grader.announcements")

CHANNEL = "rnn_grader_results"
RECONNECT_BACKOFF_S = (0.5, 1.0, 2.0, 5.0)


def announce_final(conn: sa.Connection, submission_id: int) -> None:
    """Inside the transaction that made this submission final: tell every listening API process at commit."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.select(sa.func.pg_notify(CHANNEL, str(submission_id))))


def _ids(payload: str) -> Announcement:
    try:
        return [int(payload)]
    except ValueError:  # not ours (someone else may NOTIFY on the channel): look at the database instead
        return None


async def listen(database_url: str, deliver: Callable[[Announcement], None]) -> None:
    """Until cancelled: LISTEN on CHANNEL with a connection of its own (not from the pool) and hand each
    announced id to `deliver`. After every (re)connect `deliver(None)`: whatever was written while nobody
    listened is then found in the database. A lost connection is retried with a backoff."""
    conninfo = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    failures = 0
    while True:
        try:
            async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True,
                                                             application_name="rnn-grader-results") as conn:
                await conn.execute(f"LISTEN {CHANNEL}")
                if failures:
                    log.info("listening for results again")
                failures = 0
                deliver(None)
                async for notify in conn.notifies():
                    deliver(_ids(notify.payload))
        except psycopg.Error as exc:
            delay = RECONNECT_BACKOFF_S[min(failures, len(RECONNECT_BACKOFF_S) - 1)]
            failures += 1
            log.warning("result announcements: %s; listening again in %.1f s", type(exc).__name__, delay)
            await asyncio.sleep(delay)
