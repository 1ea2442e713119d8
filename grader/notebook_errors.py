"""Why a file is not a readable Jupyter notebook, as one sentence a student can act on, in both languages.

nbformat's schema errors read like "{'cell_type': 'python', ...} is not valid under any of the given
schemas": a Python dict and a phrase from JSON Schema. This module turns such an error into "Not a valid
Jupyter notebook: cell 3 (a code cell) is missing the required field 'outputs'." It names the cell (by its
position in the notebook, from 1, as the report of skipped cells does) or the field, never dumps the content.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from grader.messages import msg
from grader.result import Text

CELL_TYPES = ("code", "markdown", "raw")
_TYPE_WORDS = {
    "array": Text(en="a list", zh="列表"),
    "string": Text(en="text", zh="文本"),
    "object": Text(en="a JSON object", zh="JSON 对象"),
    "integer": Text(en="a whole number", zh="整数"),
    "number": Text(en="a number", zh="数字"),
    "boolean": Text(en="true or false", zh="布尔值"),
    "null": Text(en="null", zh="空值（null）"),
}
_UNEXPECTED = re.compile(r"\('([^']*)'")


class NotebookError(ValueError):
    """The bytes are not a readable Jupyter notebook. `text` says why in both languages (one sentence);
    str() is the English."""

    def __init__(self, text: Text) -> None:
        super().__init__(text.en)
        self.text = text


def not_a_notebook(key: str, **params: Any) -> NotebookError:
    return NotebookError(msg(key, **params))


def invalid_notebook(error: Any, raw: dict[str, Any]) -> NotebookError:
    """A NotebookError for one of nbformat's ValidationErrors (a jsonschema error) on the notebook `raw`."""
    path = list(getattr(error, "absolute_path", []) or [])
    where, rest = _where(path, raw)
    return NotebookError(msg("notebook_invalid", where=where, problem=_problem(error, rest)))


def _where(path: Sequence[Any], raw: dict[str, Any]) -> tuple[Text, list[str]]:
    """Where in the notebook the error is (a cell, one of its outputs, the metadata), and the field path
    inside that place."""
    if len(path) >= 2 and path[0] == "cells" and isinstance(path[1], int):
        index = path[1]
        cells = raw.get("cells")
        cell = cells[index] if isinstance(cells, list) and 0 <= index < len(cells) else None
        kind = cell.get("cell_type") if isinstance(cell, dict) else None
        rest = [str(p) for p in path[2:]]
        if len(rest) >= 2 and rest[0] == "outputs" and rest[1].isascii() and rest[1].isdigit():
            return msg("nb_where_output", cell=index + 1, output=int(rest[1]) + 1), rest[2:]
        if kind in CELL_TYPES:
            return msg("nb_where_cell_kind", cell=index + 1, kind=msg(f"nb_kind_{kind}")), rest
        return msg("nb_where_cell", cell=index + 1), rest
    if path[:1] == ["cells"]:
        return msg("nb_where_cells"), [str(p) for p in path[1:]]
    if path[:1] == ["metadata"]:
        return msg("nb_where_metadata"), [str(p) for p in path[1:]]
    return msg("nb_where_notebook"), [str(p) for p in path]


def _field(rest: Sequence[str], name: str | None = None) -> str:
    return ".".join([*rest, *([name] if name else [])])


def _types(expected: Any) -> Text:
    names = [expected] if isinstance(expected, str) else list(expected or [])
    words = [_TYPE_WORDS.get(str(n), Text(en=str(n), zh=str(n))) for n in names]
    return Text(en=" or ".join(w.en for w in words), zh="或".join(w.zh for w in words))


def _problem(error: Any, rest: list[str]) -> Text:
    validator = getattr(error, "validator", None)
    instance = getattr(error, "instance", None)
    if validator == "required" and isinstance(instance, dict):
        missing = [f for f in getattr(error, "validator_value", []) or [] if f not in instance]
        if missing:
            return msg("nb_missing", field=_field(rest, str(missing[0])))
    if validator == "additionalProperties":
        found = _UNEXPECTED.search(str(getattr(error, "message", "")))
        if found:
            return msg("nb_unexpected", field=_field(rest, found.group(1)))
    if validator == "type":
        expected = _types(getattr(error, "validator_value", None))
        return msg("nb_wrong_type", field=_field(rest), expected=expected) if rest else \
            msg("nb_wrong_type_self", expected=expected)
    if validator in ("enum", "const") and rest:
        return msg("nb_bad_value", field=_field(rest))
    if validator in ("oneOf", "anyOf"):
        return _no_schema_fits(error, instance, rest)
    return msg("nb_malformed_at", field=_field(rest)) if rest else msg("nb_malformed")


def _no_schema_fits(error: Any, instance: Any, rest: list[str]) -> Text:
    """A value that fits none of several forms: a cell or an output of an unknown type, a field that may be
    one of several types, else the place itself."""
    if not rest and isinstance(instance, dict):
        if "cell_type" in instance and instance["cell_type"] not in CELL_TYPES:
            return msg("nb_unknown_cell_type", type=_short(instance["cell_type"]))
        if "output_type" in instance:
            known = ("execute_result", "display_data", "stream", "error")
            if instance["output_type"] not in known:
                return msg("nb_unknown_output_type", type=_short(instance["output_type"]))
    context = list(getattr(error, "context", None) or [])
    if context and all(getattr(c, "validator", None) == "type" for c in context):
        expected: list[str] = []
        for c in context:
            value = getattr(c, "validator_value", None)
            expected += [value] if isinstance(value, str) else list(value or [])
        return msg("nb_wrong_type", field=_field(rest), expected=_types(expected)) if rest else \
            msg("nb_wrong_type_self", expected=_types(expected))
    return msg("nb_malformed_at", field=_field(rest)) if rest else msg("nb_malformed")


def _short(value: Any, limit: int = 40) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
