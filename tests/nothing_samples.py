"""Files with nothing to grade, as a student might send them, and the one message each one gets (grader.gradable)
on every way in: tests/api/test_nothing_to_grade.py and tests/cli/test_cli_nothing_to_grade.py."""

from __future__ import annotations

import json

from helpers import notebook_bytes

from grader.gradable import nothing_to_grade
from grader.notebook import extract_notebook
from grader.result import Text

FUNCTIONS = ["rnn_forward", "rnn_backward", "clip_grad_norm"]
EMPTY_NOTEBOOK = json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}).encode()

# (file name, bytes, words the message must have)
NOTHING = [
    ("empty.py", b"", "it has no code"),
    ("comments.py", b"# TODO: write rnn_forward\n\n\'\'\'My notes.\'\'\'\npass\n", "only blank lines, comments"),
    ("empty.ipynb", EMPTY_NOTEBOOK, "no code cell with code in it"),
    ("notes.ipynb", notebook_bytes(("markdown", "# RNN"), ""), "no code cell with code in it"),
    ("experiments.ipynb", notebook_bytes("print('hello')", "%time run()"),
     "Cell 1 was not run: code that runs something"),
]
IDS = [name for name, _, _ in NOTHING]


def expected(name: str, data: bytes) -> Text:
    """The message for this file, from the one rule every way in applies."""
    if name.endswith(".ipynb"):
        nb = extract_notebook(data)
        text = nothing_to_grade(nb.source, nb.report(), FUNCTIONS)
    else:
        text = nothing_to_grade(data.decode(), None, FUNCTIONS)
    assert text is not None, name
    return text
