"""The CLI prints each named mistake once per part (message, hint, the tests it explains) and the per-test
lines without it; `--json` output carries parts[i].mistakes. A dropped dh_next graded by the real grader."""

from __future__ import annotations

import io
import json

import pytest
from feedback_samples import MISTAKE, grade_dropped_dh_next
from rich.console import Console

from cli.render import dumps, result_to_dict, submission_view
from grader.result import Result
from reference.rnn_mutants import BY_NAME


@pytest.fixture(scope="module")
def dropped() -> Result:
    return grade_dropped_dh_next()


def _printed(sub: dict[str, object], lang: str) -> str:
    out = io.StringIO()
    Console(file=out, width=240, color_system=None).print(submission_view(sub, lang, local=True))
    return out.getvalue()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_cli_says_the_dropped_dh_next_once_with_the_tests_it_explains(dropped: Result, lang: str) -> None:
    m = BY_NAME[MISTAKE]
    data = json.loads(dumps(result_to_dict(dropped, lang)))
    backward = next(p for p in data["parts"] if p["name"] == "backward")
    grouped = [g for g in backward["mistakes"] if g["name"] == MISTAKE]
    assert len(grouped) == 1 and grouped[0]["hint"] == m.hint.get(lang)
    assert grouped[0]["tests"] == [t.name for p in dropped.parts if p.name == "backward" for t in p.tests
                                   if MISTAKE in t.misconceptions]
    fields = {"name", "description", "score", "max_score", "outcome", "feedback"}
    assert all(fields <= set(t) for t in backward["tests"])

    text = _printed(data, lang)
    flat = " ".join(text.split())  # the table wraps long cells
    first_words = " ".join(m.hint.get(lang).split()[:4]) if lang == "en" else m.hint.get(lang)[:12]
    assert flat.count(first_words) == 1
    assert flat.count(m.title.get(lang)) == 1
    assert ("Explains" if lang == "en" else "涉及的测试") in flat
    for name in grouped[0]["tests"][:2]:
        assert name in flat
