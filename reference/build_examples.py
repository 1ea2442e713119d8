"""Regenerate every exercise's public examples from its reference: `python -m reference.build_examples`.

Optional arguments name exercise folders (default: every folder under exercises/). The file is written to
the spec's `public_examples` path; tests check that the committed file equals a fresh build. The work is
grader.public_examples' (also used by `rnn-grader exercise new` and `exercise validate`).
"""

from __future__ import annotations

import sys

from grader.public_examples import build, main

__all__ = ["build", "main"]

if __name__ == "__main__":
    main(sys.argv[1:])
