"""The checks of `exercise validate` that grade code through the real grader and sandbox: the base solution gets
full marks, every catalogued mutant loses points on some hidden case and is named as itself, the template fails
gracefully (and its own self-check runs), and the gradcheck declaration accepts the base solution."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from grader.authoring.report import Check
from grader.gradcheck import gradcheck_source
from grader.grade import Grader
from grader.mutant_patches import replace_functions
from grader.result import Outcome, Result

# A mutant is graded on these seeds in turn until one shows its mistake (most do on the first).
MUTANT_SEEDS = (1, 2, 3)
TEMPLATE_SEED = 1
SELF_CHECK_TIMEOUT_S = 120.0


def _named(result: Result, part: str) -> set[str]:
    named = {n for p in result.parts if p.name == part for t in p.tests for n in t.misconceptions}
    return named | {m.name for p in result.parts if p.name == part for m in p.mistakes}


def _part_score(result: Result, part: str) -> tuple[float, float]:
    found = next(p for p in result.parts if p.name == part)
    return found.score, found.max_score


def _packed(misconceptions: Sequence[Any]) -> list[dict[str, tuple[Any, Any]]]:
    """Every variant, at most one per function in each submission: the parts are graded apart, so one grading
    checks one mutant of each function."""
    queues: dict[str, list[tuple[Any, Any]]] = {}
    for m in misconceptions:
        for v in m.variants:
            queues.setdefault(v.function, []).append((m, v))
    out = []
    while any(queues.values()):
        out.append({f: q.pop(0) for f, q in queues.items() if q})
    return out


def check_mutants(grader: Grader, exercise_id: str, mutants: ModuleType | None) -> Check:
    """BASE_SOURCE scores full marks with nothing named; each variant of each MISCONCEPTION, in BASE_SOURCE,
    loses points in its part on some hidden case and is named there (a mistake the harness names, such as
    changing inputs in place, keeps a right answer right and needs only to be named)."""
    if mutants is None:
        return Check.failed("mutants", "the spec declares no `mutants` module (BASE_SOURCE and MISCONCEPTIONS): "
                            "nothing proves the named mistakes are caught")
    base, misconceptions = getattr(mutants, "BASE_SOURCE", None), getattr(mutants, "MISCONCEPTIONS", None)
    if not isinstance(base, str) or not misconceptions:
        return Check.failed("mutants", f"{mutants.__name__} lacks BASE_SOURCE or MISCONCEPTIONS")
    exercise = grader.exercise(exercise_id)
    part_of = {p.function: p.name for p in exercise.spec.parts}
    correct = grader.grade(exercise_id, base, MUTANT_SEEDS[0])
    problems = []
    if correct.score != correct.max_score or any(_named(correct, p.name) for p in exercise.spec.parts):
        problems.append(f"BASE_SOURCE scores {correct.score}/{correct.max_score} and names "
                        f"{sorted(n for p in exercise.spec.parts for n in _named(correct, p.name))}")
    caught: dict[str, int] = {}
    total = 0
    for submission in _packed(misconceptions):
        source = replace_functions(base, {f: v.source for f, (_, v) in submission.items()})
        pending = dict(submission)
        for seed in MUTANT_SEEDS:
            result = grader.grade(exercise_id, source, seed)
            for function, (m, _v) in list(pending.items()):
                part = part_of.get(function)
                if part is None:
                    continue
                score, points = _part_score(result, part)
                if m.name in _named(result, part) and (score < points or m.by_harness):
                    caught[m.name] = caught.get(m.name, 0) + 1
                    del pending[function]
            if not pending:
                break
        total += len(submission)
        for function, (m, v) in pending.items():
            why = "its function is no part's" if function not in part_of else (
                f"not named as itself on seeds {list(MUTANT_SEEDS)} (named: "
                f"{sorted(_named(result, part_of[function]))}, part score "
                f"{_part_score(result, part_of[function])[0]:g}/{_part_score(result, part_of[function])[1]:g})")
            problems.append(f"{m.name} ({function}: {v.source.strip().splitlines()[-1].strip()[:60]}): {why}")
    summary = (f"{total - len(problems)} of {total} mutants ({len(misconceptions)} named mistakes) lose points and "
               f"are named as themselves in the sandbox")
    if problems:
        return Check.failed("mutants", summary, problems, caught=caught)
    return Check.passed("mutants", summary, caught=caught, variants=total)


def check_template(grader: Grader, exercise_id: str, scratch: Path) -> Check:
    """The starter file, graded as submitted: no grader error, every test failed with its own feedback, score 0;
    and its self-check (python FILE, next to the public examples) runs and exits 0."""
    spec = grader.exercise(exercise_id).spec
    source = spec.template_path.read_text(encoding="utf-8")
    result = grader.grade(exercise_id, source, TEMPLATE_SEED)
    tests = [t for p in result.parts for t in p.tests]
    problems = [f"{t.name}: {t.outcome.value}" for t in tests if t.outcome is Outcome.internal_error]
    problems += [f"{t.name}: no feedback" for t in tests if not t.feedback]
    if result.score != 0:
        problems.append(f"the template scores {result.score}/{result.max_score}: students would get points for nothing")
    outcomes = sorted({t.outcome.value for t in tests})
    if "if __name__ ==" in source:
        shutil.copyfile(spec.template_path, scratch / spec.template_path.name)
        shutil.copyfile(spec.public_examples_path, scratch / spec.public_examples_path.name)
        done = subprocess.run([sys.executable, spec.template_path.name], cwd=scratch, capture_output=True, text=True,
                              timeout=SELF_CHECK_TIMEOUT_S, check=False)
        if done.returncode != 0:
            problems.append(f"its self-check `python {spec.template_path.name}` exits {done.returncode}: "
                            f"{done.stderr.strip()[-300:]}")
    summary = f"graded as submitted: {result.score:g}/{result.max_score:g}, outcomes {outcomes}"
    return Check.failed("template", summary, problems) if problems else Check.passed("template", summary)


def check_gradcheck(grader: Grader, exercise_id: str, mutants: ModuleType | None) -> Check:
    """If the spec declares a forward/backward pair: BASE_SOURCE passes `rnn-grader gradcheck`, and the template
    stops it with exit status 2 (nothing to compare yet), never a crash."""
    spec = grader.exercise(exercise_id).spec
    if spec.gradcheck is None:
        return Check.skip("gradcheck", "no [gradcheck] pair declared")
    problems = []
    base = getattr(mutants, "BASE_SOURCE", None) if mutants is not None else None
    if isinstance(base, str):
        report = gradcheck_source(base, "base.py", spec.gradcheck, exercise=exercise_id)
        if not report.ok:
            problems.append(f"BASE_SOURCE: {report.verdict.en}")
    template = gradcheck_source(spec.template_path.read_text(encoding="utf-8"), spec.student_file, spec.gradcheck,
                                exercise=exercise_id)
    if template.exit_code != 2:
        problems.append(f"the template: exit status {template.exit_code}, expected 2 ({template.verdict.en})")
    pair = f"{spec.gradcheck.backward}() against finite differences of {spec.gradcheck.forward}()"
    if problems:
        return Check.failed("gradcheck", pair, problems)
    return Check.passed("gradcheck", f"{pair}: the base solution passes, the template stops with exit status 2")
