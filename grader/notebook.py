"""A Jupyter notebook -> the Python source that gets graded, plus which cells were not run and why.

The rule (docs/client.md, "Notebooks"): only a notebook's *definitions* are graded. Each code cell is parsed
with `ast`; of its top-level statements we keep
- `import` / `from ... import` of modules the grader has (the standard library and NumPy; an import that
  names several modules keeps only the available ones),
- `def`, `async def` and `class` (with their decorators),
- assignments whose value is a constant expression: literals, containers of literals, arithmetic on them,
  and names or attributes of names defined above (`H = 16`, `EPS = 1e-8`, `DTYPE = np.float64`).
Everything else is an experiment and is not run: calls, loops, `print`, plots, training, assignments of
computed values, `if __name__ == "__main__":` blocks, imports of modules the grader does not have
(matplotlib, torch, ...), IPython magics (`%...`, a `%%` cell magic skips its whole cell) and shell lines
(`!...`). A cell that is not valid Python is skipped whole. `from __future__` imports move to the top.
Markdown and raw cells are ignored. Bare strings (docstrings) and `pass` are dropped without a report.
Cells are numbered by position, from 1. Kept code still runs as written: a decorator or base class from a
dropped import (`@torch.no_grad()`) fails when the source is imported, and the feedback says so.

This module is shared by the server (uploads), the student client (offline check, Jupyter) and the student
web pages. Nothing here runs the notebook's code.
"""

from __future__ import annotations

import ast
import builtins
import json
import sys
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from grader.messages import msg
from grader.notebook_errors import NotebookError, invalid_notebook, not_a_notebook
from grader.result import Text

__all__ = ["NotebookError", "NotebookSource", "SkippedCell", "extract_cells", "extract_notebook", "read_cells",
           "skipped_feedback"]

# What the sandbox can import: the standard library and NumPy (the only third-party package it has).
AVAILABLE_MODULES: frozenset[str] = frozenset(sys.stdlib_module_names) | {"numpy"}
MAX_LINES_LISTED = 6
SUPPORTED_FORMATS = (3, 4)
_BUILTIN_NAMES = frozenset(dir(builtins))
_MAGIC_PREFIXES = ("%", "!")


@dataclass(frozen=True)
class SkippedCell:
    """A code cell (numbered by its position in the notebook, from 1) that was not run, or only in part."""

    cell: int
    whole: bool
    # Each reason: {"reason": "magic" | "syntax" | "import" | "code" | "assignment", ...its parameters}.
    reasons: tuple[dict[str, Any], ...]

    def as_dict(self) -> dict[str, Any]:
        return {"cell": self.cell, "whole": self.whole, "reasons": [dict(r) for r in self.reasons]}


@dataclass(frozen=True)
class NotebookSource:
    """What extract_notebook() returns: the source to grade and the report of what was left out."""

    source: str
    code_cells: int
    skipped: tuple[SkippedCell, ...] = field(default_factory=tuple)

    def report(self) -> dict[str, Any]:
        """JSON-ready; stored with the submission and rendered by skipped_feedback()."""
        return {"code_cells": self.code_cells, "skipped": [c.as_dict() for c in self.skipped]}

    def feedback(self) -> list[Text]:
        return skipped_feedback(self.report())


# ---------------------------------------------------------------- reading
def extract_notebook(data: bytes, available: Iterable[str] = AVAILABLE_MODULES) -> NotebookSource:
    """The gradable source of an `.ipynb` file's bytes. Raises NotebookError (one-line reason) when the
    bytes are not UTF-8 JSON or not a valid notebook (checked with nbformat's schema)."""
    cells = read_cells(data)
    return extract_cells(cells, available)


def read_cells(data: bytes) -> list[tuple[str, str]]:
    """(cell_type, source) of every cell of a notebook, validated with nbformat."""
    import nbformat  # imported here: the sandbox side of `grader` must not need it

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise not_a_notebook("notebook_not_utf8") from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise not_a_notebook("notebook_not_json", line=exc.lineno, column=exc.colno) from None
    except (ValueError, RecursionError):
        raise not_a_notebook("notebook_too_deep") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("nbformat"), int):
        raise not_a_notebook("notebook_no_version")
    if raw["nbformat"] not in SUPPORTED_FORMATS:
        raise not_a_notebook("notebook_version", version=raw["nbformat"])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # missing cell ids etc.: nbformat fixes them up itself
            nb = nbformat.from_dict(raw)  # type: ignore[no-untyped-call]
            if raw["nbformat"] != 4:
                nb = nbformat.convert(nb, 4)  # type: ignore[no-untyped-call]
            nbformat.validate(nb)
    except nbformat.ValidationError as exc:
        raise invalid_notebook(exc, raw if raw["nbformat"] == 4 else {}) from None
    except Exception as exc:  # noqa: BLE001 - nbformat's converters raise many kinds on odd input
        raise not_a_notebook("notebook_unreadable", error=type(exc).__name__) from None
    return [(str(c.get("cell_type", "")), _source_text(c.get("source", ""))) for c in nb.cells]


def _source_text(source: Any) -> str:
    return "".join(source) if isinstance(source, list) else str(source)


def _one_line(text: str, limit: int = 200) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


# ---------------------------------------------------------------- filtering
def extract_cells(cells: Sequence[tuple[str, str]], available: Iterable[str] = AVAILABLE_MODULES) -> NotebookSource:
    """Apply the rule above to (cell_type, source) pairs in notebook order."""
    allowed = frozenset(available)
    defined: set[str] = set()
    chunks: list[str] = []
    futures: list[str] = []  # `from __future__ import ...` must open the file: hoisted there
    skipped: list[SkippedCell] = []
    code_cells = 0
    for position, (cell_type, source) in enumerate(cells, start=1):
        if cell_type != "code" or not source.strip():
            continue
        code_cells += 1
        kept, reasons = _filter_cell(source, allowed, defined)
        if reasons:
            skipped.append(SkippedCell(cell=position, whole=not kept, reasons=tuple(reasons)))
        futures += [k for k in kept if k.startswith("from __future__") and k not in futures]
        kept = [k for k in kept if not k.startswith("from __future__")]
        if kept:
            chunks.append(f"# --- notebook cell {position} ---\n" + "\n".join(kept) + "\n")
    head = "\n".join(futures) + "\n\n" if futures else ""
    return NotebookSource(source=head + "\n".join(chunks), code_cells=code_cells, skipped=tuple(skipped))


def _parse_cell(source: str) -> tuple[ast.Module | None, str, bool, dict[str, Any] | None]:
    """(module, the text parsed, had_magics, syntax_reason). Magic and shell lines become `pass` when plain
    parsing fails."""
    try:
        return ast.parse(source), source, False, None
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        pass
    lines = source.splitlines()
    if lines and lines[0].lstrip().startswith("%%"):
        return None, source, True, None
    had_magic = False
    for i, line in enumerate(lines):
        stripped = line.lstrip()
        if stripped.startswith(_MAGIC_PREFIXES):
            lines[i] = line[: len(line) - len(stripped)] + "pass"
            had_magic = True
    text = "\n".join(lines)
    try:
        return ast.parse(text), text, had_magic, None
    except SyntaxError as exc:
        return None, text, had_magic, {"reason": "syntax", "line": exc.lineno or 0,
                                       "message": _one_line(exc.msg or "")}
    except (ValueError, RecursionError, MemoryError) as exc:
        return None, text, had_magic, {"reason": "syntax", "line": 0, "message": type(exc).__name__}


def _filter_cell(source: str, allowed: frozenset[str], defined: set[str]) -> tuple[list[str], list[dict[str, Any]]]:
    tree, text, had_magic, syntax = _parse_cell(source)
    reasons: list[dict[str, Any]] = [{"reason": "magic"}] if had_magic else []
    if tree is None:
        return [], reasons + ([syntax] if syntax else [])
    lines = text.splitlines()
    # Statements sharing a line (`a = 1; print(a)`) cannot be cut out by lines: those are unparsed instead.
    line_use: dict[int, int] = {}
    for node in tree.body:
        for n in range(_first_line(node), (node.end_lineno or node.lineno) + 1):
            line_use[n] = line_use.get(n, 0) + 1
    kept: list[str] = []
    bad_modules: list[str] = []
    code_lines: list[int] = []
    assign_lines: list[int] = []
    for node in tree.body:
        keep, dropped_modules, kind = _judge(node, allowed, defined)
        bad_modules += [m for m in dropped_modules if m not in bad_modules]
        if kind == "code":
            code_lines.append(node.lineno)
        elif kind == "assignment":
            assign_lines.append(node.lineno)
        if keep is None:
            continue
        start, end = _first_line(node), node.end_lineno or node.lineno
        if keep is node and all(line_use.get(n) == 1 for n in range(start, end + 1)):
            kept.append("\n".join(lines[start - 1 : end]))
        else:
            kept.append(ast.unparse(keep))
    if bad_modules:
        reasons.append({"reason": "import", "modules": bad_modules})
    if code_lines:
        reasons.append({"reason": "code", "lines": code_lines})
    if assign_lines:
        reasons.append({"reason": "assignment", "lines": assign_lines})
    return kept, reasons


def _first_line(node: ast.stmt) -> int:
    decorators = getattr(node, "decorator_list", [])
    return min([node.lineno, *(int(d.lineno) for d in decorators)])


def _judge(node: ast.stmt, allowed: frozenset[str], defined: set[str]) -> tuple[ast.stmt | None, list[str], str]:
    """(statement to keep or None, unavailable modules it imports, kind of drop: "" | "code" | "assignment")."""
    if isinstance(node, ast.Import):
        good = [a for a in node.names if a.name.split(".")[0] in allowed]
        bad = [a.name for a in node.names if a.name.split(".")[0] not in allowed]
        for a in good:
            defined.add(a.asname or a.name.split(".")[0])
        if not good:
            return None, bad, ""
        return (node if not bad else ast.Import(names=good)), bad, ""
    if isinstance(node, ast.ImportFrom):
        module = node.module or ""
        if node.level or module.split(".")[0] not in allowed:
            return None, ["." * node.level + module], ""
        defined.update(a.asname or a.name for a in node.names)
        return node, [], ""
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        defined.add(node.name)
        return node, [], ""
    if isinstance(node, ast.Assign | ast.AnnAssign):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        names = [n for t in targets for n in _target_names(t)]
        value_ok = node.value is None or _is_constant(node.value, defined)
        annotation_ok = not isinstance(node, ast.AnnAssign) or _is_constant(node.annotation, defined)
        if names and all(names) and value_ok and annotation_ok:
            defined.update(names)
            return node, [], ""
        return None, [], "assignment"
    if isinstance(node, ast.Pass) or (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)):
        return None, [], ""
    return None, [], "code"


def _target_names(target: ast.expr) -> list[str]:
    """Plain names assigned by a target; "" for anything else (subscripts, attributes, starred)."""
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, ast.Tuple | ast.List):
        return [n for e in target.elts for n in _target_names(e)]
    return [""]


def _is_constant(node: ast.expr, defined: set[str]) -> bool:
    """Literals, containers and arithmetic of literals, and names (or their attributes) defined above."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return all(_is_constant(e, defined) for e in node.elts)
    if isinstance(node, ast.Dict):
        return all(k is not None and _is_constant(k, defined) for k in node.keys) and all(
            _is_constant(v, defined) for v in node.values
        )
    if isinstance(node, ast.UnaryOp):
        return _is_constant(node.operand, defined)
    if isinstance(node, ast.BinOp):
        return _is_constant(node.left, defined) and _is_constant(node.right, defined)
    if isinstance(node, ast.Name):
        return node.id in defined or node.id in _BUILTIN_NAMES
    if isinstance(node, ast.Attribute):
        return _is_constant(node.value, defined)
    return False


# ---------------------------------------------------------------- feedback
def skipped_feedback(report: Mapping[str, Any] | None) -> list[Text]:
    """The bilingual lines for a stored report: the rule once, then one line per skipped cell."""
    skipped = (report or {}).get("skipped") or []
    if not skipped:
        return []
    lines = [msg("notebook_rule")]
    for cell in skipped:
        reasons = [_reason_text(r) for r in cell.get("reasons", []) if isinstance(r, Mapping)]
        joined = Text(en="; ".join(t.en for t in reasons), zh="；".join(t.zh for t in reasons))
        key = "notebook_cell_skipped" if cell.get("whole") else "notebook_cell_partly"
        lines.append(msg(key, reasons=joined, cell=cell.get("cell", "?")))
    return lines


def _reason_text(reason: Mapping[str, Any]) -> Text:
    kind = reason.get("reason")
    if kind == "syntax":
        return msg("notebook_reason_syntax", line=reason.get("line", 0), message=reason.get("message", ""))
    if kind == "import":
        return msg("notebook_reason_import", modules=", ".join(str(m) for m in reason.get("modules", [])))
    if kind in ("code", "assignment"):
        return msg(f"notebook_reason_{kind}", lines=_lines(reason.get("lines", [])))
    return msg("notebook_reason_magic")


def _lines(lines: Sequence[Any]) -> str:
    shown = ", ".join(str(n) for n in list(lines)[:MAX_LINES_LISTED])
    return shown + (", ..." if len(lines) > MAX_LINES_LISTED else "")
