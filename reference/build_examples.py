"""Regenerate every exercise's public examples from its reference: `python -m reference.build_examples`.

Optional arguments name exercise folders (default: every folder under exercises/). The file is written to
the spec's `public_examples` path; tests check that the committed file equals a fresh build.
"""

from __future__ import annotations

import sys
from pathlib import Path

from grader.exercise import DEFAULT_EXERCISES_DIR
from grader.public_examples import build

__all__ = ["build", "main"]


def main(argv: list[str]) -> None:
    folders = [Path(a) for a in argv] or sorted(p.parent for p in DEFAULT_EXERCISES_DIR.glob("*/spec.toml"))
    for folder in folders:
        print(f"wrote {build(folder)}")


if __name__ == "__main__":
    main(sys.argv[1:])
