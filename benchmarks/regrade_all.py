"""A regrade of every submission at class scale keeps every counted score on the scoreboard the whole time.

Seeds 1,000 students x 50,000 graded submissions exactly as benchmarks/scoreboard.py does (real results of
real solution variants), starts the app with its in-process queue and 2 grading threads, and asks
`POST /api/v1/regrade {"all": true}`. While the batch runs, a sampler reads `GET /api/v1/scoreboard`
again and again and counts the (student, exercise) scores that were there before and are missing now.

Everything but the grader is the production path (batch start, claims and leases, `write_result` with
its history row and scoreboard refresh, the report). The grader replays the real stored result of each
variant's source - a "fixed" grader version that takes 5 points from one variant and gives 5 to another -
because 50,000 real sandboxed gradings would take hours on 2 cores; the scoreboard's behaviour does not
depend on how long one grading takes.

    .venv/bin/python benchmarks/regrade_all.py [--db sqlite|postgres|both] [--students 1000]
        [--submissions 50000] [--workers 2] [--pg-url postgresql+psycopg://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import scoreboard as board_bench  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from grader.result import Result  # noqa: E402
from server.db import create_db_engine, run_migrations  # noqa: E402
from server.regrades.models import Grading  # noqa: E402
from server.scoreboard.cache import rebuild_pairs  # noqa: E402

# The "fixed" grader: these variants' scores change by this much on regrade (the rest stay the same).
SCORE_CHANGES = {"clip_always_rescales": -5.0, "float32": +5.0}
SAMPLE_PAUSE_S = 0.5  # between scoreboard reads, so the graders get the CPU too (not synchronisation)


class ReplayGrader:
    """Returns the real stored result of the variant whose source was submitted, as grader version 2."""

    def __init__(self, variants: dict[str, dict[str, Any]]) -> None:
        self.by_source: dict[str, Result] = {}
        for name, variant in variants.items():
            data = copy.deepcopy(variant["result"])
            change = SCORE_CHANGES.get(name, 0.0)
            if change and data["parts"]:
                part = data["parts"][-1]
                delta = max(-part["score"], min(part["max_score"] - part["score"], change))
                part["score"] += delta
                data["score"] += delta
            data["grader_version"] = "replay-2"
            self.by_source[variant["source"]] = Result.model_validate(data)

    def grade(self, exercise_id: str, source: str, seed: int) -> Result:
        return self.by_source[source]

    def has_diagnostics(self, exercise_id: str) -> bool:
        return False

    def diagnose(self, exercise_id: str, source: str) -> dict[str, object]:
        return {}

    def close(self) -> None:
        pass


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def regrade_everything(url: str, data_dir: Path, variants: dict[str, dict[str, Any]], workers: int) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient
    from grader.exercise import load_exercises
    from server.app import create_app
    from server.config import Settings

    settings = Settings(data_dir=data_dir, database_url=url, admin_token=board_bench.TEACHER,
                        secret=board_bench.SECRET, workers=workers, deadlines={"rnn": board_bench.DEADLINE},
                        lease_seconds=60, sweep_seconds=5)
    grader = ReplayGrader(variants)
    app = create_app(settings, exercises_by_id=load_exercises(), grader_factory=lambda: grader, migrate=False)
    teacher = {"Authorization": f"Bearer {board_bench.TEACHER}"}

    def board(client: Any) -> dict[tuple[str, str], float]:
        rows = client.get("/api/v1/scoreboard", headers=teacher).json()
        return {(r["student_id"], e): s for r in rows for e, s in r["scores"].items() if s is not None}

    with TestClient(app) as client:
        # the 30 newest submissions were still queued when seeded: let the graders take them first
        while client.get("/api/v1/submissions", params={"status": "queued", "limit": 1},
                         headers=teacher).headers["x-total-count"] != "0":
            time.sleep(0.2)
        before = board(client)
        started = time.perf_counter()
        answer = client.post("/api/v1/regrade", json={"all": True, "reason": "benchmark"}, headers=teacher).json()
        post_ms = (time.perf_counter() - started) * 1000
        batch, queued = answer["batch_id"], answer["queued"]
        print(f"POST /api/v1/regrade: {queued} submissions queued as batch {batch} in {post_ms:.0f} ms")
        samples = missing_total = worst = 0
        latencies: list[float] = []
        progress_marks: list[tuple[float, int]] = []
        finished = False
        while not finished:
            t0 = time.perf_counter()
            now = board(client)
            latencies.append((time.perf_counter() - t0) * 1000)
            missing = sum(1 for pair in before if pair not in now)
            samples += 1
            missing_total += missing
            worst = max(worst, missing)
            report = client.get(f"/api/v1/regrades/{batch}", headers=teacher).json()
            finished = report["finished"]
            progress_marks.append((time.perf_counter() - started, report["done"]))
            if samples % 25 == 0:
                print(f"  t={progress_marks[-1][0]:6.1f} s  regraded {report['done']:6d}/{queued}  "
                      f"missing now {missing}")
            if not finished:
                threading.Event().wait(SAMPLE_PAUSE_S)
        elapsed = time.perf_counter() - started
        after = board(client)
        report = client.get(f"/api/v1/regrades/{batch}", headers=teacher).json()
    engine = create_db_engine(url)
    try:
        g = Grading.__table__.c  # type: ignore[attr-defined]
        with engine.connect() as conn:
            written = conn.execute(sa.select(sa.func.count()).where(g.batch_id == batch)).scalar_one()
            dupes = conn.execute(sa.select(sa.func.count()).select_from(
                sa.select(g.submission_id).where(g.batch_id == batch).group_by(g.submission_id)
                .having(sa.func.count() > 1).subquery())).scalar_one()
    finally:
        engine.dispose()
    print(f"regrade of {queued} submissions took {elapsed:.1f} s ({queued / elapsed:.0f} gradings/s, "
          f"{workers} grading threads)")
    print(f"scoreboard sampled {samples} times during the regrade: counted scores before {len(before)}, "
          f"missing in any sample: worst {worst}, total {missing_total}")
    print(f"scoreboard read during the regrade: median {statistics.median(latencies):.0f} ms, "
          f"p95 {_pct(latencies, 0.95):.0f} ms, max {max(latencies):.0f} ms")
    print(f"report: {report['totals']} ({len(report['students'])} student/exercise rows); "
          f"counted scores after: {len(after)}")
    print(f"history: {written} gradings written for the batch (expected {queued}), submissions with more than "
          f"one: {dupes}")
    ok = worst == 0 and written == queued and dupes == 0 and len(after) == len(before)
    print("every counted score stayed on the scoreboard: " + ("yes" if ok else "NO"))
    return ok


def run(kind: str, args: argparse.Namespace, variants: dict[str, dict[str, Any]]) -> bool:
    print(f"\n== {kind}: {args.students} students, {args.submissions} submissions")
    with board_bench.database(kind, args.pg_url) as url:
        engine = create_db_engine(url)
        try:
            run_migrations(engine)
            started = time.perf_counter()
            board_bench.seed(engine, args.students, args.submissions, variants)
            with engine.begin() as conn:
                rebuild_pairs(conn)
            if kind == "postgres":
                with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    conn.execute(sa.text("VACUUM ANALYZE"))
            print(f"seeded in {time.perf_counter() - started:.1f} s")
        finally:
            engine.dispose()
        with tempfile.TemporaryDirectory(prefix="rnn-bench-data-") as data_dir:
            return regrade_everything(url, Path(data_dir), variants, args.workers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="sqlite")
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--submissions", type=int, default=50_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    started = time.perf_counter()
    variants = board_bench.graded_variants()
    print(f"graded {len(variants)} solution variants with the real grader in {time.perf_counter() - started:.1f} s")
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    ok = all([run(kind, args, variants) for kind in kinds])
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
