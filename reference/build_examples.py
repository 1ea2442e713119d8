"""Regenerate every exercise's public examples from its reference: `python -m reference.build_examples`.

Optional arguments name exercise folders (default: every folder under exercises/). The file is written to
the spec's `public_examples` path; tests check that the committed file equals a fresh build.
"""

from __future__ import annotations

import sys
from pathlib import Path

from grader.casefile import save_cases
from grader.exercise import DEFAULT_EXERCISES_DIR, load_exercise
from grader.procedure import expected_outputs


def build(directory: Path, path: Path | None = None) -> Path:
    """Write the public cases of the exercise in `directory`, with the reference's outputs, to `path`
    (default: the spec's public_examples file)."""
    exercise = load_exercise(directory)
    spec = exercise.spec
    cases = exercise.public_cases()
    target = path or spec.public_examples_path
    gradcheck = spec.gradcheck.as_json() if spec.gradcheck is not None else None
    save_cases(target, cases, expected_outputs(exercise, cases), spec.parts, exercise=spec.id, limits=spec.limits,
               gradcheck=gradcheck, student_file=spec.student_file)
    return target


def main(argv: list[str]) -> None:
    folders = [Path(a) for a in argv] or sorted(p.parent for p in DEFAULT_EXERCISES_DIR.glob("*/spec.toml"))
    for folder in folders:
        print(f"wrote {build(folder)}")


if __name__ == "__main__":
    main(sys.argv[1:])
