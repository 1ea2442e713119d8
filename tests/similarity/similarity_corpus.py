"""The labelled corpus (tests/fixtures/similarity): independently written correct solutions, one file per
student style, and disguised copies named `<original>__<disguise>.py`. A submission is what a student
uploads: the template's header and self-check around their own functions."""

from __future__ import annotations

import itertools
import statistics
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "fixtures" / "similarity"
TEMPLATE_PATH = ROOT / "exercises" / "rnn" / "exercise_01_rnn.py"
SELF_CHECK_MARK = "# ---------------------------------------------------------------- 自查"


@dataclass(frozen=True)
class Entry:
    name: str
    group: str  # the original it was written as, or copied from
    copy: bool
    code: str


def template() -> str:
    return TEMPLATE_PATH.read_text(encoding="utf-8")


def as_submission(code: str) -> str:
    """The template's header (docstring and imports, numpy included), the student's code without its own
    numpy import, the template's self-check."""
    text = template()
    head = text[: text.index("def rnn_forward")]
    tail = text[text.index(SELF_CHECK_MARK):]
    return head + code.replace("import numpy as np\n", "", 1).lstrip("\n") + "\n\n" + tail


def entries() -> list[Entry]:
    out = []
    for kind in ("independent", "copies"):
        for path in sorted((CORPUS / kind).glob("*.py")):
            out.append(Entry(path.stem, path.stem.split("__")[0], kind == "copies", path.read_text(encoding="utf-8")))
    return out


def labelled_pairs(scores: dict[tuple[str, str], float]) -> tuple[list[float], list[float]]:
    """(independent pair scores, copied pair scores): a pair is copied when both come from one original."""
    corpus = entries()
    independent, copied = [], []
    for a, b in itertools.combinations(corpus, 2):
        (copied if a.group == b.group else independent).append(scores[(a.name, b.name)])
    return independent, copied


def summary(values: list[float]) -> tuple[int, float, float, float]:
    return len(values), min(values), statistics.median(values), max(values)
