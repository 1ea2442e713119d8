"""Scoreboard at class scale: 1,000 students, 50,000 submissions, on SQLite and on PostgreSQL.

Seeds a fresh database (a temporary SQLite file; a throwaway PostgreSQL database, dropped afterwards) by
bulk inserts through SQLAlchemy core. The stored results are real: a handful of solutions (correct, and
with the mistakes students make) are graded once by the real grader, and every seeded submission carries
one of those results, so the JSON in the table has the size and shape of production (17-34 KB each).
Students improve over their submissions, most submit in the days before the deadline, a few after it.
Teachers' policies are on (docs/policies.md): 5% of the students have an extension (one to three days), the
late policy takes 10% per started day after a 10-minute grace (capped at 50%), and each submission's late
flag and penalty are decided against its student's own deadline, so the scoreboard counts counted scores.

Then, through the app (in-process ASGI client, signed-in teacher session), it times:
the teacher's page (first page, a sorted + filtered page, the live-refresh fragment and state poll),
a student's drill-down, the API's JSON and CSV scoreboard (default and Canvas layouts), and a student's
exercise list (their own deadline). Target: <= 200 ms each on 2 cores.

    .venv/bin/python benchmarks/scoreboard.py [--db sqlite|postgres|both] [--students 1000]
        [--submissions 50000] [--runs 15] [--pg-url postgresql+psycopg://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from grader.policy import LatePolicy  # noqa: E402
from server.db import create_db_engine, run_migrations  # noqa: E402
from server.scoreboard.cache import rebuild_pairs, refresh_pairs, result_summary  # noqa: E402
from server.security import hash_token  # noqa: E402
from server.tables import extensions_t, students_t, submissions_t  # noqa: E402

TEACHER = "benchmark-teacher-token-0123456789"
SECRET = "benchmark-seed-secret-0123456789"
# Two days ago: the rush and the late submissions are all in the past, as when a teacher looks afterwards.
DEADLINE = (dt.datetime.now(dt.UTC) - dt.timedelta(days=2)).replace(minute=59, second=0, microsecond=0)
TARGET_MS = 200.0
CHUNK = 1000
LATE_POLICY = {"grace_minutes": 10, "penalty_per_day": 0.1, "max_penalty": 0.5}
EXTENDED_SHARE = 0.05
STUDENT_TOKEN = "benchmark-student-token-0123456789"  # s2025000's, for the student's requests

# (name, weight as a final state, patches on the correct solution); graded once by the real grader.
VARIANTS: list[tuple[str, list[tuple[str, str]]]] = [
    ("correct", []),
    ("forward_w_hh_not_transposed", [("h_prev @ W_hh.T", "h_prev @ W_hh")]),
    ("backward_missing_tanh_derivative", [("da = dh * (1.0 - h[t] ** 2)", "da = dh")]),
    ("backward_no_dh_next", [("dh = dy[t] @ W_hy + dh_next", "dh = dy[t] @ W_hy")]),
    ("clip_always_rescales", [("coef = min(max_norm / (total + 1e-6), 1.0)", "coef = max_norm / (total + 1e-6)")]),
    ("forward_and_backward", [("h_prev @ W_hh.T", "h_prev @ W_hh"), ("da = dh * (1.0 - h[t] ** 2)", "da = dh")]),
    ("float32", [("def rnn_forward(x, h0, W_xh, W_hh, b_h, W_hy, b_y):\n",
                  "def rnn_forward(x, h0, W_xh, W_hh, b_h, W_hy, b_y):\n    x = x.astype(np.float32)\n")]),
    ("syntax_error", [("def clip_grad_norm(grads, max_norm):", "def clip_grad_norm(grads, max_norm)")]),
]
# A student's path: from early mistakes towards their final state.
EARLY = ["syntax_error", "forward_and_backward", "float32", "forward_w_hh_not_transposed", "backward_no_dh_next"]
FINAL_WEIGHTS = {"correct": 62, "clip_always_rescales": 12, "backward_missing_tanh_derivative": 10,
                 "backward_no_dh_next": 8, "forward_w_hh_not_transposed": 5, "float32": 3}
FIRST_NAMES = ["Wei", "Li", "Ming", "Xiao", "Anna", "Lukas", "Sofia", "Jamal", "Priya", "Mateo", "王", "李", "张", "刘",
               "陈", "杨", "赵", "黄"]
LAST_NAMES = ["Zhang", "Wang", "Chen", "Müller", "Rossi", "Okafor", "Sharma", "García", "小明", "丽华", "建国", "静",
              "伟", "芳", "娜", "强"]


def graded_variants() -> dict[str, dict[str, Any]]:
    """Each variant's stored result (Result.model_dump(mode="json")), graded by the real grader."""
    from grader.exercise import load_exercises
    from grader.grade import Grader

    source = (ROOT / "tests" / "solutions" / "correct_rnn.py").read_text()
    out: dict[str, dict[str, Any]] = {}
    with Grader(load_exercises()) as grader:
        for name, patches in VARIANTS:
            text = source
            for old, new in patches:
                assert old in text, (name, old)
                text = text.replace(old, new)
            out[name] = {"source": text, "result": grader.grade("rnn", text, 4242).model_dump(mode="json")}
    return out


def _times(rng: random.Random, n: int) -> list[dt.datetime]:
    """Most submissions in the last days before the deadline (the rush), ~3% after it."""
    times = []
    for _ in range(n):
        if rng.random() < 0.03:
            times.append(DEADLINE + dt.timedelta(hours=rng.uniform(0, 72)))
        else:
            before = min(rng.expovariate(1 / 2.5), 20.0)  # days
            times.append(DEADLINE - dt.timedelta(days=before))
    return sorted(times)


def seed(engine: sa.Engine, students: int, submissions: int, variants: dict[str, dict[str, Any]]) -> None:
    rng = random.Random(20251202)
    summaries = {name: result_summary(v["result"]) for name, v in variants.items()}
    finals = list(FINAL_WEIGHTS)
    # Per-student submission counts: heavy-tailed, summing to `submissions`.
    weights = [rng.paretovariate(1.6) for _ in range(students)]
    scale = submissions / sum(weights)
    counts = [max(1, int(w * scale)) for w in weights]
    counts[0] += submissions - sum(counts)
    while counts[0] < 1:  # pragma: no cover - only for tiny --submissions
        counts[rng.randrange(1, students)] -= 1
        counts[0] += 1
    student_rows = []
    extension_rows = []
    rows: list[dict[str, Any]] = []
    policy = LatePolicy(**LATE_POLICY)
    for k in range(students):
        student_id = f"s{2025000 + k}"
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        token_hash = hash_token(STUDENT_TOKEN) if k == 0 else uuid.uuid4().hex + uuid.uuid4().hex
        student_rows.append({"student_id": student_id, "name": name, "token_hash": token_hash,
                             "email": f"{student_id}@example.edu", "sis_id": f"SIS-{k:05d}",
                             "created_at": DEADLINE - dt.timedelta(days=30)})
        own_deadline = DEADLINE
        if k == 0 or rng.random() < EXTENDED_SHARE:
            own_deadline = DEADLINE + dt.timedelta(days=rng.randint(1, 3))
            extension_rows.append({"student_id": student_id, "exercise": "rnn", "deadline": own_deadline,
                                   "created_at": DEADLINE - dt.timedelta(days=3),
                                   "updated_at": DEADLINE - dt.timedelta(days=3)})
        final = rng.choices(finals, weights=[FINAL_WEIGHTS[f] for f in finals])[0]
        times = _times(rng, counts[k])
        for j, at in enumerate(times):
            progress = (j + 1) / len(times)
            variant = final if progress > 0.6 or rng.random() < progress else rng.choice(EARLY)
            result = variants[variant]["result"]
            rows.append({
                "student_id": student_id, "exercise": "rnn", "source": variants[variant]["source"],
                "status": "graded", "priority": 0, "score": result["score"], "max_score": result["max_score"],
                "late": policy.is_late(own_deadline, at), "late_penalty": policy.penalty(own_deadline, at),
                "result": result, "summary": summaries[variant], "seed": rng.getrandbits(62),
                "grader_version": result["grader_version"][:64],
                "grading_ms": result["grading_ms"] * rng.uniform(0.8, 1.5),
                "attempts": 1, "created_at": at, "started_at": at + dt.timedelta(milliseconds=20),
                "graded_at": at + dt.timedelta(milliseconds=150), "idempotency_key": None, "last_error": None,
                "lease_until": None, "lease_owner": None,
            })
    rows.sort(key=lambda r: r["created_at"])
    for r in rows[-30:]:  # the newest few are still waiting
        r.update(status="queued", score=None, result=None, summary=None, graded_at=None, started_at=None, attempts=0)
    for r in rng.sample(rows[:-30], 20):  # and some failed for infrastructure reasons
        r.update(status="failed", score=None, last_error="gave up after 3 attempt(s)")
    with engine.begin() as conn:
        conn.execute(sa.insert(students_t), student_rows)
        conn.execute(sa.insert(extensions_t), extension_rows)
    late = sum(1 for r in rows if r["late"])
    penalised = sum(1 for r in rows if r["late_penalty"] > 0)
    print(f"policies: {len(extension_rows)} extensions, {late} late submissions, {penalised} with a penalty "
          f"(max {max((r['late_penalty'] for r in rows), default=0):g})")
    with engine.begin() as conn:
        for start in range(0, len(rows), CHUNK):
            conn.execute(sa.insert(submissions_t), rows[start : start + CHUNK])


def _ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"median {statistics.median(ordered):7.1f} ms   p95 {p95:7.1f} ms"


def time_requests(url: str, data_dir: Path, runs: int) -> list[tuple[str, list[float], list[float], int]]:
    """Per request: wall-clock ms, CPU ms of this process (the app runs in it: the figure other
    processes on a busy machine cannot inflate), and the response size."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient
    from grader.exercise import load_exercises
    from server.app import create_app
    from server.config import Settings

    settings = Settings(data_dir=data_dir, database_url=url, admin_token=TEACHER, secret=SECRET, workers=0,
                        deadlines={"rnn": DEADLINE}, late_policy={"rnn": LATE_POLICY})
    app = create_app(settings, exercises_by_id=load_exercises(), migrate=False)
    teacher = {"Authorization": f"Bearer {TEACHER}"}
    student = {"Authorization": f"Bearer {STUDENT_TOKEN}"}
    results = []
    with TestClient(app) as client:
        assert client.post("/scoreboard/login", data={"token": TEACHER}, follow_redirects=False).status_code == 303
        checks: list[tuple[str, Callable[[], Any]]] = [
            ("page /scoreboard (page 1 of 20, all charts)", lambda: client.get("/scoreboard")),
            ("page sorted by score desc, filtered 's20251'",
             lambda: client.get("/scoreboard?sort=rnn:score&dir=desc&q=s20251")),
            ("live fragment (?fragment=1)", lambda: client.get("/scoreboard?fragment=1&page=7")),
            ("live state poll /scoreboard/state", lambda: client.get("/scoreboard/state")),
            ("student drill-down", lambda: client.get("/scoreboard/students/s2025000")),
            ("API GET /api/v1/scoreboard (JSON)", lambda: client.get("/api/v1/scoreboard", headers=teacher)),
            ("API GET /api/v1/scoreboard.csv", lambda: client.get("/api/v1/scoreboard.csv", headers=teacher)),
            ("API GET /api/v1/scoreboard.csv?format=canvas",
             lambda: client.get("/api/v1/scoreboard.csv?format=canvas", headers=teacher)),
            ("student GET /api/v1/exercises (own deadline)", lambda: client.get("/api/v1/exercises", headers=student)),
        ]
        for label, call in checks:
            response = call()
            assert response.status_code == 200, (label, response.status_code, response.text[:500])
            call()  # warm
            samples, cpu = [], []
            for _ in range(runs):
                started, cpu_started = time.perf_counter(), time.process_time()
                response = call()
                samples.append((time.perf_counter() - started) * 1000)
                cpu.append((time.process_time() - cpu_started) * 1000)
            results.append((label, samples, cpu, len(response.content)))
    return results


@contextmanager
def database(kind: str, pg_url: str) -> Iterator[str]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="rnn-bench-") as tmp:
            yield f"sqlite:///{tmp}/bench.db"
        return
    import psycopg
    from sqlalchemy.engine.url import make_url

    admin = make_url(pg_url)
    name = f"rnn_grader_bench_{uuid.uuid4().hex[:10]}"
    plain = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"'.encode())
    try:
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'.encode())


def run(kind: str, args: argparse.Namespace, variants: dict[str, dict[str, Any]]) -> bool:
    print(f"\n== {kind}: {args.students} students, {args.submissions} submissions")
    with database(kind, args.pg_url) as url:
        engine = create_db_engine(url)
        try:
            run_migrations(engine)
            started = time.perf_counter()
            seed(engine, args.students, args.submissions, variants)
            print(f"seeded in {time.perf_counter() - started:.1f} s")
            started = time.perf_counter()
            with engine.begin() as conn:
                pairs = rebuild_pairs(conn)
            print(f"student_exercise_scores rebuilt ({pairs} pairs) in {time.perf_counter() - started:.2f} s")
            if kind == "postgres":  # as autovacuum would after a bulk load
                with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    conn.execute(sa.text("VACUUM ANALYZE"))
            sample = [(f"s{2025000 + k}", "rnn") for k in range(0, args.students, max(1, args.students // 100))]
            started = time.perf_counter()
            for pair in sample:
                with engine.begin() as conn:
                    refresh_pairs(conn, [pair])
            per_write = (time.perf_counter() - started) * 1000 / len(sample)
            print(f"write path: refreshing one pair after a result costs {per_write:.1f} ms (mean of {len(sample)})")
        finally:
            engine.dispose()
        with tempfile.TemporaryDirectory(prefix="rnn-bench-data-") as data_dir:
            results = time_requests(url, Path(data_dir), args.runs)
    ok = True
    print(f"  {'request':48s} {'wall clock':36s} {'CPU':13s} {'size':>9s}")
    for label, samples, cpu, size in results:
        median = statistics.median(samples)
        verdict = "ok" if median <= TARGET_MS else "SLOW"
        ok &= median <= TARGET_MS
        print(f"  {label:48s} {_ms(samples)}   {statistics.median(cpu):6.1f} ms   {size / 1024:6.1f} KiB  {verdict}")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--submissions", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    started = time.perf_counter()
    variants = graded_variants()
    print(f"graded {len(variants)} solution variants with the real grader in {time.perf_counter() - started:.1f} s: "
          + ", ".join(f"{k}={v['result']['score']:g}" for k, v in variants.items()))
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    ok = all([run(kind, args, variants) for kind in kinds])
    print(f"\ntarget: median <= {TARGET_MS:.0f} ms per request: {'met' if ok else 'NOT met'}")
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
