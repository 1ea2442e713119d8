#!/usr/bin/env python3
"""What each way of running the grader container costs and which sandbox layers it gets.

For each option, one container of the app image with the grader service's hardening (read-only root,
/tmp tmpfs, no-new-privileges, cap_drop ALL, pids and memory limits, non-root) plus the option, runs the
real Grader on the real exercise: the zygote's start, then N gradings of the correct solution (after one
warm-up), and prints the inactive layers and the grading latency. docs/deployment.md has the figures.

    python3 deploy/measure_sandbox_options.py [--image rnn-grader:latest] [--runs 30]

Options: `default` (the engine's default seccomp profile), `seccomp-userns` (deploy/seccomp-grader.json,
what docker-compose.yml ships), `cap-sys-admin` (`cap_add: SYS_ADMIN`), `unconfined` (no seccomp profile).
Needs a running Docker engine (`python3 deploy/compose_stack.py engine`) and the image (`... images`).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PROFILE = REPO / "deploy" / "seccomp-grader.json"
OPTIONS: dict[str, list[str]] = {
    "default": [],
    "seccomp-userns": ["--security-opt", f"seccomp={PROFILE}"],
    "cap-sys-admin": ["--cap-add", "SYS_ADMIN"],
    "unconfined": ["--security-opt", "seccomp=unconfined"],
}
HARDENING = ["--read-only", "--tmpfs", "/tmp:size=64m,mode=1777", "--security-opt", "no-new-privileges:true",
             "--cap-drop", "ALL", "--pids-limit", "256", "--memory", "2g", "--network", "none", "--init"]
BENCH = r"""
import json, statistics, sys, time
from pathlib import Path
from grader.exercise import load_exercises
from grader.grade import Grader
source, runs = sys.stdin.read(), int(sys.argv[1])
started = time.perf_counter()
grader = Grader(load_exercises(Path("/app/exercises")))
first = grader.grade("rnn", source, seed=1)  # starts the zygote, warms it up
start_s = time.perf_counter() - started
times = []
for seed in range(runs):
    t = time.perf_counter()
    result = grader.grade("rnn", source, seed=seed + 2)
    times.append((time.perf_counter() - t) * 1000)
    assert result.score == result.max_score, result.score
grader.close()
times.sort()
print(json.dumps({"inactive": sorted(k for k, v in first.sandbox_layers.items() if not v),
                  "first_grading_s": round(start_s, 2), "median_ms": round(statistics.median(times), 1),
                  "p90_ms": round(times[int(0.9 * (len(times) - 1))], 1)}))
"""


def measure(image: str, option: str, runs: int, source: str) -> dict[str, object]:
    argv = ["docker", "run", "--rm", "-i", *HARDENING, *OPTIONS[option], image, "python", "-c", BENCH, str(runs)]
    done = subprocess.run(argv, input=source, capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1:] or done.returncode}
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--image", default="rnn-grader:latest")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--option", action="append", choices=list(OPTIONS), help="default: all")
    args = parser.parse_args()
    source = (REPO / "tests" / "solutions" / "correct_rnn.py").read_text()
    print(f"{'option':<16} {'inactive layers':<40} {'1st grading s':>13} {'median ms':>10} {'p90 ms':>8}")
    for option in args.option or list(OPTIONS):
        r = measure(args.image, option, args.runs, source)
        if "error" in r:
            print(f"{option:<16} error: {r['error']}")
            continue
        inactive = ",".join(str(x) for x in r["inactive"]) if isinstance(r["inactive"], list) else ""
        print(f"{option:<16} {inactive:<40} {r['first_grading_s']:>13} {r['median_ms']:>10} {r['p90_ms']:>8}",
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
