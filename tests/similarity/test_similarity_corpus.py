"""What the numbers mean: on the labelled corpus, every copied pair scores at or above the default threshold
and no independent pair does; the figures in docs/similarity.md are the ones measured here."""

from __future__ import annotations

import itertools
import re

import numpy as np
import pytest
from similarity_corpus import ROOT, as_submission, entries, labelled_pairs, summary, template

import reference.rnn as reference
from server.similarity.compute import compute_shares
from server.similarity.report import DEFAULT_THRESHOLD
from server.similarity.winnow import pair_similarity

DOCS = ROOT / "docs" / "similarity.md"


@pytest.fixture(scope="module")
def scores() -> dict[tuple[str, str], float]:
    corpus = entries()
    shares = compute_shares(template(), [as_submission(e.code) for e in corpus])
    similarity = pair_similarity(shares)
    return {(a.name, b.name): float(similarity[i, j])
            for (i, a), (j, b) in itertools.combinations(enumerate(corpus), 2)}


def _inputs(seed: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    T, B, n_in, H, n_out = 6, 3, 4, 5, 2
    return (rng.normal(size=(T, B, n_in)), rng.normal(size=(B, H)), rng.normal(size=(H, n_in)) * 0.5,
            rng.normal(size=(H, H)) * 0.5, rng.normal(size=H), rng.normal(size=(n_out, H)), rng.normal(size=n_out))


@pytest.mark.parametrize("entry", entries(), ids=lambda e: e.name)
def test_every_corpus_file_is_a_correct_solution(entry: object, capsys: pytest.CaptureFixture[str]) -> None:
    """The corpus is real work: each file (our own test fixture, trusted) passes the reference."""
    namespace: dict[str, object] = {}
    exec(compile(entry.code, entry.name, "exec"), namespace)  # type: ignore[attr-defined]
    x, h0, W_xh, W_hh, b_h, W_hy, b_y = _inputs(7)
    want_y, want_h = reference.rnn_forward(x, h0, W_xh, W_hh, b_h, W_hy, b_y)
    got_y, got_h = namespace["rnn_forward"](x, h0, W_xh, W_hh, b_h, W_hy, b_y)  # type: ignore[operator]
    assert np.allclose(got_y, want_y) and np.allclose(got_h, want_h)
    dy = np.random.default_rng(8).normal(size=want_y.shape)
    want = reference.rnn_backward(dy, x, h0, want_h, W_xh, W_hh, W_hy)
    got = namespace["rnn_backward"](dy, x, h0, want_h, W_xh, W_hh, W_hy)  # type: ignore[operator]
    assert set(got) == set(want) and all(np.allclose(got[k], want[k]) for k in want)
    for max_norm in (0.1, 1e6):
        want_clipped, want_norm = reference.clip_grad_norm(want, max_norm)
        got_clipped, got_norm = namespace["clip_grad_norm"](want, max_norm)  # type: ignore[operator]
        assert got_norm == pytest.approx(want_norm)
        assert all(np.allclose(got_clipped[k], want_clipped[k]) for k in want)
    capsys.readouterr()  # the disguised copies print debug lines


def test_corpus_has_many_independent_styles_and_every_disguise() -> None:
    corpus = entries()
    originals = {e.group for e in corpus if not e.copy}
    assert len(originals) >= 8
    copies = [e for e in corpus if e.copy]
    assert {e.group for e in copies} <= originals
    disguises = " ".join(e.name for e in copies)
    for kind in ("renamed", "reordered", "comments", "prints", "comprehensions", "loops", "all_disguises"):
        assert kind in disguises, kind


def test_copies_score_above_the_default_threshold_and_independent_pairs_below(
    scores: dict[tuple[str, str], float],
) -> None:
    independent, copied = labelled_pairs(scores)
    assert copied and independent
    assert min(copied) >= DEFAULT_THRESHOLD, sorted(copied)[:3]
    assert max(independent) < DEFAULT_THRESHOLD, sorted(independent)[-3:]


def _documented(kind: str) -> tuple[int, float, float, float]:
    match = re.search(rf"^\| {kind} pairs \| (\d+) \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \|", DOCS.read_text("utf-8"),
                      re.MULTILINE)
    assert match is not None, f"no '{kind} pairs' row in {DOCS}"
    return int(match[1]), float(match[2]), float(match[3]), float(match[4])


def test_the_documented_distribution_is_the_measured_one(scores: dict[tuple[str, str], float]) -> None:
    independent, copied = labelled_pairs(scores)
    for kind, values in (("independent", independent), ("copied", copied)):
        n, low, median, high = summary(values)
        assert _documented(kind) == (n, round(low, 2), round(median, 2), round(high, 2)), kind


def test_a_student_who_only_touched_the_template_shares_nothing_with_another() -> None:
    """The template is boilerplate: two near-untouched templates are not similar at all."""
    text = template()
    one = text.replace('raise NotImplementedError("rnn_forward")', "return None, None")
    two = text.replace('raise NotImplementedError("clip_grad_norm")', "return {}, 0.0")
    shares = compute_shares(text, [one, two, text])
    assert pair_similarity(shares).max() == 0.0

