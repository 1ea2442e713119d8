"""The checks of `exercise validate` that run trusted code only: the public examples file, the reference on many
seeds of hidden cases (finite, declared shapes, deterministic, CPU time), the cases under every BLAS kernel, the
tolerances against float64 and float32 variants and an oracle, and the texts in both languages."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from grader.authoring.report import Check
from grader.authoring.values import expected_shape, in_float32, leaves, moved, output_at, used_fraction
from grader.blas_kernels import KernelCheckError, case_fingerprints, fingerprint
from grader.casefile import CaseFileError, load_cases, read_manifest, same_cases
from grader.exercise import Case, Exercise, Part, copy_value
from grader.procedure import expected_outputs
from grader.public_examples import write_examples

# A correct float64 variant may use at most this fraction of a part's tolerance: a margin of 10x.
FLOAT64_MARGIN = 0.1
# The reference's CPU time for one seed's hidden cases may be at most this fraction of the CPU limit.
CPU_MARGIN = 0.05
# Rounding of a correct float64 implementation, modelled as inputs moved by this many units in the last place.
ROUNDING_ULPS = 4


def check_public_examples(exercise: Exercise, scratch: Path) -> Check:
    """Loadable with allow_pickle=False, a case file, equal to a fresh build, every expected output finite."""
    spec = exercise.spec
    path = spec.public_examples_path
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
        read_manifest(path)
        pairs = load_cases(path)
    except (OSError, ValueError, CaseFileError) as exc:
        return Check.failed("public_examples", f"{path.name} cannot be read with allow_pickle=False: {exc}")
    problems = [f"{case.name}: an expected output is not finite" for case, want in pairs
                if not all(np.all(np.isfinite(a)) for _, a in leaves(want))]
    fresh = write_examples(exercise, scratch / "fresh_examples.npz")
    # The cases bit for bit; the reference's answers within a few ulps (BLAS and SIMD tanh round them per CPU).
    stale = not same_cases(pairs, load_cases(fresh)) or \
        _without_expected(read_manifest(path)[0]) != _without_expected(read_manifest(fresh)[0])
    if stale:
        problems.append(f"{path.name} is not what the reference builds now: run `python -m reference.build_examples "
                        f"{spec.directory}`")
    parts = {c.part for c, _ in pairs}
    if parts != {p.name for p in spec.parts}:
        problems.append(f"public examples cover parts {sorted(parts)}, the spec has {[p.name for p in spec.parts]}")
    summary = f"{len(pairs)} cases in {path.name}, loadable with allow_pickle=False, {len(arrays)} arrays"
    return Check.failed("public_examples", summary, problems) if problems else Check.passed("public_examples", summary)


def _without_expected(manifest: dict[str, Any]) -> dict[str, Any]:
    """The manifest but its cases' expected outputs (same_cases compares those, within a tolerance)."""
    cases = [{k: v for k, v in c.items() if k != "expected"} if isinstance(c, dict) else c
             for c in manifest.get("cases", [])]
    return {**manifest, "cases": cases}


def _shape_problems(part: Part, case: Case, output: Any) -> list[str]:
    out = []
    for path, symbols in part.shapes.items():
        value = output_at(output, part, path)
        if value is None:
            out.append(f"{case.name}: no output {path!r} (declared in shapes)")
            continue
        want = expected_shape(symbols, case.facts)
        got = np.shape(value)
        if len(got) != len(want) or any(w is not None and g != w for g, w in zip(got, want, strict=True)):
            out.append(f"{case.name}: {path} has shape {got}, declared ({symbols}) = {want}")
    return out


def check_reference(exercise: Exercise, seeds: Sequence[int]) -> tuple[Check, Check]:
    """The reference on every seed's hidden cases: finite outputs in the declared shapes, every part covered,
    unique names, descriptions in both languages, the same cases for the same seed; and its CPU time."""
    spec = exercise.spec
    problems: list[str] = []
    cpu: list[float] = []
    count = 0
    for seed in seeds:
        started = time.process_time()
        try:
            cases = exercise.hidden_cases(seed)
            outputs = expected_outputs(exercise, cases)
        except Exception as exc:  # the author's code: report, never crash the report
            problems.append(f"seed {seed}: {type(exc).__name__}: {exc}")
            continue
        cpu.append(time.process_time() - started)
        count += len(cases)
        names = [c.name for c in cases]
        if len(set(names)) != len(names):
            problems.append(f"seed {seed}: case names repeat")
        missing = {p.name for p in spec.parts} - {c.part for c in cases if c.scored}
        if missing:
            problems.append(f"seed {seed}: no hidden case for part(s) {sorted(missing)}")
        for case, output in zip(cases, outputs, strict=True):
            if not all(np.all(np.isfinite(a)) for _, a in leaves(output)):
                problems.append(f"seed {seed}: {case.name}: the reference returns NaN or inf")
            problems += [f"seed {seed}: {p}" for p in _shape_problems(spec.part(case.part), case, output)]
        if len(problems) > 50:
            break
    for seed in seeds[:3]:
        if fingerprint(exercise.hidden_cases(seed)) != fingerprint(exercise.hidden_cases(seed)):
            problems.append(f"seed {seed}: two builds of the same seed differ")
    summary = f"{count} hidden cases over {len(seeds)} seeds: finite, in the declared shapes, deterministic"
    reference = (Check.failed("reference", f"{len(problems)} problem(s) in {len(seeds)} seeds", problems[:50])
                 if problems else Check.passed("reference", summary, seeds=len(seeds), cases=count))
    limit = spec.limits.cpu_time_limit_s
    worst = max(cpu, default=0.0)
    cpu_summary = (f"reference CPU per seed: median {np.median(cpu or [0]) * 1000:.1f} ms, max {worst * 1000:.1f} ms "
                   f"({worst / limit:.2%} of the {limit:g} s limit; at most {CPU_MARGIN:.0%})")
    cpu_check = (Check.passed("cpu_time", cpu_summary, max_s=worst) if worst <= CPU_MARGIN * limit
                 else Check.failed("cpu_time", cpu_summary, ["raise cpu_time_limit_s or make the reference faster"],
                                   max_s=worst))
    return reference, cpu_check


def check_kernels(directory: Path, seeds: Sequence[int]) -> Check:
    """The same bits under every OpenBLAS kernel (grader.blas_kernels), hidden cases of `seeds` and public ones."""
    try:
        found = case_fingerprints(directory, seeds)
    except (KernelCheckError, OSError, ValueError) as exc:
        return Check.failed("blas_kernels", f"the fingerprints could not be taken: {exc}")
    distinct = sorted(set(found.values()))
    summary = f"{len(seeds)} seeds and the public cases under {', '.join(found)}"
    if len(distinct) == 1:
        return Check.passed("blas_kernels", f"the same bits: {summary}", fingerprints=found)
    groups = [f"{fp[:12]}: {', '.join(k for k, v in found.items() if v == fp)}" for fp in distinct]
    return Check.failed("blas_kernels", f"{len(distinct)} different case sets: {summary}",
                        ["a case depends on BLAS/LAPACK rounding (matmul, eigvals, ...): build inputs elementwise",
                         *groups], fingerprints=found)


Functions = Mapping[str, Callable[..., Any]]


def check_tolerances(exercise: Exercise, seeds: Sequence[int], variants: Mapping[str, Functions]) -> Check:
    """Per part, how much of its tolerance correct float64 variants use (at most FLOAT64_MARGIN), and how many
    of its cases float32 rounding fails (reported: a tolerance that passes float32 cannot tell it apart)."""
    spec = exercise.spec
    rng = np.random.default_rng(0)
    used: dict[tuple[str, str], float] = {}
    float32_failed: dict[str, list[bool]] = {p.name: [] for p in spec.parts}
    eps = float(np.finfo(np.float64).eps) * ROUNDING_ULPS
    for seed in seeds:
        for case in exercise.hidden_cases(seed):
            part = spec.part(case.part)
            function = exercise.reference_function(part)
            want = function(*copy_value(case.args))
            answers = {"rounding": function(*moved(copy_value(case.args), rng, eps))}
            for name, functions in variants.items():
                answers[name] = functions[part.function](*copy_value(case.args))
            for name, got in answers.items():
                key = (part.name, name)
                used[key] = max(used.get(key, 0.0), used_fraction(got, want, part))
            rounded = function(*in_float32(copy_value(case.args)))
            float32_failed[part.name].append(used_fraction(rounded, want, part) > 1)
    details = [f"{part}: {name} uses {fraction:.2e} of the tolerance"
               for (part, name), fraction in sorted(used.items())]
    details += [f"{part}: float32 rounding fails {sum(f)}/{len(f)} cases" for part, f in float32_failed.items()]
    too_tight = [f"{part}: {name} uses {fraction:.2g} of the tolerance (at most {FLOAT64_MARGIN:g}): loosen rtol/atol"
                 for (part, name), fraction in sorted(used.items()) if not fraction <= FLOAT64_MARGIN]
    summary = (f"float64 variants ({', '.join(['rounding', *variants])}) over {len(seeds)} seeds use at most "
               f"{max(used.values(), default=0.0):.2e} of any part's tolerance")
    data = {"used": {f"{p}/{n}": v for (p, n), v in used.items()},
            "float32_failed": {p: sum(f) / max(len(f), 1) for p, f in float32_failed.items()}}
    if too_tight:
        return Check.failed("tolerances", summary, too_tight + details, **data)
    return Check.passed("tolerances", summary, details, **data)


def check_oracle(exercise: Exercise, seeds: Sequence[int], oracle: Functions | None, why_not: str) -> Check:
    """The reference against an independent implementation (e.g. PyTorch), within FLOAT64_MARGIN of each tolerance."""
    if oracle is None:
        return Check.skip("oracle", why_not)
    spec = exercise.spec
    worst: dict[str, float] = {}
    for seed in seeds:
        for case in exercise.hidden_cases(seed):
            part = spec.part(case.part)
            want = exercise.reference_function(part)(*copy_value(case.args))
            got = oracle[part.function](*copy_value(case.args))
            worst[part.name] = max(worst.get(part.name, 0.0), used_fraction(got, want, part))
    details = [f"{part}: the oracle uses {fraction:.2e} of the tolerance" for part, fraction in worst.items()]
    summary = f"{spec.oracle} agrees with the reference on {len(seeds)} seeds of hidden cases"
    if all(fraction <= FLOAT64_MARGIN for fraction in worst.values()):
        return Check.passed("oracle", summary, details, used=worst)
    return Check.failed("oracle", f"{spec.oracle} disagrees with the reference", details, used=worst)
