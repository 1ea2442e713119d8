"""Where two submissions match, for the side-by-side view: character spans in each source, numbered so a
region on the left and its counterpart on the right carry the same number, plus the template's spans."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from server.similarity.tokens import normalised_tokens
from server.similarity.winnow import Fingerprint, HashArray, IntArray, fingerprint, kgram_hashes, share_matrix


@dataclass(frozen=True)
class Span:
    """Characters [start, end) of a source; `label` numbers a match (0 for template text)."""

    start: int
    end: int
    label: int


def _merge(positions: IntArray, k: int) -> list[tuple[int, int]]:
    """Token intervals [p, p + k) of ascending positions, overlapping ones merged."""
    merged: list[tuple[int, int]] = []
    for p in positions.tolist():
        if merged and p <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], p + k))
        else:
            merged.append((p, p + k))
    return merged


def _chars(doc: Fingerprint, tokens: tuple[int, int]) -> tuple[int, int]:
    last = min(tokens[1], len(doc.ends)) - 1
    return int(doc.starts[tokens[0]]), int(doc.ends[last])


def _region_of(intervals: list[tuple[int, int]], position: int) -> int:
    starts = [a for a, _ in intervals]
    return int(np.searchsorted(starts, position, side="right")) - 1


def matching_spans(a: Fingerprint, b: Fingerprint) -> tuple[list[Span], list[Span]]:
    """The matched regions of a and of b. Regions of a are numbered 1, 2, ... in source order; a region
    of b takes the smallest number of the regions of a it shares a fingerprint with."""
    in_b = np.isin(a.hashes, b.hashes)
    in_a = np.isin(b.hashes, a.hashes)
    regions_a = _merge(a.positions[in_b], a.k)
    regions_b = _merge(b.positions[in_a], b.k)
    label_of_hash: dict[int, int] = {}
    for h, p in zip(a.hashes[in_b].tolist(), a.positions[in_b].tolist(), strict=True):
        label_of_hash.setdefault(h, _region_of(regions_a, p) + 1)
    labels_b = [0] * len(regions_b)
    for h, p in zip(b.hashes[in_a].tolist(), b.positions[in_a].tolist(), strict=True):
        region = _region_of(regions_b, p)
        label = label_of_hash[h]
        labels_b[region] = label if labels_b[region] == 0 else min(labels_b[region], label)
    spans_a = [Span(*_chars(a, r), label=i + 1) for i, r in enumerate(regions_a)]
    spans_b = [Span(*_chars(b, r), label=labels_b[i]) for i, r in enumerate(regions_b)]
    return spans_a, spans_b


def template_spans(source: str, boilerplate: HashArray, k: int) -> list[Span]:
    """The spans of `source` that are the exercise template's own text (label 0)."""
    tokens = normalised_tokens(source)
    hashes = kgram_hashes(tokens, k)
    positions = np.flatnonzero(np.isin(hashes, boilerplate)).astype(np.int64)
    doc = Fingerprint(hashes=hashes[positions], positions=positions, starts=np.asarray(tokens.starts, np.int64),
                      ends=np.asarray(tokens.ends, np.int64), k=k)
    return [Span(*_chars(doc, r), label=0) for r in _merge(positions, k)]


@dataclass(frozen=True)
class PairRegions:
    share_a: float  # as in the report: the share of a's own code also in b
    share_b: float
    matches_a: list[Span]
    matches_b: list[Span]
    template_a: list[Span]
    template_b: list[Span]


def pair_regions(source_a: str, source_b: str, boilerplate: HashArray) -> PairRegions:
    a = fingerprint(source_a, boilerplate)
    b = fingerprint(source_b, boilerplate)
    matches_a, matches_b = matching_spans(a, b)
    shares = share_matrix([a, b])
    return PairRegions(float(shares[0, 1]), float(shares[1, 0]), matches_a, matches_b,
                       template_spans(source_a, boilerplate, a.k), template_spans(source_b, boilerplate, b.k))
