"""Named mistakes, precision first: every catalogued mistake of exercise `rnn`, written by hand into 5-7 of the
ten independently written correct solutions (tests/exercise/written_mistakes.py), graded through the real
grader (the sandbox, the hidden cases of several seeds, the exercise's hooks). Prints per mistake and overall
precision (named correctly / named) and recall (named / gradings in which some test fails), then the same
for mistakes the catalogue does not hold (every name given to one is wrong), the grading time, and the load.
docs/feedback.md quotes the figures; tests/exercise/test_naming_precision.py checks a subset in CI.

    .venv/bin/python benchmarks/mistake_naming.py [--seeds 3] [--first-seed 1]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "exercise"))

from naming_measure import Tally, measure, measure_uncatalogued, overall  # noqa: E402
from written_mistakes import UNCATALOGUED, every_written  # noqa: E402

from grader.exercise import load_exercises  # noqa: E402
from grader.grade import Grader  # noqa: E402

TARGET_PRECISION = 0.95


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _row(name: str, solutions: int, tally: Tally) -> str:
    return (f"{name:40s} {solutions:>3d} {tally.gradings:>5d} {tally.can_be_named:>5d} {tally.named:>5d} "
            f"{tally.correct:>5d} {_ratio(tally.precision):>9s} {_ratio(tally.recall):>6s}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=3, help="seeds (hidden case sets) per written mistake")
    parser.add_argument("--first-seed", type=int, default=1)
    args = parser.parse_args()
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    written = every_written()
    with open("/proc/loadavg") as f:
        load_before = f.read().split()[:3]
    started = time.perf_counter()
    with Grader({"rnn": load_exercises()["rnn"]}) as grader:
        tallies = measure(grader, written, seeds)
        uncatalogued = measure_uncatalogued(grader, UNCATALOGUED, seeds)
        layers = grader.runner.layers()
    elapsed = time.perf_counter() - started
    with open("/proc/loadavg") as f:
        load_after = f.read().split()[:3]
    gradings = sum(t.gradings for t in tallies.values()) + uncatalogued.gradings

    print(f"seeds {seeds}; sandbox layers: {', '.join(k for k, v in sorted(layers.items()) if v)}")
    print(f"{'mistake':40s} {'sol':>3s} {'grad':>5s} {'fail':>5s} {'named':>5s} {'right':>5s} "
          f"{'precision':>9s} {'recall':>6s}")
    solutions = {name: sum(1 for n, _ in written if n == name) for name in tallies}
    for name, tally in tallies.items():
        print(_row(name, solutions[name], tally))
    total = overall(tallies)
    print(_row("OVERALL", len({s for _, s in written}), total))
    print(_row("uncatalogued (every name is wrong)", len({s for s, _ in UNCATALOGUED.values()}), uncatalogued))
    for name, tally in tallies.items():
        for line in tally.wrong:
            print(f"  wrong name: {name}: {line}")
    for line in uncatalogued.wrong:
        print(f"  named although not catalogued: {line}")
    worst = min((t.precision for t in tallies.values() if t.precision is not None), default=None)
    print(f"{gradings} gradings in {elapsed:.1f} s ({1000 * elapsed / gradings:.0f} ms each); "
          f"load average {' '.join(load_before)} before, {' '.join(load_after)} after")
    print(f"TARGET precision >= {TARGET_PRECISION} overall: {_ratio(total.precision)} "
          f"{'ok' if (total.precision or 0) >= TARGET_PRECISION else 'MISSED'}; "
          f"per mistake (worst): {_ratio(worst)} {'ok' if (worst or 0) >= TARGET_PRECISION else 'MISSED'}")


if __name__ == "__main__":
    main()
