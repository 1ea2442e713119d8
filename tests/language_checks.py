"""Checks that student-facing text exists in English and Chinese: a catalogue's entries, and the places in code
that raise a refusal (tests/grader/test_messages.py, tests/api/test_refusal_languages.py,
tests/cli/test_cli_languages.py)."""

from __future__ import annotations

import ast
import re
import string
from collections.abc import Iterable, Mapping
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def is_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def assert_bilingual(catalogue: Mapping[str, Mapping[str, str]], optional_fields: set[str] | None = None) -> None:
    """Every entry in en and zh, both non-empty, zh really Chinese, the same placeholders (the Chinese may
    leave out `optional_fields`)."""
    for key, entry in catalogue.items():
        assert set(entry) == {"en", "zh"}, key
        assert entry["en"].strip() and entry["zh"].strip(), key
        assert fields(entry["en"]) <= fields(entry["zh"]) | (optional_fields or set()), key
        # the Chinese is really Chinese, not a copy of the English (a template of placeholders and punctuation,
        # like "{path}：{reason}", says nothing in either language)
        assert is_chinese(entry["zh"]) or not re.search(r"[A-Za-z]", re.sub(r"\{[^}]*\}", "", entry["zh"])), key


def english_only_raises(paths: Iterable[Path], raisers: set[str]) -> list[str]:
    """`file:line` of every call of one of `raisers` (error classes, fail()) whose message is a string literal
    or an f-string: English only, where a bilingual Text (from a catalogue) belongs."""
    found = []
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else (
                node.func.attr if isinstance(node.func, ast.Attribute) else "")
            first = node.args[0]
            literal = isinstance(first, ast.JoinedStr) or (
                isinstance(first, ast.Constant) and isinstance(first.value, str))
            if name in raisers and literal:
                found.append(f"{path.relative_to(REPO)}:{node.lineno} {name}()")
    return found
