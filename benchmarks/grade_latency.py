"""Grading latency of a correct `rnn` submission: all hidden cases, all parts, through grade().

Prints p50/p99 latency and throughput with 1 and 2 parallel workers (each worker a process with its own
Grader and sandbox zygote, as in the server), the baseline of a fresh `python` subprocess per submission
running the same cases with no isolation (grader.runner.LocalRunner), their ratio, and the resident memory
of an idle worker with its zygote. Targets on the 2-core machine: p50 <= 15 ms, p99 <= 40 ms, >= 10x the
baseline, >= 100 submissions/s with 2 workers, idle worker + zygote <= 120 MiB.

    .venv/bin/python benchmarks/grade_latency.py [--n 400] [--baseline-n 30]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.exercise import load_exercises  # noqa: E402
from grader.grade import Grader  # noqa: E402
from grader.runner import LocalRunner  # noqa: E402

SOURCE = (ROOT / "tests" / "solutions" / "correct_rnn.py").read_text()


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry))
    return found


def _grade_many(n: int, seed0: int, baseline: bool = False) -> list[float]:
    exercises = load_exercises()
    grader = Grader(exercises, LocalRunner() if baseline else None)
    try:
        for i in range(3):  # warm up: imports, first fork, caches
            grader.grade("rnn", SOURCE, seed0 + 1_000_000 + i)
        times = []
        for i in range(n):
            started = time.perf_counter()
            result = grader.grade("rnn", SOURCE, seed0 + i)
            times.append((time.perf_counter() - started) * 1000)
            if result.score != result.max_score:
                raise SystemExit(f"correct submission scored {result.score}/{result.max_score}")
        return times
    finally:
        grader.close()


def _worker(args: tuple[int, int]) -> list[float]:
    return _grade_many(*args)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _report(label: str, times: list[float], wall_s: float) -> None:
    print(
        f"{label:<34} n={len(times):<5} p50={_pct(times, 0.50):7.2f} ms  p99={_pct(times, 0.99):7.2f} ms  "
        f"mean={statistics.fmean(times):7.2f} ms  throughput={len(times) / wall_s:7.1f} /s"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=400)
    parser.add_argument("--baseline-n", type=int, default=30)
    args = parser.parse_args()
    cases = len(load_exercises()["rnn"].hidden_cases(0))
    print(f"exercise rnn: {cases} hidden cases per submission, all parts; {os.cpu_count()} cores")

    started = time.perf_counter()
    one = _grade_many(args.n, 10_000)
    _report("sandbox, 1 worker", one, time.perf_counter() - started)

    ctx = mp.get_context("spawn")
    with ctx.Pool(2) as pool:
        pool.map(_worker, [(2, 1), (2, 2)])  # start both workers before timing
        started = time.perf_counter()
        parts = pool.map(_worker, [(args.n // 2, 20_000), (args.n // 2, 30_000)])
        wall = time.perf_counter() - started
    _report("sandbox, 2 workers", parts[0] + parts[1], wall)

    started = time.perf_counter()
    base = _grade_many(args.baseline_n, 40_000, baseline=True)
    _report("baseline: fresh python, no isolation", base, time.perf_counter() - started)
    print(f"speed-up over baseline (p50): {_pct(base, 0.5) / _pct(one, 0.5):.1f}x")

    grader = Grader(load_exercises())
    grader.grade("rnn", SOURCE, 1)
    time.sleep(0.5)
    me = _rss_kib(os.getpid())
    zygotes = _children(os.getpid())
    zygote = sum(_rss_kib(p) for p in zygotes)
    print(
        f"idle worker RSS: {me / 1024:.1f} MiB + zygote {zygote / 1024:.1f} MiB = {(me + zygote) / 1024:.1f} MiB"
    )
    print(f"sandbox layers: {grader.runner.layers()}")
    grader.close()


if __name__ == "__main__":
    main()
