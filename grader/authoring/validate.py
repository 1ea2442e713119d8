"""`rnn-grader exercise validate DIR`: everything an exercise must be before students see it (docs/authoring.md).

Loads the spec and its trusted modules, then asks, each as one Check of the Report:
  public_examples  loadable with allow_pickle=False, equal to what the reference builds now
  reference        the reference on the hidden cases of >= 200 seeds: finite, declared shapes, deterministic
  cpu_time         the reference's CPU time per seed far below the spec's CPU limit
  blas_kernels     the same case bits under every OpenBLAS kernel (grader.blas_kernels)
  tolerances       correct float64 variants (rounding, the student-style BASE_SOURCE) use a small fraction of
                   each part's tolerance; how many cases float32 rounding fails
  oracle           the reference against the spec's `oracle` (e.g. PyTorch), where torch is installed
  mutants          every catalogued mutant, through the real sandbox, loses points and is named as itself
  template         the starter file fails gracefully (no grader error, score 0) and its self-check runs
  gradcheck        the declared forward/backward pair accepts the base solution
  texts            every student-facing string in English and Chinese, three hint levels per named mistake
"""

from __future__ import annotations

import importlib.util
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

from grader.authoring.reference_checks import (
    check_kernels,
    check_oracle,
    check_public_examples,
    check_reference,
    check_tolerances,
)
from grader.authoring.report import Check, Report
from grader.authoring.sandbox_checks import check_gradcheck, check_mutants, check_template
from grader.authoring.text_checks import check_texts
from grader.exercise import Exercise, SpecError, _import_trusted, load_exercise
from grader.grade import Grader
from grader.runner import Runner

MIN_SEEDS = 200
# Seeds whose cases are fingerprinted under each kernel, and on which the variants are compared: fewer than the
# reference's, since each costs a process per kernel or several calls per case.
KERNEL_SEEDS = 50
VARIANT_SEEDS = 50


def _functions(source: str, names: list[str]) -> dict[str, Callable[..., Any]]:
    """The named functions of a trusted source text (the author's BASE_SOURCE), compiled here."""
    namespace: dict[str, Any] = {"__name__": "base_solution"}
    exec(compile(source, "<BASE_SOURCE>", "exec"), namespace)
    return {name: namespace[name] for name in names}


def _oracle(exercise: Exercise) -> tuple[Mapping[str, Callable[..., Any]] | None, str]:
    spec = exercise.spec
    if not spec.oracle:
        return None, "the spec declares no oracle"
    if importlib.util.find_spec("torch") is None:
        return None, f"{spec.oracle} needs torch, which is not installed here"
    module = _import_trusted(spec, spec.oracle)
    return {p.function: getattr(module, p.function) for p in spec.parts}, ""


def validate(directory: Path, *, seeds: int = MIN_SEEDS, runner: Runner | None = None,
             kernel_seeds: int = KERNEL_SEEDS) -> Report:
    """Every check of the exercise in `directory`; a check that cannot run is a failed check, never a crash."""
    started = time.perf_counter()
    directory = Path(directory)
    try:
        exercise = load_exercise(directory)
        mutants: ModuleType | None = _import_trusted(exercise.spec, exercise.spec.mutants) \
            if exercise.spec.mutants else None
    except (SpecError, ImportError, OSError, SyntaxError) as exc:
        check = Check.failed("spec", f"the exercise cannot be loaded: {type(exc).__name__}: {exc}")
        return Report(directory.name, str(directory), [check], time.perf_counter() - started)
    spec = exercise.spec
    checks = [Check.passed("spec", f"{len(spec.parts)} parts ({', '.join(p.name for p in spec.parts)}), "
                           f"{spec.max_score:g} points; reference {spec.reference}")]
    seed_list = list(range(seeds))
    with tempfile.TemporaryDirectory(prefix="validate-") as scratch:
        checks.append(_guarded("public_examples", lambda: check_public_examples(exercise, Path(scratch))))
        checks.extend(_guarded_pair(lambda: check_reference(exercise, seed_list)))
        checks.append(_guarded("blas_kernels", lambda: check_kernels(directory, seed_list[:kernel_seeds])))
        variants = {}
        if mutants is not None and isinstance(getattr(mutants, "BASE_SOURCE", None), str):
            variants["BASE_SOURCE"] = _functions(mutants.BASE_SOURCE, [p.function for p in spec.parts])
        checks.append(_guarded("tolerances", lambda: check_tolerances(exercise, seed_list[:VARIANT_SEEDS], variants)))
        oracle, why_not = _oracle(exercise)
        checks.append(_guarded("oracle", lambda: check_oracle(exercise, seed_list[:VARIANT_SEEDS], oracle, why_not)))
        with Grader({spec.id: exercise}, runner) as grader:
            checks.append(_guarded("mutants", lambda: check_mutants(grader, spec.id, mutants)))
            checks.append(_guarded("template", lambda: check_template(grader, spec.id, Path(scratch))))
            checks.append(_guarded("gradcheck", lambda: check_gradcheck(grader, spec.id, mutants)))
        checks.append(_guarded("texts", lambda: check_texts(exercise)))
    return Report(spec.id, str(directory), checks, time.perf_counter() - started)


def _guarded(name: str, run: Callable[[], Check]) -> Check:
    """The check, timed, or a failed one saying what the author's code raised."""
    started = time.perf_counter()
    try:
        check = run()
    except Exception as exc:
        check = Check.failed(name, f"the check could not run: {type(exc).__name__}: {exc}")
    check.seconds = time.perf_counter() - started
    return check


def _guarded_pair(run: Callable[[], tuple[Check, Check]]) -> tuple[Check, Check]:
    started = time.perf_counter()
    try:
        first, second = run()
    except Exception as exc:
        why = f"the check could not run: {type(exc).__name__}: {exc}"
        first, second = Check.failed("reference", why), Check.failed("cpu_time", why)
    first.seconds = time.perf_counter() - started
    return first, second
