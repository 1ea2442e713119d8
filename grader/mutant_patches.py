"""Mutants written as small textual patches of a correct, student-style solution: the way an exercise author
catalogues mistakes (docs/authoring.md).

A `PatchedVariant` is a grader.mutants.Mutant: its `source` is one function of the base solution with the
patches applied, and `run` is that function compiled (trusted code, run in the trusted process by
grader.mutants.MutantMatcher). `submission()` is the whole base solution with that function replaced: what
the tests and `rnn-grader exercise validate` submit through the real sandbox, as a student would.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any


def function_source(source: str, function: str) -> str:
    """The text of one top-level `def` of `source`, from its `def` line to its last line, newline-terminated."""
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef) and node.name == function:
            lines = source.splitlines(keepends=True)[node.lineno - 1 : node.end_lineno]
            return "".join(lines).rstrip("\n") + "\n"
    raise KeyError(function)


def replace_functions(source: str, replacements: Mapping[str, str]) -> str:
    """`source` with each named top-level function replaced by the given function text."""
    spans = {n.name: (n.lineno - 1, n.end_lineno or n.lineno) for n in ast.parse(source).body
             if isinstance(n, ast.FunctionDef)}
    lines = source.splitlines(keepends=True)
    for name in sorted(replacements, key=lambda n: spans[n][0], reverse=True):
        start, end = spans[name]
        text = replacements[name]
        lines[start:end] = [text if text.endswith("\n") else text + "\n"]
    return "".join(lines)


@dataclass(frozen=True)
class PatchedVariant:
    """One way of writing a mistake: `patches` are (old, new) replacements in one function of `base`, each
    `old` occurring exactly once there (applied in order). `paths` are the outputs it is matched on."""

    base: str
    function: str
    patches: tuple[tuple[str, str], ...]
    paths: tuple[str, ...] = ()

    @cached_property
    def source(self) -> str:
        text = function_source(self.base, self.function)
        for old, new in self.patches:
            if text.count(old) != 1:
                raise ValueError(f"patch {old!r} must occur once in {self.function}")
            text = text.replace(old, new)
        return text

    def submission(self) -> str:
        """The base solution with this mutant in place of its function."""
        return replace_functions(self.base, {self.function: self.source})

    @cached_property
    def run(self) -> Callable[..., Any]:
        """The compiled mutant, with the base's imports and helpers around it (constant trusted code)."""
        namespace: dict[str, Any] = {"__name__": "mutant"}
        exec(compile(self.submission(), f"<mutant {self.function}>", "exec"), namespace)
        fn: Callable[..., Any] = namespace[self.function]
        return fn
