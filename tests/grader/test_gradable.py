"""grader.gradable.has_code: the token scan that decides most files without parsing them gives the answer of
the full rule (parse the file; code unless every top-level statement is `pass` or a lone constant, and a file
that does not compile is code), for hand-picked edge cases, every solution file in the repository, and
generated token soups."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grader import gradable

ROOT = Path(__file__).resolve().parents[2]


def full_rule(source: str) -> bool:
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return True
    return not all(isinstance(n, ast.Pass) or (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))
                   for n in tree.body)


EDGES = [
    "", "pass", '"""doc"""', '"""\ndef rnn_forward(x):\n    return x\n"""', "# def rnn_forward\n", "x", "None",
    "None.x", "True", "...", "-1", "1", "(((1)))", 'f"abc"', "pass; x = 1", '"a" "b"\n', '(\n"a"\n)',
    '"""unterminated', "  x = 1", "import numpy as np", '"doc"\nimport numpy\n', 'b"x"', "1 if 1 else 2",
    "match = 1", "\x00", '"\\N{bad}"', "def f(:\n", "\ufeffpass", "pass\n" * 300 + "x = 1", "1;" * 500,
    "'''a'''\n'''b'''", "lambda: 0", "[1]", "{}", "not 1", "await x", "yield", "__debug__", "@decorator\n",
    '"""a"""\n' * 250 + "def f(): pass\n",
]


@pytest.mark.parametrize("source", EDGES)
def test_edge_cases_get_the_full_rules_answer(source: str) -> None:
    assert gradable.has_code(source) == full_rule(source)


def test_ordinary_files_are_decided_by_the_scan() -> None:
    files = sorted(ROOT.glob("tests/solutions/*.py")) + sorted(ROOT.glob("tests/fixtures/similarity/**/*.py"))
    assert len(files) >= 10
    for path in files:
        source = path.read_text()
        assert gradable._names_code(source), path  # decided without parsing
        assert gradable.has_code(source) == full_rule(source)


def test_a_file_of_only_inert_statements_is_parsed_and_has_nothing() -> None:
    source = "# notes\n" + '"""a docstring with def rnn_forward(x): inside"""\n' + "pass\n" * 10 + "None\n"
    assert not gradable._names_code(source)
    assert not gradable.has_code(source)


PIECES = st.sampled_from([
    "pass", "None", "True", "x", "def", "f", "(", ")", ":", ";", "\n", "    ", '"s"', "'''doc'''", "1", "-",
    "#c\n", "import", "np", "=", ".", "...", 'f"{x}"', "\\\n", '"', "[", "]", "if", "else", ",", "\t",
])


@settings(max_examples=400, deadline=None)
@given(st.lists(PIECES, max_size=40).map(" ".join))
def test_generated_sources_get_the_full_rules_answer(source: str) -> None:
    assert gradable.has_code(source) == full_rule(source)
