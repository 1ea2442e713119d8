"""The correct solution, made slow on purpose: time to kill a process in the middle of grading it."""

from pathlib import Path

_WRAPPER = """

import time as _time

_slept = False
_correct_forward = rnn_forward


def rnn_forward(*args):
    global _slept
    if not _slept:  # only the first call in each sandbox child, so the whole grading stays in the limits
        _slept = True
        _time.sleep({seconds})
    return _correct_forward(*args)
"""


def slow_correct_source(seconds: float) -> str:
    """The correct solution whose first rnn_forward call in each child sleeps `seconds` (keep it well
    under the exercise's wall limit)."""
    correct = (Path(__file__).resolve().parent / "correct_rnn.py").read_text(encoding="utf-8")
    return correct + _WRAPPER.format(seconds=float(seconds))
