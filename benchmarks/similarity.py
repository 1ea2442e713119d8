"""Similarity report at class scale: 300 students' counted submissions compared in the background.

Seeds a temporary SQLite database with N students, each with one graded submission built from the labelled
corpus (tests/fixtures/similarity: 10 independent solutions and 11 disguised copies), varied the way a class
varies (renamed identifiers, moved functions, comments), so about one pair in 10 shares a source.
Then, through the server's own SimilarityService (a fresh background process, the database, the file cache):

- cold: the first report (process start, every fingerprint, every pair)   target <= 30 s for 300
- one new counted submission: the next report (one new fingerprint, every pair again)
- cached: asking again with nothing new

It also prints the labelled corpus's similarity distribution (docs/similarity.md quotes it), and that of
forward-only submissions (work in progress: the short, tightly specified part alone).

    .venv/bin/python benchmarks/similarity.py [--students 300]
"""

from __future__ import annotations

import argparse
import itertools
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "similarity"))

import sqlalchemy as sa  # noqa: E402
from similarity_corpus import (  # noqa: E402
    SELF_CHECK_MARK,
    as_submission,
    entries,
    labelled_pairs,
    summary,
    template,
)

from grader.exercise import load_exercises  # noqa: E402
from server.catalog import build_catalog  # noqa: E402
from server.config import Settings  # noqa: E402
from server.db import create_db_engine, run_migrations, utcnow  # noqa: E402
from server.models import Student, Submission  # noqa: E402
from server.scoreboard.cache import rebuild_pairs  # noqa: E402
from server.similarity.compute import compute_shares  # noqa: E402
from server.similarity.report import DEFAULT_THRESHOLD  # noqa: E402
from server.similarity.service import SimilarityService  # noqa: E402
from server.similarity.winnow import pair_similarity  # noqa: E402

NAME = re.compile(r"\b(h_prev|dh_next|total|coef|state|carry|cur|rec|prev|hidden|outputs|deltas|result|out)\b")


def vary(code: str, rng: random.Random) -> str:
    """What differs between students' files that changes nothing a copy check should care about."""
    suffix = rng.choice(["", "_", "2", "_t", "x"])
    code = NAME.sub(lambda m: m.group(1) + suffix, code)
    blocks = re.split(r"\n(?=def |class )", code)
    head, defs = blocks[0], blocks[1:]
    if rng.random() < 0.5:
        rng.shuffle(defs)
    lines = "\n".join([head, *defs]).splitlines()
    for _ in range(rng.randrange(4)):
        at = rng.randrange(len(lines))
        indent = re.match(r"\s*", lines[at]).group() if lines[at].strip() else ""  # type: ignore[union-attr]
        lines.insert(at, indent + rng.choice([f"# step {rng.randrange(99)}", f"# TODO check {rng.randrange(9)}"]))
    return "\n".join(lines) + "\n"


def seed(url: str, n: int, rng: random.Random) -> None:
    corpus = entries()
    engine = create_db_engine(url)
    run_migrations(engine)
    now = utcnow()
    with engine.begin() as conn:
        conn.execute(sa.insert(Student.__table__), [  # type: ignore[attr-defined]
            {"student_id": f"s{i:04d}", "name": f"Student {i}", "token_hash": f"{i:064x}", "created_at": now}
            for i in range(n)])
        conn.execute(sa.insert(Submission.__table__), [  # type: ignore[attr-defined]
            {"student_id": f"s{i:04d}", "exercise": "rnn", "source": as_submission(vary(rng.choice(corpus).code, rng)),
             "status": "graded", "score": 100.0, "max_score": 100.0, "created_at": now, "summary": {}}
            for i in range(n)])
        rebuild_pairs(conn)
    engine.dispose()


def add_one(url: str, n: int) -> None:
    engine = create_db_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.insert(Student.__table__), [  # type: ignore[attr-defined]
            {"student_id": f"s{n:04d}", "name": "Late", "token_hash": f"{n:064x}", "created_at": utcnow()}])
        conn.execute(sa.insert(Submission.__table__), [  # type: ignore[attr-defined]
            {"student_id": f"s{n:04d}", "exercise": "rnn", "source": as_submission(entries()[0].code),
             "status": "graded", "score": 100.0, "max_score": 100.0, "created_at": utcnow(), "summary": {}}])
        rebuild_pairs(conn)
    engine.dispose()


def timed(service: SimilarityService) -> tuple[float, int, int]:
    started = time.perf_counter()
    status = service.status("rnn", wait=True, timeout_s=600)
    assert status.report is not None
    return time.perf_counter() - started, len(status.report.members), len(status.report.pairs(DEFAULT_THRESHOLD))


def _row(kind: str, values: list[float]) -> str:
    n, low, median, high = summary(values)
    return f"  {kind:<12} {n:4d}  {low:.2f}  {median:.2f}  {high:.2f}"


def corpus_figures() -> None:
    corpus = entries()
    similarity = pair_similarity(compute_shares(template(), [as_submission(e.code) for e in corpus]))
    scores = {(a.name, b.name): float(similarity[i, j])
              for (i, a), (j, b) in itertools.combinations(enumerate(corpus), 2)}
    print("labelled corpus (pair similarity): kind, pairs, min, median, max")
    for kind, values in zip(("independent", "copied"), labelled_pairs(scores), strict=True):
        print(_row(kind, values))
    text = template()
    stubs = text[text.index("def rnn_backward") : text.index(SELF_CHECK_MARK)]
    originals = [e for e in corpus if not e.copy]
    partial = [as_submission(e.code[: e.code.index("def rnn_backward")] + "\n\n" + stubs) for e in originals]
    forward_only = pair_similarity(compute_shares(text, partial))
    values = [float(forward_only[i, j]) for i, j in itertools.combinations(range(len(partial)), 2)]
    print(_row("partial", values) + "   (independent, forward pass only)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=300)
    args = parser.parse_args()
    corpus_figures()
    rng = random.Random(13)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        seed(url, args.students, rng)
        settings = Settings(data_dir=Path(tmp), database_url=url, admin_token="bench-token-0123456789abcdef",
                            secret="bench-secret-0123456789abcdef")
        engine = create_db_engine(url)
        service = SimilarityService(engine, build_catalog(load_exercises(), settings), settings, refresh_s=0)
        try:
            cold, n, flagged = timed(service)
            print(f"cold report: {n} submissions, {n * (n - 1) // 2} pairs, {flagged} flagged at "
                  f">= {DEFAULT_THRESHOLD}: {cold:.2f} s (target <= 30 s)")
            cached = [timed(service)[0] for _ in range(5)]
            print(f"cached (nothing new): median {statistics.median(cached) * 1000:.0f} ms")
            add_one(url, args.students)
            again, n, _ = timed(service)
            print(f"after one new counted submission: {n} submissions: {again:.2f} s")
        finally:
            service.close()
            engine.dispose()


if __name__ == "__main__":
    main()
