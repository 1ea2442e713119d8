"""`rnn-grader exercise new ID`: write a complete small exercise to start from: one tanh layer, forward and
backward, that `exercise validate` accepts as written, to be replaced piece by piece (docs/authoring.md).

Under ROOT (the installation's root by default: the folder holding exercises/ and reference/) it writes
  exercises/ID/spec.toml, exercises/ID/exercise_ID.py (the starter file), exercises/ID/ID_public_examples.npz,
  reference/ID.py (reference + cases), reference/ID_mutants.py (named mistakes), reference/ID_feedback.py (hooks)
and builds the public examples from the new reference in a fresh interpreter whose path starts with ROOT.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from grader.authoring.selfcheck import SELF_CHECK, SELF_CHECK_IMPORTS, SELF_CHECK_MAIN
from grader.exercise import DEFAULT_EXERCISES_DIR

DEFAULT_ROOT = DEFAULT_EXERCISES_DIR.parent
# A Python module name (reference/ID.py) that is also a valid exercise id.
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
GRADER_ROOT = Path(__file__).resolve().parents[2]
# The files' texts (exercise content, not generic code: data files, where EXERCISE_ID stands for the id).
TEMPLATES = Path(__file__).resolve().parent / "skeleton"


def _template(name: str) -> str:
    return (TEMPLATES / f"{name}.tmpl").read_text(encoding="utf-8")


class SkeletonError(ValueError):
    """The id is not usable, or a file would be overwritten without `force`."""


def skeleton_files(exercise_id: str) -> dict[str, str]:
    """Relative path -> text of every file of a new exercise `exercise_id`."""
    if not ID_PATTERN.match(exercise_id):
        raise SkeletonError(f"{exercise_id!r} is not a usable id: lowercase letters, digits and _ (a module name)")
    examples = f"{exercise_id}_public_examples.npz"
    template = (_template("template_head.py") + SELF_CHECK_IMPORTS + _template("template_body.py") + SELF_CHECK
                + SELF_CHECK_MAIN.format(examples=examples))
    files = {
        f"exercises/{exercise_id}/spec.toml": _template("spec.toml"),
        f"exercises/{exercise_id}/exercise_{exercise_id}.py": template,
        f"reference/{exercise_id}.py": _template("reference.py"),
        f"reference/{exercise_id}_mutants.py": _template("mutants.py"),
        f"reference/{exercise_id}_feedback.py": _template("feedback.py"),
    }
    return {path: text.replace("EXERCISE_ID", exercise_id) for path, text in files.items()}


def write_skeleton(exercise_id: str, root: Path = DEFAULT_ROOT, *, force: bool = False) -> list[Path]:
    """Write the exercise under `root` and build its public examples; returns the files written."""
    files = skeleton_files(exercise_id)
    targets = [root / path for path in files]
    existing = [str(t) for t in targets if t.exists()]
    if existing and not force:
        raise SkeletonError(f"{', '.join(existing)} already exist(s); use --force to overwrite")
    package = root / "reference" / "__init__.py"
    if not package.exists():
        package.parent.mkdir(parents=True, exist_ok=True)
        package.write_text("", encoding="utf-8")
    for target, text in zip(targets, files.values(), strict=True):
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    folder = root / "exercises" / exercise_id
    path = os.pathsep.join(p for p in (str(root), str(GRADER_ROOT), os.environ.get("PYTHONPATH", "")) if p)
    done = subprocess.run([sys.executable, "-m", "grader.public_examples", str(folder)], cwd=root,
                          env={**os.environ, "PYTHONPATH": path}, capture_output=True, text=True, timeout=300,
                          check=False)
    if done.returncode != 0:
        raise SkeletonError(f"building the public examples failed: {done.stderr.strip()[-500:]}")
    return [*targets, folder / f"{exercise_id}_public_examples.npz"]
