"""The hidden and public cases of exercise `rnn` are what they claim to be, and a function of the seed only."""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

import numpy as np
import pytest

from grader.blas_kernels import fingerprint
from grader.exercise import Case, copy_value
from reference import rnn, rnn_cases

SEEDS = (0, 1, 7, 99, 123456789, 2**63 + 11)
REFERENCE = {"forward": rnn.rnn_forward, "backward": rnn.rnn_backward, "clip": rnn.clip_grad_norm}
RNN_KINDS = {"single_step", "long_vanishing", "long_exploding", "saturated", "zero_h0", "non_square", "random"}
KINDS: dict[str, Any] = ({k.name: k for k, _ in rnn_cases.HIDDEN_RNN_KINDS + rnn_cases.EXTRA_FORWARD_KINDS}
                         | {k.name: k for k in rnn_cases.CLIP_KINDS})


def by_name(cases: list[Case]) -> dict[str, Case]:
    names = [c.name for c in cases]
    assert len(set(names)) == len(names), "case names must be unique"
    return {c.name: c for c in cases}


def leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in leaves(v)]
    if isinstance(value, tuple):
        return [leaf for v in value for leaf in leaves(v)]
    return [value]


def same_tree(a: Any, b: Any) -> bool:
    if isinstance(a, dict):
        return isinstance(b, dict) and list(a) == list(b) and all(same_tree(a[k], b[k]) for k in a)
    if isinstance(a, tuple):
        return isinstance(b, tuple) and len(a) == len(b) and all(map(same_tree, a, b))
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.dtype == b.dtype and np.array_equal(a, b)
    return type(a) is type(b) and a == b


@pytest.fixture(scope="module", params=SEEDS)
def hidden(request: pytest.FixtureRequest) -> dict[str, Case]:
    return by_name(rnn.hidden_cases(request.param))


def test_same_seed_same_cases() -> None:
    for seed in SEEDS[:3]:
        a, b = rnn.hidden_cases(seed), rnn.hidden_cases(seed)
        assert [c.name for c in a] == [c.name for c in b]
        for x, y in zip(a, b, strict=True):
            assert x.description == y.description and x.facts == y.facts
            assert same_tree(x.args, y.args), x.name


def test_different_seeds_different_values() -> None:
    a, b = by_name(rnn.hidden_cases(1)), by_name(rnn.hidden_cases(2))
    assert a.keys() == b.keys()
    for name in a:
        assert not same_tree(a[name].args, b[name].args), name


def test_case_set(hidden: dict[str, Case]) -> None:
    assert 20 <= len(hidden) <= 25
    parts = Counter(c.part for c in hidden.values())
    assert parts == {"forward": 9, "backward": 8, "clip": 6}
    for part in ("forward", "backward"):
        kinds = Counter(c.facts["kind"] for c in hidden.values() if c.part == part)
        assert set(kinds) == (RNN_KINDS | {"extreme"} if part == "forward" else RNN_KINDS) and kinds["random"] == 2
    assert {c.facts["kind"] for c in hidden.values() if c.part == "clip"} == {k.name for k in rnn_cases.CLIP_KINDS}


def test_argument_types(hidden: dict[str, Case]) -> None:
    for case in hidden.values():
        if case.part == "clip":
            grads, max_norm = case.args
            assert isinstance(grads, dict) and type(max_norm) is float and all(isinstance(k, str) for k in grads)
        else:
            assert len(case.args) == 7
        for leaf in leaves(case.args):
            if isinstance(leaf, np.ndarray):
                assert leaf.dtype == np.float64 and leaf.flags.c_contiguous and np.all(np.isfinite(leaf))


def test_descriptions_and_facts_are_safe(hidden: dict[str, Case]) -> None:
    for case in hidden.values():
        assert case.name.startswith(f"{case.part}/")
        assert case.description.en and any("\u4e00" <= ch <= "\u9fff" for ch in case.description.zh)
        json.dumps(dict(case.facts))  # plain data only
        assert all(isinstance(v, int | float | str) for v in case.facts.values())
        # Every number in the text is a fact (a size, a radius, a ratio) or part of the kind's fixed wording.
        kind = KINDS[case.facts["kind"]]
        allowed = {f"{v:.2f}" if k == "spectral_radius" else str(v) for k, v in case.facts.items()}
        for text, fixed in ((case.description.en, kind.en), (case.description.zh, kind.zh)):
            assert set(re.findall(r"[0-9.]*[0-9]", text)) <= allowed | set(re.findall(r"[0-9.]*[0-9]", fixed))


def rnn_sizes(case: Case) -> dict[str, int]:
    if case.part == "forward":
        x, h0, W_xh, W_hh, b_h, W_hy, b_y = case.args
    else:
        dy, x, h0, h, W_xh, W_hh, W_hy = case.args
        assert dy.shape == x.shape[:2] + (W_hy.shape[0],) and h.shape == x.shape[:2] + (W_hh.shape[0],)
    T, B, I = x.shape  # noqa: E741
    H, O = W_hh.shape[0], W_hy.shape[0]  # noqa: E741
    assert h0.shape == (B, H) and W_xh.shape == (H, I) and W_hh.shape == (H, H) and W_hy.shape == (O, H)
    return {"T": T, "B": B, "I": I, "H": H, "O": O}


def hidden_states(case: Case) -> np.ndarray:
    return rnn.rnn_forward(*case.args)[1] if case.part == "forward" else case.args[3]


def test_rnn_cases_are_what_they_claim(hidden: dict[str, Case]) -> None:
    for case in hidden.values():
        if case.part == "clip":
            continue
        kind, sizes = case.facts["kind"], rnn_sizes(case)
        assert {k: case.facts[k] for k in sizes} == sizes
        assert all(v <= limit for v, limit in zip(sizes.values(), (80, 8, 16, 32, 9), strict=True))
        if kind == "single_step":
            assert sizes["T"] == sizes["B"] == 1
        if kind == "non_square":
            assert len({sizes["I"], sizes["H"], sizes["O"]}) == 3
        if kind == "zero_h0":
            assert not np.any(case.args[1] if case.part == "forward" else case.args[2])
        if kind == "saturated":
            assert np.mean(np.abs(hidden_states(case)) > 0.99) > 0.5
        if kind == "extreme":  # past the point where exp(a) overflows, in both signs
            x, h0, W_xh, W_hh, b_h = case.args[:5]
            a = x @ W_xh.T + b_h
            assert np.sum(a > 710) >= 10 and np.sum(a < -710) >= 10
        if kind.startswith("long_"):
            W_hh = case.args[3] if case.part == "forward" else case.args[5]
            radius = float(np.max(np.abs(np.linalg.eigvals(W_hh))))
            assert sizes["T"] >= 64
            assert radius == pytest.approx(case.facts["spectral_radius"], abs=1e-12)  # W_hh scaled exactly
            assert (0.5 <= radius <= 0.9) if kind == "long_vanishing" else (1.1 <= radius <= 1.5)
            assert f"{radius:.2f}" in case.description.en and f"{radius:.2f}" in case.description.zh
        outputs = REFERENCE[case.part](*case.args)
        assert all(np.all(np.isfinite(leaf)) for leaf in leaves(outputs)), case.name


def reach(case: Case) -> float:
    """How much of dL/dy at the last step still arrives at h0 (backward case)."""
    dy = np.zeros_like(case.args[0])
    dy[-1] = case.args[0][-1]
    return float(np.linalg.norm(rnn.rnn_backward(dy, *case.args[1:])["h0"]) / np.linalg.norm(dy))


def test_long_cases_are_well_conditioned_and_exploding_really_reaches_back(hidden: dict[str, Case]) -> None:
    for kind in ("long_vanishing", "long_exploding"):
        x, h0, W_xh, W_hh, b_h, W_hy, b_y = hidden[f"forward/{kind}"].args
        g = rnn_cases.growth(W_hh, rnn.rnn_forward(x, h0, W_xh, W_hh, b_h, W_hy, b_y)[1])
        assert g.max() <= rnn_cases.MAX_GROWTH
        if kind == "long_exploding":
            assert g[-1] >= rnn_cases.MIN_END_GROWTH
    assert reach(hidden["backward/long_vanishing"]) < 1e-10 < 1e-3 < reach(hidden["backward/long_exploding"])


def test_growth_is_the_sensitivity_of_the_forward_map() -> None:
    case = by_name(rnn.hidden_cases(4))["forward/long_exploding"]
    x, h0, W_xh, W_hh, b_h, W_hy, b_y = case.args
    _, h = rnn.rnn_forward(*case.args)
    _, moved = rnn.rnn_forward(x, h0 + 1e-7, W_xh, W_hh, b_h, W_hy, b_y)
    finite_difference = np.max(np.abs(moved - h), axis=(1, 2)) / 1e-7
    np.testing.assert_allclose(rnn_cases.growth(W_hh, h), finite_difference, rtol=1e-3)


def test_backward_gets_the_forwards_h(monkeypatch: pytest.MonkeyPatch) -> None:
    """Backward's h is the forward's hidden states of its own inputs: computed by the generator in portable
    arithmetic (the same bits everywhere), within a few units in the last place of the reference forward's."""
    calls: list[tuple[tuple[np.ndarray, ...], np.ndarray]] = []
    portable_forward = rnn_cases.hidden_states

    def spy(*args: np.ndarray) -> np.ndarray:
        h = portable_forward(*args)
        calls.append((args, h))
        return h

    monkeypatch.setattr(rnn_cases, "hidden_states", spy)
    seed = 5
    spied = rnn_cases.build_hidden_cases(seed)
    monkeypatch.undo()
    assert all(same_tree(a.args, b.args) for a, b in zip(spied, rnn.hidden_cases(seed), strict=True))
    backward = [case for case in spied if case.part == "backward"]
    assert len(backward) == 8
    for case in backward:
        dy, x, h0, h, W_xh, W_hh, W_hy = case.args
        matching = [
            (args, out) for args, out in calls
            if all(np.array_equal(a, b) for a, b in zip((x, h0, W_xh, W_hh), args[:4], strict=True))
        ]
        assert matching, case.name
        (_, _, _, _, b_h), out = matching[-1]
        assert np.array_equal(h, out), case.name
        reference_h = rnn.rnn_forward(x, h0, W_xh, W_hh, b_h, W_hy, np.zeros(W_hy.shape[0]))[1]
        np.testing.assert_allclose(h, reference_h, rtol=0, atol=1e-14, err_msg=case.name)


def test_long_sequences_serve_both_parts(hidden: dict[str, Case]) -> None:
    """A long sequence is drawn once (its forward pass decides whether the draw is kept) for both parts."""
    for kind in ("long_vanishing", "long_exploding"):
        x, h0, W_xh, W_hh, b_h, W_hy, b_y = hidden[f"forward/{kind}"].args
        dy, x_b, h0_b, h, W_xh_b, W_hh_b, W_hy_b = hidden[f"backward/{kind}"].args
        assert all(np.array_equal(a, b) for a, b in ((x, x_b), (h0, h0_b), (W_xh, W_xh_b), (W_hh, W_hh_b),
                                                     (W_hy, W_hy_b)))
        assert np.array_equal(h, rnn_cases.hidden_states(x, h0, W_xh, W_hh, b_h))


def test_clip_cases_sit_where_they_claim(hidden: dict[str, Case]) -> None:
    norms = set()
    for case in (c for c in hidden.values() if c.part == "clip"):
        grads, max_norm = case.args
        norms.add(max_norm)
        total = float(np.sqrt(sum(np.sum(g**2) for g in grads.values())))
        ratio = total / max_norm
        assert ratio == pytest.approx(case.facts["ratio"], rel=1e-12)
        assert case.facts["arrays"] == len(grads)
        clips = max_norm / (total + rnn.CLIP_EPS) < 1.0  # torch's rule
        kind = case.facts["kind"]
        expected_ratio = {"far_below": (0.0, 0.5), "just_below": (0.999, 0.999), "just_above": (1.001, 1.001),
                          "far_above": (5.0, 100.0)}.get(kind, (1.5, 10.0))
        assert expected_ratio[0] <= round(ratio, 9) <= expected_ratio[1], kind
        assert clips == (ratio > 1.0), kind
        if kind == "single_array":
            assert len(grads) == 1
        if kind == "mixed_shapes":
            assert sorted(g.ndim for g in grads.values()) == [1, 2, 3]
        else:
            assert {g.ndim for g in grads.values()} <= {2, 1, 3}
    assert len(norms) == 6 and norms - {5.0}


def test_public_cases() -> None:
    a, b = rnn.public_cases(), rnn.public_cases()
    assert all(same_tree(x.args, y.args) and x.name == y.name for x, y in zip(a, b, strict=True))
    cases = by_name(a)
    assert Counter(c.part for c in cases.values()) == {"forward": 3, "backward": 3, "clip": 3}
    assert not cases.keys() & by_name(rnn.hidden_cases(0)).keys()
    for case in cases.values():
        for leaf in leaves(case.args):
            assert not isinstance(leaf, np.ndarray) or leaf.size <= 200  # small enough to read


def test_references_never_write_to_their_inputs(hidden: dict[str, Case]) -> None:
    for case in hidden.values():
        args = copy_value(case.args)
        for leaf in leaves(args):
            if isinstance(leaf, np.ndarray):
                leaf.flags.writeable = False  # any write now raises
        outputs = REFERENCE[case.part](*args)
        inputs = {id(leaf) for leaf in leaves(args)}
        assert not any(id(leaf) in inputs for leaf in leaves(outputs)), case.name  # fresh arrays only


# blas_kernels.fingerprint of every hidden case of these seeds: a seed names these bits on every machine (the
# generator uses reference.portable only; tests/exercise/test_same_cases_everywhere.py runs it under each BLAS
# kernel). A change here changes the cases of every stored submission: say so in CHANGELOG.md and bump
# grader.grade.GRADER_VERSION.
CASES_OF_SEED = {
    7: "c601d0e96c65e49cc98ac5c40ca0a472d9821c56fd7f2420ad2d155d65f907ec",
    2**63 + 11: "b862aadd54f6bab5df555547063b66ce30df426192e56040e91cdccfe9eeeb22",
}
PUBLIC_CASES = "59d905fcbe640d873edcfdee684ae7bcc9f77b82e689b034e721a4d773f7940e"


@pytest.mark.parametrize("seed", sorted(CASES_OF_SEED))
def test_a_seed_names_these_exact_cases(seed: int) -> None:
    assert fingerprint(rnn.hidden_cases(seed)) == CASES_OF_SEED[seed]


def test_the_public_cases_are_these_exact_cases() -> None:
    assert fingerprint(rnn.public_cases()) == PUBLIC_CASES


@pytest.mark.parametrize("seed", sorted(CASES_OF_SEED))
def test_the_extreme_case_comes_from_its_own_stream(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Adding a forward-only kind left every other case of a seed as it was: it draws from its own stream."""
    cases = rnn.hidden_cases(seed)
    assert [c.name for c in cases if c.facts["kind"] == "extreme"] == ["forward/extreme"]
    monkeypatch.setattr(rnn_cases, "EXTRA_FORWARD_KINDS", ())
    without = rnn.hidden_cases(seed)
    assert fingerprint(without) == fingerprint([c for c in cases if c.facts["kind"] != "extreme"])
