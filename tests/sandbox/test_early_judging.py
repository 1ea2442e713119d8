"""Judging each call while the child runs the next (grader.procedure._EarlyJudge, wire.RecordStream) gives the
very result of judging everything after the run: the same verdicts, feedback, named mistakes and values,
for right, wrong, crashing, dying, partial and silent submissions."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from feedback_samples import dropped_dh_next_source

from grader import procedure
from grader.exercise import DEFAULT_EXERCISES_DIR, Limits, load_exercises
from grader.grade import Grader
from grader.result import Result
from grader.runner import ResultListener, RunReport
from grader.sandbox import Sandbox

CORRECT = (DEFAULT_EXERCISES_DIR.parent / "tests" / "solutions" / "correct_rnn.py").read_text(encoding="utf-8")
SOURCES = {
    "correct": CORRECT,
    "dropped dh_next (explained mistakes)": dropped_dh_next_source(),
    "forward crashes on long sequences": CORRECT.replace(
        "def rnn_forward(x, h0, W_xh, W_hh, b_h, W_hy, b_y):",
        "def rnn_forward(x, h0, W_xh, W_hh, b_h, W_hy, b_y):\n    assert x.shape[0] < 40, 'too long'", 1),
    "backward hangs once: the child dies mid-run": CORRECT + (
        "\n_done = False\n_backward = rnn_backward\n\ndef rnn_backward(*args):\n    global _done\n"
        "    if not _done:\n        _done = True\n        while True:\n            pass\n"
        "    return _backward(*args)\n"),
    "clip missing": CORRECT.replace("def clip_grad_norm(", "def _not_clip(", 1),
    "prints and returns junk": "def rnn_forward(*a):\n    print('hi')\n    return {'y': 1}\n",
    "syntax error": "def rnn_forward(:\n",
}


class Batch:
    """The same sandbox, with or without its results streamed to the procedure during the run."""

    def __init__(self, sandbox: Sandbox, stream: bool) -> None:
        self.sandbox = sandbox
        self.stream = stream
        self.pieces = 0

    def run(self, payload: bytes, limits: Limits, on_result: ResultListener | None = None) -> RunReport:
        def count(data: bytes) -> None:
            self.pieces += 1
            assert on_result is not None
            on_result(data)

        return self.sandbox.run(payload, limits, count if self.stream and on_result is not None else None)

    def layers(self) -> dict[str, bool]:
        return self.sandbox.layers()


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    box = Sandbox()
    yield box
    box.close()


def _comparable(result: Result) -> dict[str, Any]:
    return result.model_dump(mode="json", exclude={"grading_ms"})


@pytest.mark.parametrize("name", list(SOURCES))
def test_judging_during_the_run_gives_the_same_result(name: str, sandbox: Sandbox,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    exercises = load_exercises()
    early_verdicts: list[int] = []
    take = procedure._EarlyJudge._take

    def counting_take(self: Any, header: dict[str, Any], blobs: list[Any]) -> None:
        before = len(self.judged)
        take(self, header, blobs)
        early_verdicts.append(len(self.judged) - before)

    monkeypatch.setattr(procedure._EarlyJudge, "_take", counting_take)
    streamed, after = Batch(sandbox, stream=True), Batch(sandbox, stream=False)
    with Grader(exercises, streamed) as live, Grader(exercises, after) as batch:
        for seed in (11, 12):
            got, want = live.grade("rnn", SOURCES[name], seed), batch.grade("rnn", SOURCES[name], seed)
            assert not want.internal_error
            assert _comparable(got) == _comparable(want)
    assert streamed.pieces > 0 and after.pieces == 0
    if name != "syntax error" and name != "prints and returns junk":
        assert sum(early_verdicts) > 0  # some answers were judged before their run ended
