"""Cost of one submission's hidden cases on the trusted side: generate them from a seed and evaluate the
reference on each (what a grading slot does beside the sandboxed child). Prints per-seed figures.

    .venv/bin/python benchmarks/case_generation.py [--seeds 200]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from grader.exercise import load_exercise  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=200)
    args = parser.parse_args()
    exercise = load_exercise(Path(__file__).resolve().parents[1] / "exercises" / "rnn")
    generate, evaluate = [], []
    for seed in range(args.seeds):
        started = time.perf_counter()
        cases = exercise.hidden_cases(seed)
        generated = time.perf_counter()
        for case in cases:
            exercise.reference_function(exercise.spec.part(case.part))(*case.args)
        generate.append(generated - started)
        evaluate.append(time.perf_counter() - generated)
    for name, values in (("generate", generate), ("reference", evaluate)):
        ms = sorted(v * 1e3 for v in values)
        print(f"{name:9s} per seed: p50 {statistics.median(ms):.2f} ms  p95 {ms[int(0.95 * (len(ms) - 1))]:.2f} ms"
              f"  min {ms[0]:.2f} ms  ({len(cases)} cases, {args.seeds} seeds)")


if __name__ == "__main__":
    main()
