"""Whether a submission has anything to grade: one rule and one message for every way a file arrives (the API,
the CLI's submit and offline check, the student's page, Jupyter), so a student hears the same words everywhere.

Nothing to grade: the source (a .py file, or what grader.notebook kept of a notebook) holds no statement but
docstrings and `pass`, the ones the notebook reader drops without a report. A file that does not parse is
gradable (the feedback names the syntax error); so is any statement, even `x = 1`. The message says what was
wrong: an empty file, a notebook without code, or a notebook whose every cell was left out (and why).
"""

from __future__ import annotations

import ast
import io
import tokenize
from collections.abc import Mapping, Sequence
from typing import Any

from grader.messages import msg
from grader.notebook import skipped_feedback
from grader.result import Text

MAX_CELLS_SAID = 4  # the message stays a few lines; the rest are counted
# The only names a statement with nothing to grade can hold (`pass`, and constants that are names).
_INERT_NAMES = frozenset({"pass", "None", "True", "False"})
_TOKENS_SCANNED = 200  # then the whole file is parsed: the scan never costs more than a moment


class NothingToGrade(ValueError):
    """The submission has nothing to grade; `text` says why in both languages, str() in English."""

    def __init__(self, text: Text) -> None:
        super().__init__(text.en)
        self.text = text


def _inert(node: ast.stmt) -> bool:
    return isinstance(node, ast.Pass) or (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))


def _names_code(source: str) -> bool:
    """True when a name token other than pass/None/True/False comes early in the source. Such a name is part
    of a statement that is neither `pass` nor a lone constant, so the file has code (or does not compile,
    which is graded too): the answer ast.parse would give, decided in a few tokens for an ordinary file (a
    docstring, comments, then `import`). The API checks every submission, and parsing a whole file
    took a fifth of its CPU under a deadline rush. False means undecided: then the whole file is parsed."""
    try:
        for number, token in enumerate(tokenize.generate_tokens(io.StringIO(source).readline)):
            if token.type == tokenize.NAME and token.string not in _INERT_NAMES:
                return True
            if number >= _TOKENS_SCANNED:
                return False
    except (tokenize.TokenError, SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return False


def has_code(source: str) -> bool:
    if _names_code(source):
        return True
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
