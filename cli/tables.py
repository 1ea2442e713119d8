"""Tables for the terminal that never break a word, at any width (80 columns included).

Rich fits a table to the terminal by shrinking its widest columns, and folds whatever no longer fits, in the
middle of a word if need be ("forward/long_vanish" / "ing"). Here every column is at least as wide as its
longest word, the text is wrapped at spaces (or between Chinese characters) by us, and only the slack above
those minimums is given up; when even the minimums do not fit, each row is shown as a block of `Header: value`
lines instead. The same API as the part of rich.table.Table the CLI uses: add_column, add_row, add_section.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rich import box as boxes
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, JustifyMethod, RenderResult
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

# Chinese punctuation that must not start a line: it stays with the character before it.
_CLOSING = frozenset("，。；：？！、）》」』】〕…")
Cell = Text | str
RECORD_INDENT = 2  # a record's value continues this far in


def _units(plain: str) -> list[tuple[int, int, bool]]:
    """(start, end, is_space) of the pieces a line may break between: runs of spaces, runs of narrow
    characters (a word), and single wide (Chinese) characters."""
    units: list[tuple[int, int, bool]] = []
    i, n = 0, len(plain)
    while i < n:
        ch = plain[i]
        if ch.isspace():
            j = i
            while j < n and plain[j].isspace():
                j += 1
            units.append((i, j, True))
        elif cell_len(ch) > 1:
            j = i + 1
            if ch in _CLOSING and units and not units[-1][2]:
                units[-1] = (units[-1][0], j, False)
                i = j
                continue
            units.append((i, j, False))
        else:  # a word: narrow characters, and zero-width ones (a combining mark, a control character)
            j = i + 1
            while j < n and not plain[j].isspace() and cell_len(plain[j]) <= 1:
                j += 1
            units.append((i, j, False))
        i = j
    return units


def min_width(text: Text) -> int:
    """The narrowest width at which `text` wraps without breaking a word (a line's indentation stays with
    its first word)."""
    widest = 0
    for line in text.plain.split("\n"):
        units = _units(line)
        for k, (a, b, space) in enumerate(units):
            if not space:
                lead = cell_len(line[: units[0][1]]) if k == 1 and units[0][2] else 0
                widest = max(widest, lead + cell_len(line[a:b]))
    return widest


def max_width(text: Text) -> int:
    return max((cell_len(line) for line in text.plain.split("\n")), default=0)


def wrap(text: Text, width: int) -> Text:
    """`text` wrapped to `width` cells at spaces and between Chinese characters, styles kept. A word wider
    than `width` (only when the terminal itself is narrower) is cut, as nothing else can be done."""
    out: list[Text] = []
    for line in text.split("\n", allow_blank=True):
        out += _wrap_line(line, max(width, 1))
    return Text("\n").join(out)


def _wrap_line(line: Text, width: int) -> list[Text]:
    plain = line.plain
    lines: list[Text] = []
    start: int | None = None
    end = used = gap = 0
    for a, b, space in _units(plain):
        w = cell_len(plain[a:b])
        if space:
            if start is None:  # indentation: kept on the first line
                start, end, used = a, b, w
            else:
                gap = w
            continue
        if start is None:
            start, end, used = a, b, w
        elif used + gap + w <= width:
            end, used = b, used + gap + w
        else:
            lines.append(line[start:end])
            start, end, used = a, b, w
        gap = 0
        while used > width:  # one word wider than the whole width
            cut = start + _chars_in(plain[start:end], width)
            lines.append(line[start:cut])
            start, used = cut, cell_len(plain[cut:end])
    if start is not None:
        lines.append(line[start:end])
    return lines or [Text("")]


def _chars_in(text: str, width: int) -> int:
    used = 0
    for k, ch in enumerate(text):
        used += cell_len(ch)
        if used > width:
            return max(k, 1)
    return len(text)


@dataclass
class _Column:
    header: Text
    justify: JustifyMethod = "left"
    no_wrap: bool = False
    style: str | None = None


class FitTable:
    """A table that never breaks a word (see the module's docstring)."""

    def __init__(self, box: boxes.Box = boxes.SIMPLE_HEAD, header_style: str = "bold") -> None:
        self.box = box
        self.header_style = header_style
        self.columns: list[_Column] = []
        self.rows: list[list[Text] | None] = []  # None: a section break

    def add_column(self, header: Cell = "", *, justify: JustifyMethod = "left", no_wrap: bool = False,
                   style: str | None = None, **_rich_only: object) -> None:
        self.columns.append(_Column(_as_text(header), justify, no_wrap, style))

    def add_row(self, *cells: Cell | None) -> None:
        row = [_as_text(c) for c in cells]
        self.rows.append(row + [Text("")] * (len(self.columns) - len(row)))

    def add_section(self) -> None:
        self.rows.append(None)

    @property
    def row_count(self) -> int:
        return sum(1 for r in self.rows if r is not None)

    # ------------------------------------------------------------------ rendering
    def _cells(self, j: int) -> Iterable[Text]:
        yield self.columns[j].header
        yield from (row[j] for row in self.rows if row is not None)

    def _widths(self, console: Console, width: int) -> list[int] | None:
        """Each column's width, or None when the table cannot fit without breaking a word."""
        lows = [max(min_width(c) for c in self._cells(j)) for j in range(len(self.columns))]
        highs = [max(max_width(c) for c in self._cells(j)) for j in range(len(self.columns))]
        lows = [high if col.no_wrap else low for low, high, col in zip(lows, highs, self.columns, strict=True)]
        room = width - self._frame(console)
        if sum(lows) > room:
            return None
        widths = list(highs)
        while sum(widths) > room:  # give up slack, widest column first, never below its longest word
            j = max((k for k in range(len(widths)) if widths[k] > lows[k]), key=lambda k: widths[k])
            widths[j] -= 1
        return [max(w, 1) for w in widths]

    def _table(self, widths: Sequence[int] | None) -> Table:
        # No edges and no padding at them: two more columns of text for the words on a narrow terminal.
        table = Table(box=self.box, header_style=self.header_style, show_lines=False, expand=False, show_edge=False,
                      pad_edge=False)
        for j, col in enumerate(self.columns):
            table.add_column(col.header if widths is None else wrap(col.header, widths[j]), justify=col.justify,
                             style=col.style, no_wrap=True, overflow="ignore",
                             width=None if widths is None else widths[j])
        return table

    def _frame(self, console: Console) -> int:
        """What the borders and padding take, beside the columns' text."""
        probe = self._table([1] * len(self.columns))
        return Measurement.get(console, console.options.update_width(10_000), probe).maximum - len(self.columns)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        widths = self._widths(console, options.max_width)
        if widths is None:
            yield from self._records(options.max_width)
            return
        table = self._table(widths)
        for row in self.rows:
            if row is None:
                table.add_section()
            else:
                table.add_row(*(wrap(cell, widths[j]) for j, cell in enumerate(row)))
        yield table

    def _records(self, width: int) -> RenderResult:
        """Each row as `Header: value` lines (values wrapped, continued two spaces in), rows apart."""
        first = True
        for row in self.rows:
            if row is None:
                continue
            if not first:
                yield Text("")
            first = False
            for col, cell in zip(self.columns, row, strict=True):
                head = col.header.copy()
                head.stylize(self.header_style)
                lines = wrap(Text.assemble(head, ": ", cell), max(width - RECORD_INDENT, 1)).split("\n")
                yield lines[0]
                for rest in lines[1:]:
                    yield Text(" " * RECORD_INDENT) + rest


TAB_SIZE = 4


def _as_text(cell: Cell | None) -> Text:
    # Text(), never markup: feedback contains brackets like x[t] that Rich would swallow. Tabs become spaces
    # here: measured as zero cells wide but printed as up to eight, a tab would push the rest of its cell out
    # of the column (a student's message, an exception's text).
    if isinstance(cell, Text):
        if "\t" not in cell.plain:
            return cell
        cell = cell.copy()
        cell.expand_tabs(TAB_SIZE)
        return cell
    return Text(("" if cell is None else str(cell)).expandtabs(TAB_SIZE))


def render_text(renderable: object, width: int) -> str:
    """What a renderable prints on a terminal `width` columns wide (for tests and the Jupyter text form)."""
    console = Console(width=width, file=io.StringIO(), record=True, highlight=False, force_jupyter=False,
                      color_system=None)
    console.print(renderable)
    return console.export_text()
