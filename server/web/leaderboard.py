"""The optional public leaderboard: best score per exercise under a stable pseudonym, no login.

A pseudonym is HMAC-SHA256(server secret, "leaderboard:<student id>"), 24 bits in hex ("Student-4F2A9C"):
stable across restarts, unguessable without the secret, and unlikely to collide in a class (about 3% for
a pair among 1,000 students; two equal pseudonyms are still two rows).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from sqlmodel import Session

from server.scoreboard.query import counted_by_pair

PSEUDONYM_HEX = 6


def pseudonym(secret: str, student_id: str) -> str:
    digest = hmac.new(secret.encode("utf-8"), f"leaderboard:{student_id}".encode(), hashlib.sha256).hexdigest()
    return f"Student-{digest[:PSEUDONYM_HEX].upper()}"


@dataclass(frozen=True)
class Entry:
    rank: int
    pseudonym: str
    scores: dict[str, float | None]
    total: float


def leaderboard(session: Session, exercise_ids: list[str], secret: str) -> list[Entry]:
    """Students with at least one graded submission, by total of their best scores (ties share a rank)."""
    best: dict[str, dict[str, float]] = {}
    for (student_id, exercise), pair in counted_by_pair(session.connection(), "best").items():
        if pair.counted is not None and exercise in exercise_ids:
            best.setdefault(student_id, {})[exercise] = pair.counted.score
    rows = sorted(
        ((pseudonym(secret, sid), {e: scores.get(e) for e in exercise_ids}, round(sum(scores.values()), 4))
         for sid, scores in best.items()),
        key=lambda r: (-r[2], r[0]),
    )
    entries: list[Entry] = []
    for k, (name, scores, total) in enumerate(rows):
        rank = entries[-1].rank if entries and entries[-1].total == total else k + 1
        entries.append(Entry(rank=rank, pseudonym=name, scores=scores, total=total))
    return entries
