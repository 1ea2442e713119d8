"""`rnn-grader exercise validate` on every exercise in exercises/ (what `make test` proves before students see
one): the reference on 200 seeds, the cases under every OpenBLAS kernel, tolerances, the PyTorch oracle, every
named mistake through the real sandbox, the template, the public examples and the texts in both languages."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.authoring.validate import validate
from grader.exercise import DEFAULT_EXERCISES_DIR

pytestmark = pytest.mark.slow

FOLDERS = sorted(p.parent for p in DEFAULT_EXERCISES_DIR.glob("*/spec.toml"))


@pytest.mark.parametrize("folder", FOLDERS, ids=[f.name for f in FOLDERS])
def test_every_exercise_is_valid(folder: Path) -> None:
    report = validate(folder)
    assert {c.name for c in report.checks} == {"spec", "public_examples", "reference", "cpu_time", "blas_kernels",
                                               "tolerances", "oracle", "mutants", "template", "gradcheck", "texts"}
    assert report.ok, report.text()
    assert report.checks[2].data["seeds"] == 200
    oracle = next(c for c in report.checks if c.name == "oracle")
    assert not oracle.skipped  # both exercises declare a PyTorch oracle, and torch is in the test environment
