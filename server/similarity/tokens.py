"""Python source as a normalised token stream: what a copier cannot change cheaply.

Identifiers become `V` (renaming a variable changes nothing), string literals `S` (docstrings and
messages); comments, blank lines and indentation disappear; keywords, builtins, numbers and operators stay.
Each kept token remembers its character span in the original source, so a match can be highlighted there.

One regular expression splits the text: ~7x faster than the standard library's `tokenize` on Python 3.11
(measured on submissions of this course), and it never rejects a file (a submission with unbalanced
brackets or bad indentation is compared like any other). The source is only read as text: nothing here
imports or runs it.
"""

from __future__ import annotations

import builtins
import keyword
import re
from dataclasses import dataclass

KEPT_NAMES = frozenset(keyword.kwlist) | frozenset(keyword.softkwlist) | frozenset(dir(builtins))
_TOKEN = re.compile(
    r"(?P<skip>\s+|#[^\n]*|\\\n)"
    r"|(?P<string>(?:[rRbBuUfF]{1,2})?(?:'''[\s\S]*?(?:'''|\Z)|\"\"\"[\s\S]*?(?:\"\"\"|\Z)"
    r"|'(?:\\.|[^'\\\n])*'?|\"(?:\\.|[^\"\\\n])*\"?))"
    r"|(?P<name>[^\W\d]\w*)"
    r"|(?P<number>\.?\d(?:[eE][-+]|[\w.])*)"
    r"|(?P<op>\*\*=?|//=?|->|:=|\.\.\.|<<=?|>>=?|[-+*/%@&|^<>=!]=|[^\s])"
)


@dataclass(frozen=True)
class Tokens:
    """Normalised tokens and, for each, its [start, end) character offsets in the source."""

    text: tuple[str, ...]
    starts: tuple[int, ...]
    ends: tuple[int, ...]


def normalised_tokens(source: str) -> Tokens:
    text: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for match in _TOKEN.finditer(source):
        kind = match.lastgroup
        if kind == "skip":
            continue
        value = match.group()
        if kind == "name":
            value = value if value in KEPT_NAMES else "V"
        elif kind == "string":
            value = "S"
        text.append(value)
        starts.append(match.start())
        ends.append(match.end())
    return Tokens(tuple(text), tuple(starts), tuple(ends))
