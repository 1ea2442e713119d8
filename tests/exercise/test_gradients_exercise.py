"""Exercise 02 (`rnn_gradients`): its cases are what the spec promises (both sides of spectral radius 1, long and
short, saturated units, every truncation regime; W_hh's radius exactly as stated), its reference agrees with an
independent solution, with PyTorch and with the definitions, its catalogue and texts are bilingual, and every
mistake it catalogues is named when submitted through the real grader."""

from __future__ import annotations

import ast
import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from grader.exercise import Exercise, copy_value, load_exercises
from grader.grade import Grader
from grader.result import Result
from grader.runner import LocalRunner
from reference import gradients, gradients_feedback, gradients_torch
from reference.gradients_cases import build_hidden_cases, recurrent_matrix
from reference.gradients_chart import chart, chart_cases
from reference.gradients_mutants import BASE_SOURCE, MISCONCEPTIONS, PART_OF

SOLUTION = (Path(__file__).resolve().parents[1] / "solutions" / "correct_rnn_gradients.py").read_text(encoding="utf-8")
SEEDS = (0, 1, 2, 3, 2**40 + 7)


@pytest.fixture(scope="module")
def exercise() -> Exercise:
    return load_exercises()["rnn_gradients"]


def _solution() -> dict[str, Any]:
    namespace: dict[str, Any] = {}
    exec(compile(SOLUTION, "correct_rnn_gradients.py", "exec"), namespace)
    return namespace


def _leaves(value: Any) -> Iterator[np.ndarray[Any, Any]]:
    if isinstance(value, dict):
        for key in sorted(value):
            yield from _leaves(value[key])
    elif isinstance(value, tuple):
        for item in value:
            yield from _leaves(item)
    else:
        yield np.asarray(value, dtype=np.float64)


def test_the_hidden_cases_cover_what_the_spec_promises() -> None:
    for seed in SEEDS:
        cases = build_hidden_cases(seed)
        assert [c.part for c in cases].count("norms") == 7 and len(cases) == 25
        radii = {c.facts["kind"]: c.facts["spectral_radius"] for c in cases if c.part == "norms"}
        assert radii["long_vanishing"] < 1 < radii["long_exploding"] and radii["saturated"] > 1
        lengths = [c.facts["T"] for c in cases]
        assert min(lengths) == 1 and max(lengths) >= 40
        truncated = {c.facts["kind"]: (c.facts["T"], c.facts["k"]) for c in cases if c.part == "truncated"}
        assert truncated["k_one"][1] == 1 and truncated["k_full"][1] >= truncated["k_full"][0]
        assert truncated["k_divides"][0] % truncated["k_divides"][1] == 0
        assert truncated["k_remainder"][0] % truncated["k_remainder"][1] != 0
        saturated = next(c for c in cases if c.part == "norms" and c.facts["kind"] == "saturated").args[1]
        assert np.all(1 - np.abs(saturated) <= 2.0**-3)


def test_w_hh_has_exactly_the_stated_spectral_radius_and_is_not_normal() -> None:
    rng = np.random.default_rng(7)
    for H in (1, 2, 5, 16):
        for radius in (0.5, 0.99, 1.01, 1.4):
            W = recurrent_matrix(rng, H, radius, 2.0)
            assert abs(np.max(np.abs(np.linalg.eigvals(W))) - radius) < 1e-12
            if H > 2:
                assert np.linalg.norm(W, 2) > radius * 1.05  # the coupling makes it non-normal


def test_the_same_seed_gives_the_same_bits() -> None:
    for a, b in zip(build_hidden_cases(5), build_hidden_cases(5), strict=True):
        assert a.name == b.name and a.facts == b.facts
        for x, y in zip(_leaves(a.args), _leaves(b.args), strict=True):
            assert x.tobytes() == y.tobytes()


def test_the_reference_agrees_with_an_independent_solution_and_with_pytorch(exercise: Exercise) -> None:
    solution = _solution()
    for seed in SEEDS:
        for case in exercise.hidden_cases(seed):
            part = exercise.spec.part(case.part)
            want = exercise.reference_function(part)(*copy_value(case.args))
            for other in (solution[part.function], getattr(gradients_torch, part.function)):
                got = other(*copy_value(case.args))
                for g, w in zip(_leaves(got), _leaves(want), strict=True):
                    assert g.shape == w.shape
                    assert np.allclose(g, w, rtol=part.rtol / 10, atol=part.atol), case.name


def test_the_reference_is_the_definition_on_a_small_case() -> None:
    """grad_norms is the norm of dL/dh_t, computed here with explicit Jacobian matrices; the bound bounds it."""
    rng = np.random.default_rng(3)
    T, B, H = 6, 2, 4
    h, W, g = rng.uniform(-0.9, 0.9, (T, B, H)), recurrent_matrix(rng, H, 1.2, 0.5), rng.standard_normal((B, H))
    norms = gradients.grad_norms(g, h, W)
    jac, bound = gradients.jacobian_bound(h, W)
    for b in range(B):
        grad = g[b]
        for t in range(T, 0, -1):
            J = np.diag(1 - h[t - 1, b] ** 2) @ W
            assert np.isclose(jac[t - 1, b], np.linalg.svd(J, compute_uv=False)[0])
            grad = J.T @ grad
            assert np.isclose(norms[t - 1, b], np.linalg.norm(grad))
            assert norms[t - 1, b] <= bound[t - 1, b] * norms[T, b] * (1 + 1e-12)
    # truncation with k >= T is the exact gradient; with k = 1 only each step's own term reaches its drive
    dh, h0 = rng.standard_normal((T, B, H)), rng.uniform(-0.9, 0.9, (B, H))
    full = gradients.truncated_bptt(dh, h0, h, W, T)
    local = gradients.truncated_bptt(dh, h0, h, W, 1)
    assert np.allclose(local["a"], dh * (1 - h**2))
    assert not np.allclose(full["a"][:-1], local["a"][:-1]) and np.allclose(full["a"][-1], local["a"][-1])


def _cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_every_mistake_and_message_is_bilingual_and_every_mutant_is_student_code() -> None:
    assert len(MISCONCEPTIONS) >= 15 and len({m.name for m in MISCONCEPTIONS}) == len(MISCONCEPTIONS)
    assert {m.part for m in MISCONCEPTIONS} == {*PART_OF.values(), "any"}
    ast.parse(BASE_SOURCE)
    for m in MISCONCEPTIONS:
        for t in (m.title, m.hint):
            assert t.en.strip() and _cjk(t.zh) and not _cjk(t.en), m.name
        assert m.name.startswith(f"{m.part}.") or m.part == "any", m.name
        for v in m.variants:
            tree = ast.parse(v.source)
            assert [type(n) for n in tree.body] == [ast.FunctionDef] and v.source != v.base, m.name
    fields = string.Formatter()
    for key, entry in gradients_feedback.CATALOG.items():
        assert _cjk(entry["zh"]) and not _cjk(entry["en"]), key
        assert {f for _, f, _, _ in fields.parse(entry["en"]) if f} == {f for _, f, _, _ in fields.parse(entry["zh"])
                                                                        if f}, key
    entries = gradients_feedback.misconception_catalogue()
    assert [e["name"] for e in entries] == [m.name for m in MISCONCEPTIONS] and all(e["example"] for e in entries)


def test_the_chart_draws_the_norm_against_the_distance_in_time() -> None:
    cases = chart_cases()
    assert all(not c.scored for c in cases) and len(cases) == 3
    reference = [gradients.grad_norms(*c.args) for c in cases]
    drawn = chart([reference[0], None, "nonsense"], reference, cases).as_json()
    (the_chart,) = drawn["charts"]  # type: ignore[misc]
    assert the_chart["y_scale"] == "log" and the_chart["x"][0] == 0.0 and len(the_chart["x"]) == 31
    vanishing, exploding, saturated = (p["series"] for p in the_chart["panels"])
    ref = vanishing[0]["y"]
    assert ref[0] > ref[-1] * 10  # vanishes with the distance
    assert exploding[0]["y"][-1] > exploding[0]["y"][0] * 10  # explodes
    assert saturated[0]["y"][-1] < saturated[0]["y"][0] / 1e6  # saturation wins over a radius above 1
    assert vanishing[1]["y"] == ref and all(v is None for v in exploding[1]["y"] + saturated[1]["y"])


@pytest.fixture(scope="module")
def graded(exercise: Exercise) -> dict[str, Result]:
    """Every variant submitted (in BASE_SOURCE) through the real grader on one seed, and the correct solution."""
    grader = Grader({"rnn_gradients": exercise}, LocalRunner())
    try:
        results = {"correct": grader.grade("rnn_gradients", SOLUTION, 11)}
        for m in MISCONCEPTIONS:
            for k, v in enumerate(m.variants):
                results[f"{m.name}#{k}"] = grader.grade("rnn_gradients", v.submission(), 11)
        return results
    finally:
        grader.close()


@pytest.mark.slow
def test_every_mistake_is_named_and_the_correct_solution_gets_full_marks(graded: dict[str, Result]) -> None:
    correct = graded.pop("correct")
    assert correct.score == correct.max_score == 100
    assert not any(t.misconceptions for p in correct.parts for t in p.tests)
    for key, result in graded.items():
        name = key.split("#")[0]
        m = next(x for x in MISCONCEPTIONS if x.name == name)
        named = {n for p in result.parts for t in p.tests for n in t.misconceptions}
        assert name in named, (key, named)
        assert result.score < result.max_score or m.by_harness, key
