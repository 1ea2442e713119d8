"""Per-run overhead of the sandbox (hand-over to a child + confine + run an empty payload + exit + report)
and the resident memory of an idle zygote and its spare child, with children forked in advance (spares,
the default) and forked per run. Targets: p50 <= ~10 ms, zygote RSS <= 120 MiB.

    .venv/bin/python benchmarks/sandbox_overhead.py [--n 500]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.exercise import Limits  # noqa: E402
from grader.harness import encode_payload  # noqa: E402
from grader.runner import RunStatus  # noqa: E402
from grader.sandbox import Sandbox  # noqa: E402

# The parent's own work between two runs (judging, the next cases): gives a spare time to warm up,
# as in grading. A tight loop of runs would only measure how fast spares can be made.
GAP_S = 0.010


def _status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def _pss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    raise KeyError("Pss")


def _measure(n: int, prefork: bool) -> None:
    payload = encode_payload("", "student.py", [], max_blob_bytes=1 << 20)
    limits = Limits()
    started = time.perf_counter()
    with Sandbox(prefork=prefork) as sandbox:
        print(f"prefork={prefork}: zygote start {(time.perf_counter() - started) * 1000:.0f} ms")
        pid = sandbox.zygote_pid
        assert pid is not None
        for _ in range(20):  # warm-up
            sandbox.run(payload, limits)
        times, cpu, setup, faults = [], [], [], []
        for _ in range(n):
            time.sleep(GAP_S)
            report = sandbox.run(payload, limits)
            if report.status is not RunStatus.exited:
                raise SystemExit(f"unexpected run status {report.status}: {report.detail}")
            times.append(report.wall_s * 1000)
            cpu.append(report.cpu_s * 1000)
            setup.append(report.setup_cpu_s * 1000)
            faults.append(report.minflt)
        times.sort()
        p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
        print(f"  runs: {n}  p50 {statistics.median(times):.2f} ms  p99 {p99:.2f} ms  "
              f"mean {statistics.fmean(times):.2f} ms  max {times[-1]:.2f} ms")
        print(f"  child CPU p50: {statistics.median(cpu):.2f} ms in the run + {statistics.median(setup):.2f} ms "
              f"before it; minor faults in the run p50 {statistics.median(faults):.0f}")
        time.sleep(0.2)
        print(f"  idle zygote: VmRSS {_status_kib(pid, 'VmRSS') / 1024:.1f} MiB, PSS {_pss_kib(pid) / 1024:.1f} MiB, "
              f"VmSize {_status_kib(pid, 'VmSize') / 1024:.1f} MiB, threads {_status_kib(pid, 'Threads')}")
        spare = sandbox.spare_pid()
        if spare is not None:
            print(f"  idle spare: VmRSS {_status_kib(spare, 'VmRSS') / 1024:.1f} MiB, "
                  f"PSS {_pss_kib(spare) / 1024:.1f} MiB")
        active = [name for name, on in sandbox.layers().items() if on]
        print(f"  layers on: {', '.join(active)}")
        print(f"  layers off: {', '.join(n for n, on in sandbox.layers().items() if not on) or '-'}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=500)
    args = parser.parse_args()
    for prefork in (True, False):
        _measure(args.n, prefork)


if __name__ == "__main__":
    main()
