"""The engine's parts on their own: normalised tokens, winnowing's guarantee, coverage, matching spans, and
the saved report."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import numpy as np
import pytest

from server.similarity.regions import matching_spans, pair_regions
from server.similarity.report import Member, Report, load, report_key, save
from server.similarity.tokens import normalised_tokens
from server.similarity.winnow import (
    K_TOKENS,
    WINDOW,
    fingerprint,
    kgram_hashes,
    pair_similarity,
    share_matrix,
    template_hashes,
    winnow,
)

NONE = np.zeros(0, dtype=np.uint64)
CODE = '''
def step(x_t, h_prev, W_xh, W_hh, b_h):
    """One step."""
    z = x_t @ W_xh.T + h_prev @ W_hh.T + b_h  # pre-activation
    return np.tanh(z), (x_t, h_prev)
'''


def test_renaming_comments_and_strings_do_not_change_the_tokens() -> None:
    disguised = CODE.replace("x_t", "inp").replace("h_prev", "state").replace("pre-activation", "hmm")
    disguised = disguised.replace('"""One step."""', "'''Does a step'''").replace("    z", "\n\n    z")
    assert normalised_tokens(disguised).text == normalised_tokens(CODE).text
    assert "tanh" not in normalised_tokens(CODE).text and "return" in normalised_tokens(CODE).text
    assert "len" in normalised_tokens("n = len(x)").text  # builtins and keywords stay


def test_spans_point_at_the_source_and_broken_code_still_tokenizes() -> None:
    tokens = normalised_tokens(CODE)
    assert [CODE[s:e] for s, e in zip(tokens.starts[:3], tokens.ends[:3], strict=True)] == ["def", "step", "("]
    broken = 'def f(x:\n  return "unterminated\n\tif ((\n'
    assert normalised_tokens(broken).text[:5] == ("def", "V", "(", "V", ":")
    assert normalised_tokens("").text == ()


def test_winnowing_always_sees_a_long_enough_shared_run() -> None:
    """The guarantee: any common run of K_TOKENS + WINDOW - 1 tokens shares a fingerprint."""
    rng = random.Random(3)
    words = [f"v{i}" for i in range(40)] + ["+", "*", "(", ")", "return", "for", "in"]
    for _ in range(50):
        shared = " ".join(rng.choice(words[40:]) + " " + str(rng.randrange(9)) for _ in range(K_TOKENS + WINDOW))
        a = " ".join(str(rng.randrange(1000)) for _ in range(rng.randrange(60))) + " ; " + shared + " ; 7"
        b = "8 ; " + shared + " ; " + " ".join(str(rng.randrange(1000)) for _ in range(rng.randrange(60)))
        fa, fb = fingerprint(a, NONE), fingerprint(b, NONE)
        assert set(fa.hashes.tolist()) & set(fb.hashes.tolist())


def test_winnow_picks_one_minimum_per_window() -> None:
    hashes = np.array([5, 3, 9, 3, 8, 1, 7, 7], dtype=np.uint64)
    picked = winnow(hashes, 4)
    assert picked.tolist() == [3, 5]  # the rightmost minimum of each window, each once
    assert winnow(np.array([4, 2], dtype=np.uint64), 4).tolist() == [1]
    assert winnow(NONE, 4).tolist() == []


def test_shares_count_covered_tokens_once_and_ignore_the_template() -> None:
    own = "\n".join(f"a{i} = b{i} * {i} + c{i} ** {i % 7} - d{i}" for i in range(30))
    other = "\n".join(f"q = {i} % {i} // {i}" for i in range(30))
    half = own[: len(own) // 2] + "\n" + other[len(other) // 2 :]
    shares = share_matrix([fingerprint(own, NONE), fingerprint(own, NONE), fingerprint(other, NONE),
                           fingerprint(half, NONE)])
    assert shares[0, 1] == pytest.approx(1.0) and shares[0, 2] == 0.0
    assert 0.35 < shares[0, 3] < 0.65 and 0.35 < shares[3, 0] < 0.65
    assert np.all(np.diag(shares) == 0.0)
    assert np.allclose(pair_similarity(shares), pair_similarity(shares).T)
    # the same two files, with `own` as the template: nothing of it counts any more
    template = template_hashes(own)
    assert share_matrix([fingerprint(own, template), fingerprint(own + "\n" + other, template)]).max() == 0.0


def test_matching_spans_number_both_sides_alike() -> None:
    a = CODE + "\n" + "\n".join(f"v{i} = np.sum(w * {i}) / len(q)" for i in range(20))
    b = "import os\n" + a.replace("x_t", "xx").replace("W_hh", "U")
    spans_a, spans_b = matching_spans(fingerprint(a, NONE), fingerprint(b, NONE))
    assert spans_a and spans_b and spans_a[0].label == 1
    assert {s.label for s in spans_b} <= {s.label for s in spans_a}
    assert all(0 <= s.start < s.end <= len(b) for s in spans_b)
    assert "import os" not in "".join(b[s.start : s.end] for s in spans_b)
    regions = pair_regions(a, b, template_hashes(CODE))
    assert regions.template_a and regions.template_a[0].start == a.index("def")
    assert 0 < regions.share_a <= 1


def test_kgram_hashes_are_stable_across_processes() -> None:
    """Fixed values: Python's salted str hash would change them from one process to the next."""
    hashes = kgram_hashes(normalised_tokens("a = b + c"), 2)
    assert hashes.dtype == np.uint64 and len(hashes) == 4
    assert hashes.tolist() == kgram_hashes(normalised_tokens("x = y + z"), 2).tolist()
    assert len(set(hashes.tolist())) == 4


def _report(n: int) -> Report:
    members = tuple(Member(f"s{i}", 10 + i) for i in range(n))
    shares = np.random.default_rng(0).random((n, n))
    np.fill_diagonal(shares, 0)
    return Report("rnn", report_key(members, "template"), members, shares, dt.datetime.now(dt.UTC), 1.5)


def test_report_pairs_are_sorted_filtered_and_oriented() -> None:
    report = _report(5)
    pairs = report.pairs(0.0)
    assert len(pairs) == 10
    assert [p.similarity for p in pairs] == sorted((p.similarity for p in pairs), reverse=True)
    assert all(p.student_a < p.student_b and p.similarity == max(p.share_a, p.share_b) for p in pairs)
    assert all(p.similarity >= 0.7 for p in report.pairs(0.7))
    assert len(report.pairs(0.7)) == sum(p.similarity >= 0.7 for p in pairs)


def test_report_key_changes_with_the_submissions_and_the_template() -> None:
    members = [Member("a", 1), Member("b", 2)]
    key = report_key(members, "t")
    assert key == report_key(list(members), "t")
    assert key != report_key([Member("a", 1), Member("b", 3)], "t")
    assert key != report_key(members, "t2")


def test_saved_report_round_trips_and_a_bad_file_is_ignored(tmp_path: Path) -> None:
    report = _report(4)
    save(tmp_path, report)
    loaded = load(tmp_path, "rnn")
    assert loaded is not None and loaded.key == report.key and loaded.members == report.members
    assert np.array_equal(loaded.shares, report.shares) and loaded.seconds == report.seconds
    assert load(tmp_path, "other") is None
    (tmp_path / "rnn.npz").write_bytes(b"not a zip file")
    assert load(tmp_path, "rnn") is None
