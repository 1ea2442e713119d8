"""Whether a submission has anything to grade: one rule and one message for every way a file arrives (the API,
the CLI's submit and offline check, the student's page, Jupyter), so a student hears the same words everywhere.

Nothing to grade: the source (a .py file, or what grader.notebook kept of a notebook) holds no statement but
docstrings and `pass`, the ones the notebook reader drops without a report. A file that does not parse is
gradable (the feedback names the syntax error); so is any statement, even `x = 1`. The message says what was
wrong: an empty file, a notebook without code, or a notebook whose every cell was left out (and why).
"""

from __future__ import annotations

import ast
from collections.abc import Mapping, Sequence
from typing import Any

from grader.messages import msg
from grader.notebook import skipped_feedback
from grader.result import Text

MAX_CELLS_SAID = 4  # the message stays a few lines; the rest are counted


class NothingToGrade(ValueError):
    """The submission has nothing to grade; `text` says why in both languages, str() in English."""

    def __init__(self, text: Text) -> None:
        super().__init__(text.en)
        self.text = text


def _inert(node: ast.stmt) -> bool:
    return isinstance(node, ast.Pass) or (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))


def has_code(source: str) -> bool:
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return True  # graded: the feedback names what does not compile
    return not all(_inert(node) for node in tree.body)


def _functions(names: Sequence[str]) -> Text:
    if not names:
        return msg("functions_unknown")
    return Text(en=", ".join(f"{n}()" for n in names), zh="、".join(f"{n}()" for n in names))


def nothing_to_grade(source: str, notebook: Mapping[str, Any] | None = None,
                     functions: Sequence[str] = ()) -> Text | None:
    """Why this submission has nothing to grade (None if it has something). `notebook` is the report of a
    notebook upload (grader.notebook.NotebookSource.report()); `functions` are the exercise's, named in the hint."""
    if has_code(source):
        return None
    wanted = _functions(functions)
    if notebook is None:
        return msg("nothing_in_file", functions=wanted)
    skipped = skipped_feedback(notebook)[1:]  # one line per cell left out (the rule itself is in the message)
    if not notebook.get("code_cells") or not skipped:
        return msg("nothing_in_notebook_no_code", functions=wanted)
    said = skipped[:MAX_CELLS_SAID]
    if len(skipped) > len(said):
        said.append(msg("more_cells_left_out", count=len(skipped) - len(said)))
    cells = Text(en=" ".join(t.en for t in said), zh="".join(t.zh for t in said))
    return msg("nothing_in_notebook_skipped", cells=cells, functions=wanted)


def require_something_to_grade(source: str, notebook: Mapping[str, Any] | None = None,
                               functions: Sequence[str] = ()) -> None:
    """Raise NothingToGrade when nothing_to_grade() has a reason."""
    reason = nothing_to_grade(source, notebook, functions)
    if reason is not None:
        raise NothingToGrade(reason)
