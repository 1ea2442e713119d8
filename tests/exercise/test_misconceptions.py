"""Every catalogued mistake, submitted as a student's solution through the real grader (LocalRunner), is named
in the feedback of its part; the correct solution triggers none; no feedback shows a hidden number.

Each submission is the correct solution (tests/solutions/correct_rnn.py) with one function per part replaced
by a mutant's source text (reference.rnn_mutants), so one grading run checks three mutants at once.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from grader.exercise import Exercise, copy_value, load_exercises
from grader.grade import Grader
from grader.result import Outcome, Result, Text
from grader.runner import LocalRunner
from reference import rnn_feedback
from reference.rnn_mutants import BACKWARD, MISCONCEPTIONS, PART_OF, Misconception, Variant

SEEDS = (11, 12)
CORRECT = (Path(__file__).resolve().parents[1] / "solutions" / "correct_rnn.py").read_text(encoding="utf-8")


def with_functions(source: str, replacements: dict[str, str]) -> str:
    """`source` with each named top-level function replaced by the given function source text."""
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    spans = {n.name: (n.lineno - 1, n.end_lineno or n.lineno) for n in tree.body if isinstance(n, ast.FunctionDef)}
    for name in sorted(replacements, key=lambda n: spans[n][0], reverse=True):
        start, end = spans[name]
        lines[start:end] = [replacements[name] if replacements[name].endswith("\n") else replacements[name] + "\n"]
    return "".join(lines)


# A mistake written in many ways that differ only in a constant (truncated BPTT: one variant per k) is
# submitted in a few of them here; tests/exercise/test_named_mistakes.py names the others on the hook.
MAX_VARIANTS_SUBMITTED = 6


def _all_variants() -> list[tuple[Misconception, Variant]]:
    out = []
    for m in MISCONCEPTIONS:
        step = -(-len(m.variants) // MAX_VARIANTS_SUBMITTED)
        out += [(m, v) for v in m.variants[::step]]
    return out


def _submissions() -> list[dict[str, tuple[Misconception, Variant]]]:
    """Pack every variant into as few submissions as possible: at most one per contract function."""
    queues: dict[str, list[tuple[Misconception, Variant]]] = {}
    for m, v in _all_variants():
        queues.setdefault(v.function, []).append((m, v))
    out = []
    while any(queues.values()):
        out.append({f: q.pop(0) for f, q in queues.items() if q})
    return out


SUBMISSIONS = _submissions()


@pytest.fixture(scope="module")
def exercise() -> Exercise:
    found = load_exercises()["rnn"]
    assert found.hooks is rnn_feedback  # the spec's `feedback` names this module
    return found


@pytest.fixture(scope="module")
def graded(exercise: Exercise) -> dict[tuple[int, int], Result]:
    """(submission index, seed) -> Result; the correct solution is index -1."""
    grader = Grader({"rnn": exercise}, LocalRunner())
    results = {}
    for seed in SEEDS:
        results[(-1, seed)] = grader.grade("rnn", CORRECT, seed)
        for i, sub in enumerate(SUBMISSIONS):
            source = with_functions(CORRECT, {f: v.source for f, (_, v) in sub.items()})
            results[(i, seed)] = grader.grade("rnn", source, seed)
    return results


def _texts(result: Result) -> Iterator[Text]:
    yield from result.feedback
    for p in result.parts:
        yield from p.feedback
        for t in p.tests:
            yield from t.feedback


def test_the_catalogue_has_at_least_fifteen_named_mistakes_over_every_part() -> None:
    assert len(MISCONCEPTIONS) >= 15
    assert {m.part for m in MISCONCEPTIONS} == {"forward", "backward", "clip", "any"}
    assert len({m.name for m in MISCONCEPTIONS}) == len(MISCONCEPTIONS)
    assert {"mutates_inputs", "float32_precision"} <= {m.name for m in MISCONCEPTIONS}
    assert len(SUBMISSIONS) < len(_all_variants())  # the packing saves grading runs


def test_the_correct_solution_passes_and_triggers_no_misconception(graded: dict[tuple[int, int], Result]) -> None:
    for seed in SEEDS:
        result = graded[(-1, seed)]
        assert result.score == result.max_score
        for p in result.parts:
            assert p.feedback == []
            assert all(t.misconceptions == [] and t.outcome is Outcome.passed for t in p.tests)


@pytest.mark.parametrize("index", range(len(SUBMISSIONS)))
def test_each_mutant_is_named_in_its_part(graded: dict[tuple[int, int], Result], index: int) -> None:
    for function, (m, v) in SUBMISSIONS[index].items():
        part = PART_OF[function]
        named_in = []
        for seed in SEEDS:
            tests = next(p for p in graded[(index, seed)].parts if p.name == part).tests
            for t in tests:
                if m.name not in t.misconceptions:
                    continue
                named_in.append(t.name)
                # In-place mutation is named even when the answer is right (torch clips in place too).
                assert t.outcome is Outcome.wrong_answer or m.by_harness
                if not m.by_harness:
                    # The part names the mistake once, in both languages, with its hint and this test; the
                    # test's own lines do not repeat the paragraph.
                    grouped = next(p for p in graded[(index, seed)].parts if p.name == part).mistakes
                    said = [g for g in grouped if g.name == m.name]
                    assert len(said) == 1 and t.name in said[0].tests
                    assert m.title.en in said[0].message.en and m.title.zh in said[0].message.zh
                    assert said[0].hint == m.hint
                    assert not any(m.hint.en in f.en for f in t.feedback)
                else:
                    assert "in place" in t.feedback_text("en") and "原地修改" in t.feedback_text("zh")
                # Everything named belongs to this part (or to every part).
                assert all(n == "mutates_inputs" or n.startswith(f"{part}.") or n == "float32_precision"
                           for n in t.misconceptions), t.misconceptions
        assert named_in, f"{m.name} ({v.source.splitlines()[0]}) never named in part {part}"


def test_the_canonical_mutant_of_each_misconception_is_named_on_every_seed(
    graded: dict[tuple[int, int], Result],
) -> None:
    """The first variant (what the teacher view shows as the example) on each seed, not only on one."""
    for index, sub in enumerate(SUBMISSIONS):
        for function, (m, v) in sub.items():
            if v is not m.variants[0] or m.name == "clip.max_norm_below_one_ignored":
                continue  # (that one needs a max_norm < 1 on a clipping case: not every seed has one)
            part = PART_OF[function]
            for seed in SEEDS:
                tests = next(p for p in graded[(index, seed)].parts if p.name == part).tests
                assert any(m.name in t.misconceptions for t in tests), (m.name, seed)


def test_a_submission_with_two_independent_mistakes_in_one_function_gets_both_named(exercise: Exercise) -> None:
    backward = Variant(BACKWARD, (("dW_hh += da.T @ h_prev", "dW_hh += da.T @ h[t]"),
                                  ('"h0": dh_next}', '"h0": np.zeros_like(h0)}')))
    source = with_functions(CORRECT, {BACKWARD: backward.source})
    result = Grader({"rnn": exercise}, LocalRunner()).grade("rnn", source, SEEDS[0])
    tests = next(p for p in result.parts if p.name == "backward").tests
    assert all(t.outcome is Outcome.wrong_answer for t in tests)
    assert all(set(t.misconceptions) == {"backward.dw_hh_uses_h_t", "backward.dh0_missing"} for t in tests)


# ---------------------------------------------------------------- nothing hidden leaks into the feedback

_NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")


def significant_digits(token: str) -> int:
    mantissa = re.split(r"[eE]", token.lstrip("+-"))[0]
    digits = mantissa.replace(".", "").lstrip("0")
    return len(digits.rstrip("0")) if "." not in mantissa else len(digits)


def leaked_numbers(text: str, values: np.ndarray[Any, Any], min_digits: int = 4) -> list[str]:
    """Numbers in `text` with >= min_digits significant digits that equal some entry of `values` rounded to
    that many digits."""
    found = []
    magnitudes = np.abs(values)
    for token in _NUMBER.findall(text):
        d = significant_digits(token)
        if d < min_digits:
            continue
        x = abs(float(token))
        if x == 0 or not math.isfinite(x):
            continue
        half_ulp = 0.5 * 10 ** (math.floor(math.log10(x)) - d + 1)
        if np.any(np.abs(magnitudes - x) <= half_ulp * (1 + 1e-9)):
            found.append(token)
    return found


def _hidden_values(exercise: Exercise, seed: int) -> np.ndarray[Any, Any]:
    chunks: list[np.ndarray[Any, Any]] = []

    def walk(v: Any) -> None:
        if isinstance(v, np.ndarray):
            chunks.append(v.ravel().astype(np.float64))
        elif isinstance(v, dict):
            for x in v.values():
                walk(x)
        elif isinstance(v, tuple | list):
            for x in v:
                walk(x)
        elif isinstance(v, float | int):
            chunks.append(np.array([float(v)]))

    for case in exercise.hidden_cases(seed):
        walk(case.args)
        walk(exercise.reference_function(exercise.spec.part(case.part))(*copy_value(case.args)))
    values = np.concatenate(chunks)
    finite: np.ndarray[Any, Any] = values[np.isfinite(values)]
    return finite


def test_the_leak_scanner_finds_a_planted_value() -> None:
    values = np.array([0.123456789, -42.4242, 3.0])
    assert leaked_numbers("expected 0.1235 here", values) == ["0.1235"]
    assert leaked_numbers("got -42.42 and 1.235e-01", values) == ["-42.42", "1.235e-01"]
    assert leaked_numbers("rel error 1.23e-05, t=3, rtol=1e-09", values) == []


def test_no_feedback_contains_a_number_from_hidden_inputs_or_reference_outputs(
    exercise: Exercise, graded: dict[tuple[int, int], Result],
) -> None:
    for seed in SEEDS:
        values = _hidden_values(exercise, seed)
        for (index, s), result in graded.items():
            if s != seed:
                continue
            for text in _texts(result):
                for lang in (text.en, text.zh):
                    assert leaked_numbers(lang, values) == [], (index, lang)
