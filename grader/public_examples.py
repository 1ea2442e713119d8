"""Building an exercise's public examples file from its reference: the cases of `public_cases()` with the
reference's answers, the parts, limits, gradcheck declaration and student file name (grader.casefile).
Used by `python -m reference.build_examples`, `rnn-grader exercise new` and `exercise validate` (which
requires the committed file to equal a fresh build). Trusted side only.
"""

from __future__ import annotations

import sys
from pathlib import Path

from grader.casefile import save_cases
from grader.exercise import DEFAULT_EXERCISES_DIR, Exercise, load_exercise
from grader.procedure import expected_outputs


def write_examples(exercise: Exercise, target: Path) -> Path:
    spec = exercise.spec
    cases = exercise.public_cases()
    gradcheck = spec.gradcheck.as_json() if spec.gradcheck is not None else None
    save_cases(target, cases, expected_outputs(exercise, cases), spec.parts, exercise=spec.id, limits=spec.limits,
               gradcheck=gradcheck, student_file=spec.student_file)
    return target


def build(directory: Path, path: Path | None = None) -> Path:
    """Write the public examples of the exercise in `directory` to `path` (default: the spec's file)."""
    exercise = load_exercise(directory)
    return write_examples(exercise, path or exercise.spec.public_examples_path)


def main(argv: list[str]) -> None:
    """Build the examples of the exercise folders named in `argv` (default: every folder under exercises/)."""
    folders = [Path(a) for a in argv] or sorted(p.parent for p in DEFAULT_EXERCISES_DIR.glob("*/spec.toml"))
    for folder in folders:
        print(f"wrote {build(folder)}")


if __name__ == "__main__":
    main(sys.argv[1:])
