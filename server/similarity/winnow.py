"""Winnowing (Schleimer, Wilkerson and Aiken, SIGMOD 2003; what MOSS and copydetect use) over normalised
Python tokens, and the similarity of every pair of documents at once.

A document's fingerprints are hashes of its k-token windows, thinned by keeping the smallest hash of every
`window` consecutive ones (so any match of k + window - 1 tokens or more is always seen). Fingerprints the
exercise template also has are dropped: the docstrings, signatures and self-check every student starts
from are not evidence. The similarity of A to B is the share of A's remaining tokens covered by
fingerprints B also has (copydetect's measure); a pair scores the larger of its two shares.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from server.similarity.tokens import Tokens, normalised_tokens

K_TOKENS = 20  # a match must span this many tokens (about two lines of code) to count at all
WINDOW = 4  # any match of K_TOKENS + WINDOW - 1 tokens is guaranteed to be found
_BASE = np.uint64(1_000_003)
_FAR = np.iinfo(np.int64).max // 4

IntArray = NDArray[np.int64]
HashArray = NDArray[np.uint64]


@lru_cache(maxsize=65536)
def _token_hash(text: str) -> int:
    # Stable across processes (Python's own str hash is salted per process).
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little")


def kgram_hashes(tokens: Tokens, k: int = K_TOKENS) -> HashArray:
    """The hash of every k-token window (a polynomial hash of the tokens' own hashes, modulo 2**64)."""
    n = len(tokens.text) - k + 1
    if n <= 0:
        return np.zeros(0, dtype=np.uint64)
    ids = np.fromiter((_token_hash(t) for t in tokens.text), dtype=np.uint64, count=len(tokens.text))
    out = np.zeros(n, dtype=np.uint64)
    for j in range(k):  # uint64 arithmetic wraps around: that is the modulo
        out = out * _BASE + ids[j : j + n]
    return out


def winnow(hashes: HashArray, window: int = WINDOW) -> IntArray:
    """Positions selected by robust winnowing: the rightmost minimum of each window, each once."""
    if len(hashes) == 0:
        return np.zeros(0, dtype=np.int64)
    if len(hashes) <= window:
        return np.array([len(hashes) - 1 - int(np.argmin(hashes[::-1]))], dtype=np.int64)
    windows = np.lib.stride_tricks.sliding_window_view(hashes, window)
    rightmost = window - 1 - np.argmin(windows[:, ::-1], axis=1)
    return np.unique(np.arange(len(windows)) + rightmost).astype(np.int64)


@dataclass(frozen=True)
class Fingerprint:
    """One document: its selected, non-template fingerprints (hash and token position, by position) and
    the character span of each token (for highlighting)."""

    hashes: HashArray
    positions: IntArray
    starts: IntArray
    ends: IntArray
    k: int


def template_hashes(template: str, k: int = K_TOKENS) -> HashArray:
    """Every k-gram hash of the template (not only the winnowed ones: subtract all of it)."""
    return np.unique(kgram_hashes(normalised_tokens(template), k))


def fingerprint(source: str, boilerplate: HashArray, k: int = K_TOKENS, window: int = WINDOW) -> Fingerprint:
    tokens = normalised_tokens(source)
    hashes = kgram_hashes(tokens, k)
    positions = winnow(hashes, window)
    keep = ~np.isin(hashes[positions], boilerplate)
    positions = positions[keep]
    return Fingerprint(hashes=hashes[positions], positions=positions, starts=np.asarray(tokens.starts, np.int64),
                       ends=np.asarray(tokens.ends, np.int64), k=k)


def _covered(positions: IntArray, matched: NDArray[np.bool_], k: int) -> NDArray[np.int64]:
    """Per column of `matched` (fingerprint i present there?): how many tokens the k-token windows at
    the matched positions cover, overlaps counted once. `positions` ascending."""
    at = np.where(matched, positions[:, None], _FAR)
    next_or_self = np.minimum.accumulate(at[::-1], axis=0)[::-1]
    after = np.vstack([next_or_self[1:], np.full((1, matched.shape[1]), _FAR)])
    span = np.minimum(after - positions[:, None], k)
    covered: NDArray[np.int64] = np.where(matched, span, 0).sum(axis=0)
    return covered


def share_matrix(docs: Sequence[Fingerprint]) -> NDArray[np.float64]:
    """S[a, b]: the share of document a's own (non-template) tokens that document b also has; S[a, a] = 0."""
    n = len(docs)
    shares = np.zeros((n, n), dtype=np.float64)
    if n < 2:
        return shares
    vocabulary, inverse = np.unique(np.concatenate([d.hashes for d in docs]), return_inverse=True)
    ids = np.split(inverse.astype(np.int64), np.cumsum([len(d.hashes) for d in docs])[:-1])
    present = np.zeros((n, len(vocabulary)), dtype=np.bool_)
    for row, doc_ids in enumerate(ids):
        present[row, doc_ids] = True
    for row, doc in enumerate(docs):
        if len(doc.positions) == 0:
            continue
        own = _covered(doc.positions, np.ones((len(doc.positions), 1), dtype=np.bool_), doc.k)[0]
        matched = present[:, ids[row]].T
        matched[:, row] = False
        shares[row] = _covered(doc.positions, matched, doc.k) / own
    return shares


def pair_similarity(shares: NDArray[np.float64]) -> NDArray[np.float64]:
    """The pair's score: the larger share (a copied function is most of a short submission)."""
    return np.maximum(shares, shares.T)
