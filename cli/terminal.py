"""Text from the server, made safe for a terminal: the one function (`terminal_safe`) through which every
string the CLI prints passes, and the Rich console that applies it.

A server (or a student whose words the server relays: a regrade message, a name) must not be able to drive
the reader's terminal: ESC starts CSI/OSC sequences (clear the screen, retitle the window, OSC 52 sets the
clipboard, OSC 8 disguises links), BEL rings, backspace and a lone carriage return overwrite what was
printed, and the C1 range (U+0080..U+009F) holds 8-bit CSI/OSC. Every such character is shown escaped
(`\\x1b`), so the sequence is inert and the reader still sees that something was there. Newline and tab stay;
CR LF becomes a newline. JSON output keeps the exact strings, with these characters only as JSON escapes
(`json_safe`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from rich.console import Console, ConsoleOptions, RenderableType
from rich.segment import Segment
from rich.text import Text

# C0 controls but newline and tab, DEL, and C1.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# What json.dumps(ensure_ascii=False) leaves raw (it escapes U+0000..U+001F itself).
_JSON_RAW_CONTROL = re.compile("[\x7f-\x9f]")


def _escaped(match: re.Match[str]) -> str:
    return f"\\x{ord(match.group()):02x}"


def terminal_safe(text: object) -> str:
    """`text` as a string with every terminal control character shown escaped; newlines and tabs kept."""
    return _CONTROL.sub(_escaped, str(text).replace("\r\n", "\n"))


def json_safe(dumped: str) -> str:
    """JSON text (from json.dumps) with DEL and C1 characters as \\u escapes: the same JSON, safe to print."""
    return _JSON_RAW_CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", dumped)


def safe_text(value: object, style: str = "") -> Text:
    """A Rich Text of a server value (never markup), safe for the terminal; None is empty."""
    return Text("" if value is None else terminal_safe(value), style=style)


class SafeConsole(Console):
    """A Console that prints no markup and no control character of the text it is given: strings are
    cleaned before layout (so tables keep their widths), and every rendered segment again on the way out,
    whatever renderable built it. Rich's own styling is not text and is untouched."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(markup=False, highlight=False, **kwargs)

    def render_str(self, text: str, **kwargs: Any) -> Text:
        return super().render_str(terminal_safe(text), **kwargs)

    def render(self, renderable: RenderableType, options: ConsoleOptions | None = None) -> Iterable[Segment]:
        for segment in super().render(renderable, options):
            if segment.control is None and _CONTROL.search(segment.text):
                yield Segment(terminal_safe(segment.text), segment.style)
            else:
                yield segment
