"""Grading latency of a correct `rnn` submission: all hidden cases, all parts, through grade().

Prints p50/p99 latency and throughput with 1 and 2 parallel workers (each worker a process with its own
Grader and sandbox zygote, as in the server), the baseline of a fresh `python` subprocess per submission
running the same cases with no isolation (grader.runner.LocalRunner), their ratio, where the time of one
grading goes (the sandbox run vs the rest, the child's CPU and page faults), and the memory of an idle
worker with its zygote and spare child, and (issue 15) a plain exec() grader in the same run: a fresh
`python` per submission that imports NumPy and exec()s the file with no isolation, on the same cases and
verdicts. Targets on the 2-core machine (issue 15; one `TARGET` line each at the end): p50 <= 20 ms,
p99 <= 40 ms, >= 90 submissions/s with 2 workers, >= 4x the plain exec() grader; idle worker + zygote
<= 120 MiB.

Throughput is timed from the moment every worker has its sandbox up and warmed (a barrier) to the last
grading's end: start-up is not grading. Memory is measured in a fresh worker process after one grading,
as RSS (what the target names; pages shared between the three processes are counted in each) and as PSS
(shared pages split between the processes that map them: what they really cost together).

    .venv/bin/python benchmarks/grade_latency.py [--n 400] [--baseline-n 30] [--no-prefork] [--no-warm-up]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.exercise import Limits, load_exercises  # noqa: E402
from grader.grade import Grader  # noqa: E402
from grader.runner import LocalRunner, ResultListener, Runner, RunReport  # noqa: E402

SOURCE = (ROOT / "tests" / "solutions" / "correct_rnn.py").read_text()
WARM_UP_GRADINGS = 5


@dataclass
class Sample:
    """One run of the measurement: per-grading latency and the runner's own figures."""

    latencies_ms: list[float] = field(default_factory=list)
    run_wall_ms: list[float] = field(default_factory=list)
    child_cpu_ms: list[float] = field(default_factory=list)
    setup_cpu_ms: list[float] = field(default_factory=list)
    minflt: list[int] = field(default_factory=list)
    started: float = 0.0
    ended: float = 0.0


class _Recording:
    """Wraps a runner to keep its RunReports (the Grader sees the same runner)."""

    def __init__(self, runner: Runner) -> None:
        self.runner = runner
        self.reports: list[RunReport] = []

    def run(self, payload: bytes, limits: Limits, on_result: ResultListener | None = None) -> RunReport:
        report = self.runner.run(payload, limits, on_result)
        self.reports.append(report)
        return report

    def layers(self) -> dict[str, bool]:
        return self.runner.layers()

    def close(self) -> None:
        close = getattr(self.runner, "close", None)
        if callable(close):
            close()


def _make_runner(baseline: bool, prefork: bool) -> Runner:
    if baseline:
        return LocalRunner()
    from grader.sandbox import Sandbox

    return Sandbox(prefork=prefork, warm_up=os.environ.get("GRADE_LATENCY_WARM_UP", "auto") or None)


def _grade_many(n: int, seed0: int, baseline: bool = False, prefork: bool = True,
                barrier: Barrier | None = None) -> Sample:
    exercises = load_exercises()
    runner = _Recording(_make_runner(baseline, prefork))
    grader = Grader(exercises, runner)
    sample = Sample()
    try:
        for i in range(WARM_UP_GRADINGS):  # imports, the first forks, caches
            grader.grade("rnn", SOURCE, seed0 + 1_000_000 + i)
        if barrier is not None:
            barrier.wait()
        runner.reports.clear()
        sample.started = time.perf_counter()
        for i in range(n):
            started = time.perf_counter()
            result = grader.grade("rnn", SOURCE, seed0 + i)
            sample.latencies_ms.append((time.perf_counter() - started) * 1000)
            if result.score != result.max_score:
                raise SystemExit(f"correct submission scored {result.score}/{result.max_score}")
        sample.ended = time.perf_counter()
        for report in runner.reports:
            sample.run_wall_ms.append(report.wall_s * 1000)
            sample.child_cpu_ms.append(report.cpu_s * 1000)
            sample.setup_cpu_ms.append(report.setup_cpu_s * 1000)
            sample.minflt.append(report.minflt)
        return sample
    finally:
        grader.close()


# The naive grader of the issue: a fresh `python` that imports NumPy, exec()s the student's file with no
# isolation at all and calls its functions on the cases (pickled in and out); the parent compares.
PLAIN_EXEC_CHILD = """
import pickle, sys
import numpy as np
namespace = {"__name__": "student"}
exec(compile(open(sys.argv[1]).read(), sys.argv[1], "exec"), namespace)
calls = pickle.load(sys.stdin.buffer)
pickle.dump([namespace[function](*args) for function, args in calls], sys.stdout.buffer)
"""


def _plain_exec_many(n: int, seed0: int) -> Sample:
    """Grade like the naive grader: same hidden cases, references and allclose verdicts, no sandbox."""
    exercise = load_exercises()["rnn"]
    sample = Sample()
    with tempfile.TemporaryDirectory() as tmp:
        student = Path(tmp) / "student.py"
        student.write_text(SOURCE)
        sample.started = time.perf_counter()
        for i in range(n):
            started = time.perf_counter()
            cases = exercise.hidden_cases(seed0 + i)
            parts = [exercise.spec.part(c.part) for c in cases]
            calls = [(p.function, c.args) for p, c in zip(parts, cases, strict=True)]
            done = subprocess.run([sys.executable, "-c", PLAIN_EXEC_CHILD, str(student)], input=pickle.dumps(calls),
                                  capture_output=True, check=True)
            outputs = pickle.loads(done.stdout)
            passed = 0
            for part, case, got in zip(parts, cases, outputs, strict=True):
                want = exercise.reference_function(part)(*case.args)
                passed += _naive_close(got, want, part.rtol, part.atol)
            sample.latencies_ms.append((time.perf_counter() - started) * 1000)
            if passed != len(cases):
                raise SystemExit(f"plain exec grader: correct submission passed {passed}/{len(cases)}")
        sample.ended = time.perf_counter()
    return sample


def _naive_close(got: Any, want: Any, rtol: float, atol: float) -> bool:
    if isinstance(want, dict):
        return isinstance(got, dict) and all(_naive_close(got[k], v, rtol, atol) for k, v in want.items())
    if isinstance(want, tuple):
        return all(_naive_close(g, w, rtol, atol) for g, w in zip(got, want, strict=True))
    return bool(np.allclose(got, want, rtol=rtol, atol=atol))


def _worker(n: int, seed0: int, prefork: bool, barrier: Barrier, queue: mp.Queue[Sample]) -> None:
    queue.put(_grade_many(n, seed0, prefork=prefork, barrier=barrier))


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _report(label: str, samples: list[Sample]) -> list[float]:
    times = [t for s in samples for t in s.latencies_ms]
    wall_s = max(s.ended for s in samples) - min(s.started for s in samples)
    print(
        f"{label:<36} n={len(times):<5} p50={_pct(times, 0.50):7.2f} ms  p99={_pct(times, 0.99):7.2f} ms  "
        f"mean={statistics.fmean(times):7.2f} ms  throughput={len(times) / wall_s:7.1f} /s"
    )
    runs = [r for s in samples for r in s.run_wall_ms]
    if runs and any(c > 0 for s in samples for c in s.child_cpu_ms):
        cpu = [c for s in samples for c in s.child_cpu_ms]
        setup = [c for s in samples for c in s.setup_cpu_ms]
        faults = [float(f) for s in samples for f in s.minflt]
        print(
            f"{'':<36} per run (p50): sandbox run wall {_pct(runs, 0.5):6.2f} ms, child CPU during the run "
            f"{_pct(cpu, 0.5):6.2f} ms + before it {_pct(setup, 0.5):5.2f} ms, minor faults {_pct(faults, 0.5):5.0f}; "
            f"{len(runs) / len(times):.2f} runs per grading"
        )
    return times


def _report_throughput(samples: list[Sample]) -> float:
    wall_s = max(s.ended for s in samples) - min(s.started for s in samples)
    return sum(len(s.latencies_ms) for s in samples) / wall_s


def _target(what: str, value: float, unit: str, op: str, bound: float) -> None:
    ok = value <= bound if op == "<=" else value >= bound
    print(f"TARGET {what}: {value:.1f} {unit} ({op} {bound:g}): {'met' if ok else 'MISSED'}")


def _status_kib(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def _pss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
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


def _idle_memory(prefork: bool, queue: mp.Queue[str]) -> None:
    """In a fresh worker process: one grading, then the memory of this worker, its zygote and spare."""
    grader = Grader(load_exercises(), _make_runner(False, prefork))
    try:
        grader.grade("rnn", SOURCE, 1)
        time.sleep(0.5)
        me = os.getpid()
        rows = [("worker", me)]
        for zygote in _children(me):
            rows.append(("zygote", zygote))
            rows += [("spare", p) for p in _children(zygote)]
        rss = {name: 0 for name, _ in rows}
        pss = dict(rss)
        for name, pid in rows:
            rss[name] += _status_kib(pid, "VmRSS")
            pss[name] += _pss_kib(pid)

        def line(what: str, table: dict[str, int]) -> str:
            parts = " + ".join(f"{name} {table[name] / 1024:.1f}" for name in table)
            worker_zygote = (table["worker"] + table.get("zygote", 0)) / 1024
            return (f"idle {what}: {parts} MiB; worker + zygote = {worker_zygote:.1f} MiB, "
                    f"with the spare = {sum(table.values()) / 1024:.1f} MiB")

        queue.put(line("RSS", rss) + "\n" + line("PSS", pss) + f"\nsandbox layers: {grader.runner.layers()}")
    finally:
        grader.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=400)
    parser.add_argument("--baseline-n", type=int, default=30)
    parser.add_argument("--no-prefork", action="store_true", help="fork each child at its run (as before)")
    parser.add_argument("--no-warm-up", action="store_true", help="spare children do not warm up")
    args = parser.parse_args()
    prefork = not args.no_prefork
    if args.no_warm_up:
        os.environ["GRADE_LATENCY_WARM_UP"] = ""  # inherited by the worker processes
    cases = len(load_exercises()["rnn"].hidden_cases(0))
    print(f"exercise rnn: {cases} hidden cases per submission, all parts; {os.cpu_count()} cores; "
          f"load average {os.getloadavg()[0]:.2f}; spare children {'on' if prefork else 'off'}"
          f"{', not warmed up' if prefork and args.no_warm_up else ''}")

    one = _report("sandbox, 1 worker", [_grade_many(args.n, 10_000, prefork=prefork)])

    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(2)
    samples: mp.Queue[Sample] = ctx.Queue()
    workers = [ctx.Process(target=_worker, args=(args.n // 2, seed0, prefork, barrier, samples))
               for seed0 in (20_000, 30_000)]
    for worker in workers:
        worker.start()
    parts = [samples.get(timeout=600) for _ in workers]
    for worker in workers:
        worker.join()
    _report("sandbox, 2 workers", parts)

    base = _report("baseline: fresh python, no isolation", [_grade_many(args.baseline_n, 40_000, baseline=True)])
    print(f"speed-up over baseline (p50): {_pct(base, 0.5) / _pct(one, 0.5):.1f}x")
    plain = _report("plain exec() grader (issue 15)", [_plain_exec_many(args.baseline_n, 50_000)])
    both = _report_throughput(parts)
    speed_up = _pct(plain, 0.5) / _pct(one, 0.5)
    print("summary (issue 15 targets, 2 cores):")
    _target("grader p50", _pct(one, 0.5), "ms", "<=", 20)
    _target("grader p99", _pct(one, 0.99), "ms", "<=", 40)
    _target("2 workers", both, "/s", ">=", 90)
    _target("speed-up over plain exec() grader (p50)", speed_up, "x", ">=", 4)

    queue: mp.Queue[str] = ctx.Queue()
    proc = ctx.Process(target=_idle_memory, args=(prefork, queue))
    proc.start()
    print(queue.get(timeout=120))
    proc.join()


if __name__ == "__main__":
    main()
