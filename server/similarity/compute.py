"""What the similarity process runs: fingerprints (kept per source text: a stored source never changes, so
a new counted submission costs one new fingerprint) and the share matrix. Runs in its own process at a lower
CPU priority, so neither grading nor the API's requests wait for it."""

from __future__ import annotations

import hashlib
import os
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from server.similarity.winnow import Fingerprint, HashArray, fingerprint, share_matrix, template_hashes

NICE = 15  # below grading (RNN_GRADER_GRADING_NICE, 10), which is below the API
MAX_FINGERPRINTS = 20_000  # ~2 KiB each for this course's submissions
_fingerprints: OrderedDict[tuple[bytes, bytes], Fingerprint] = OrderedDict()
_templates: dict[bytes, HashArray] = {}


def lower_priority() -> None:
    """Process-pool initializer: grading and requests go first."""
    try:
        os.nice(NICE)
    except OSError:  # pragma: no cover - not permitted here: run at normal priority
        pass


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def _boilerplate(template: str) -> tuple[bytes, HashArray]:
    digest = _digest(template)
    if digest not in _templates:
        _templates[digest] = template_hashes(template)
    return digest, _templates[digest]


def compute_shares(template: str, sources: Sequence[str]) -> NDArray[np.float64]:
    """The share matrix of these sources, in this order. Fingerprints are kept by the text itself (not a
    submission id), so a cache entry can never belong to another database's row."""
    digest, boilerplate = _boilerplate(template)
    prints: list[Fingerprint] = []
    for source in sources:
        key = (digest, _digest(source))
        found = _fingerprints.get(key)
        if found is None:
            found = fingerprint(source, boilerplate)
            _fingerprints[key] = found
            if len(_fingerprints) > MAX_FINGERPRINTS:
                _fingerprints.popitem(last=False)
        else:
            _fingerprints.move_to_end(key)
        prints.append(found)
    return share_matrix(prints)
