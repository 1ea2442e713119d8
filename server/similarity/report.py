"""A similarity report of one exercise: who was compared (each student's counted submission), the share
matrix, and the pairs a teacher asks for. Saved as an .npz file (no pickle) so another process, or this
one after a restart, reuses it while its key still holds."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, Field

from server.similarity.winnow import K_TOKENS, WINDOW, pair_similarity

ENGINE_VERSION = "winnow-1"
DECIMALS = 4
DEFAULT_THRESHOLD = 0.5  # chosen on the labelled corpus: see docs/similarity.md
log = logging.getLogger("rnn_grader.similarity")


class SimilarityPair(BaseModel):
    """Two students whose counted submissions share code (student_a sorts before student_b)."""

    student_a: str
    student_b: str
    submission_a: int
    submission_b: int
    similarity: float = Field(description="max(share_a, share_b), 0..1")
    share_a: float = Field(description="share of student_a's own code (template excluded) also in student_b's")
    share_b: float = Field(description="share of student_b's own code (template excluded) also in student_a's")


@dataclass(frozen=True, order=True)
class Member:
    student_id: str
    submission_id: int


def report_key(members: Sequence[Member], template: str) -> str:
    """Changes when a counted submission, the template or the engine changes (and only then)."""
    payload = {
        "engine": [ENGINE_VERSION, K_TOKENS, WINDOW],
        "template": hashlib.sha256(template.encode("utf-8", "surrogatepass")).hexdigest(),
        "members": [[m.student_id, m.submission_id] for m in members],
    }
    return hashlib.sha256(json.dumps(payload, separators=(",", ":")).encode()).hexdigest()


@dataclass(frozen=True)
class Report:
    exercise: str
    key: str
    members: tuple[Member, ...]
    shares: NDArray[np.float64]  # shares[i, j]: share of member i's own code found in member j's
    computed_at: dt.datetime
    seconds: float

    def pairs(self, min_similarity: float) -> list[SimilarityPair]:
        """Pairs scoring at least `min_similarity`, most similar first."""
        # Filter on the rounded score the client sees, so `?min=<a score it was shown>` keeps that pair.
        scores = np.round(pair_similarity(self.shares), DECIMALS)
        shares = np.round(self.shares, DECIMALS)
        rows, cols = np.nonzero(np.triu(scores >= min_similarity, k=1))
        out: list[SimilarityPair] = []
        for i, j in zip(rows.tolist(), cols.tolist(), strict=True):
            a, b = (i, j) if self.members[i].student_id <= self.members[j].student_id else (j, i)
            out.append(SimilarityPair(
                student_a=self.members[a].student_id, student_b=self.members[b].student_id,
                submission_a=self.members[a].submission_id, submission_b=self.members[b].submission_id,
                similarity=float(scores[i, j]), share_a=float(shares[a, b]), share_b=float(shares[b, a]),
            ))
        out.sort(key=lambda p: (-p.similarity, p.student_a, p.student_b))
        return out


def _path(directory: Path, exercise: str) -> Path:
    return directory / f"{exercise}.npz"


def save(directory: Path, report: Report) -> None:
    """Atomically (write, then rename): a reader in another process sees the old file or the new one."""
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{report.exercise}.", suffix=".npz")
    try:
        with os.fdopen(fd, "wb") as out:
            np.savez(
                out,
                key=np.array(report.key),
                students=np.array([m.student_id for m in report.members], dtype=np.str_),
                submissions=np.array([m.submission_id for m in report.members], dtype=np.int64),
                shares=report.shares,
                computed_at=np.array(report.computed_at.timestamp()),
                seconds=np.array(report.seconds),
            )
        os.replace(tmp, _path(directory, report.exercise))
    except OSError as exc:
        log.warning("similarity report for %r not saved: %s", report.exercise, exc)
        Path(tmp).unlink(missing_ok=True)


def load(directory: Path, exercise: str) -> Report | None:
    """The saved report, or None (missing, unreadable or not ours: it is recomputed then)."""
    path = _path(directory, exercise)
    try:
        with np.load(path, allow_pickle=False) as data:
            students = [str(s) for s in data["students"]]
            submissions = [int(s) for s in data["submissions"]]
            shares = np.asarray(data["shares"], dtype=np.float64)
            if shares.shape != (len(students), len(students)) or len(submissions) != len(students):
                raise ValueError("inconsistent shapes")
            return Report(
                exercise=exercise, key=str(data["key"]),
                members=tuple(Member(s, i) for s, i in zip(students, submissions, strict=True)),
                shares=shares, computed_at=dt.datetime.fromtimestamp(float(data["computed_at"]), dt.UTC),
                seconds=float(data["seconds"]),
            )
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError) as exc:
        log.warning("ignoring the saved similarity report %s: %s", path, exc)
        return None
