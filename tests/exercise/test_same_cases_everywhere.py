"""A seed names the same cases on every CPU: the hidden cases and the public examples of `rnn` are the same bits
under every OpenBLAS kernel and without NumPy's SIMD code (grader.blas_kernels runs each in a fresh process)."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader import blas_kernels
from grader.exercise import load_exercise
from server.security import submission_seed

ROOT = Path(__file__).resolve().parents[2]
RNN = ROOT / "exercises" / "rnn"
# Real seeds as the server derives them (63-bit), plus small and edge ones.
SEEDS = [submission_seed("same-cases-everywhere", i) for i in range(44)] + [0, 1, 7, 99, 2**63 - 1, 2**63 + 11]

pytestmark = pytest.mark.slow


def test_hidden_and_public_cases_are_the_same_bits_under_every_blas_kernel() -> None:
    assert len(SEEDS) >= 50
    found = blas_kernels.case_fingerprints(RNN, SEEDS)
    # Kernels the CPU cannot run are left out; this AMD EPYC (and any AVX-512 machine) runs all six.
    assert set(found) == set(blas_kernels.runnable_kernels()) and len(found) >= 3, found
    assert len(set(found.values())) == 1, found
    exercise = load_exercise(RNN)
    here = [case for seed in SEEDS for case in exercise.hidden_cases(seed)] + exercise.public_cases()
    assert set(found.values()) == {blas_kernels.fingerprint(here)}


def test_public_examples_are_the_same_bits_under_every_blas_kernel() -> None:
    found = blas_kernels.public_fingerprints(RNN)
    assert set(found) == set(blas_kernels.runnable_kernels()) and len(set(found.values())) == 1, found
    assert set(found.values()) == {blas_kernels.fingerprint(load_exercise(RNN).public_cases())}


def test_cases_do_not_depend_on_numpys_simd_code() -> None:
    """np.tanh and np.exp run different code with and without AVX2/AVX-512; the cases must not notice."""
    found = blas_kernels.fingerprints_under(
        RNN, SEEDS[:12], {"default": {}, "numpy-baseline": blas_kernels.numpy_baseline_environment()})
    assert len(set(found.values())) == 1, found


def test_the_check_catches_cases_built_with_blas(tmp_path: Path) -> None:
    """An exercise whose inputs go through a matrix product gets different fingerprints under different kernels."""
    spec = (ROOT / "tests" / "fixtures" / "tiny" / "spec.toml").read_text(encoding="utf-8")
    (tmp_path / "spec.toml").write_text(spec.replace('reference = "reference_tiny.py"', 'reference = "blas_ref.py"'),
                                        encoding="utf-8")
    (tmp_path / "blas_ref.py").write_text('''
import numpy as np
from grader.exercise import Case
from grader.result import Text


def scale(x, k):
    return np.asarray(x, dtype=np.float64) * k


def _case(rng, name):
    a, b = rng.standard_normal((2, 96, 96))
    return Case(part="scale", name=name, description=Text(en="x", zh="x"), args=(a @ b, 2.0))


def hidden_cases(seed):
    return [_case(np.random.default_rng(seed), "scale/hidden")]


def public_cases():
    return [_case(np.random.default_rng(7), "scale/example")]
''', encoding="utf-8")
    kernels = [k for k in ("Haswell", "SkylakeX", "Sandybridge", "Nehalem") if k in blas_kernels.runnable_kernels()]
    found = blas_kernels.case_fingerprints(tmp_path, [0, 1], kernels)
    assert len(set(found.values())) > 1, found


def test_an_unknown_kernel_is_refused() -> None:
    with pytest.raises(ValueError, match="Pentium"):
        blas_kernels.case_fingerprints(RNN, [0], ["Pentium"])
