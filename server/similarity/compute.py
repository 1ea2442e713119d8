"""What the similarity process runs: fingerprints (kept per submission: a source never changes, so a new
counted submission costs one new fingerprint) and the share matrix. Runs in its own process at a lower
CPU priority, so neither grading nor the API's requests wait for it."""

from __future__ import annotations

import hashlib
import os
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from server.similarity.winnow import Fingerprint, HashArray, fingerprint, share_matrix, template_hashes

NICE = 10
MAX_FINGERPRINTS = 20_000  # ~2 KiB each for this course's submissions
_fingerprints: OrderedDict[tuple[str, int], Fingerprint] = OrderedDict()
_templates: dict[str, HashArray] = {}


def lower_priority() -> None:
    """Process-pool initializer: grading and requests go first."""
    try:
        os.nice(NICE)
    except OSError:  # pragma: no cover - not permitted here: run at normal priority
        pass


def _boilerplate(template: str) -> tuple[str, HashArray]:
    digest = hashlib.sha256(template.encode("utf-8", "surrogatepass")).hexdigest()
    if digest not in _templates:
        _templates[digest] = template_hashes(template)
    return digest, _templates[digest]


def compute_shares(template: str, docs: Sequence[tuple[int, str]]) -> NDArray[np.float64]:
    """The share matrix of these (submission id, source) documents, in this order."""
    digest, boilerplate = _boilerplate(template)
    prints: list[Fingerprint] = []
    for submission_id, source in docs:
        key = (digest, submission_id)
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
