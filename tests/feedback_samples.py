"""A student file with one catalogued mistake (the dropped `dh_next` of reference.rnn_mutants: BPTT forgets the
gradient coming back from the next step), graded once per test module by the real grader, for the grouping
checks of the grader, the CLI and the pages."""

from __future__ import annotations

from pathlib import Path

from grader.result import Result

CORRECT_PATH = Path(__file__).resolve().parent / "solutions" / "correct_rnn.py"
DROPPED_LINE = ("dh = dy[t] @ W_hy + dh_next", "dh = dy[t] @ W_hy")
MISTAKE = "backward.no_dh_next"


def dropped_dh_next_source() -> str:
    source = CORRECT_PATH.read_text(encoding="utf-8")
    assert source.count(DROPPED_LINE[0]) == 1
    return source.replace(*DROPPED_LINE)


def grade_dropped_dh_next(seed: int = 5) -> Result:
    from grader.exercise import load_exercises
    from grader.grade import Grader
    from grader.runner import LocalRunner

    with Grader({"rnn": load_exercises()["rnn"]}, LocalRunner()) as grader:
        result = grader.grade("rnn", dropped_dh_next_source(), seed)
        # As stored once its charts are drawn (a test failed: right after the result; server.grading.diagnostics)
        return result.model_copy(update={"diagnostics": grader.diagnose("rnn", dropped_dh_next_source())})


def experimenting_notebook(functions_source: str) -> bytes:
    """A notebook as a student writes one: imports (one the grader lacks), the functions, then a cell that
    experiments (a loop that prints and plots). Plain nbformat 4.4 JSON."""
    import json

    cells = ["import numpy as np\nimport matplotlib.pyplot as plt\n", functions_source,
             "losses = []\nfor step in range(3):\n    losses.append(step)\n    print(step)\nplt.plot(losses)\n"]
    return json.dumps({
        "cells": [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                   "source": text.splitlines(keepends=True)} for text in cells],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "nbformat": 4, "nbformat_minor": 4,
    }).encode("utf-8")
