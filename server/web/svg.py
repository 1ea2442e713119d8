"""A tiny SVG writer for server-rendered charts: no script, no external resources, text escaped.

Charts scale with their container (viewBox, no fixed pixel size in the page) and carry a <title> and an
aria-label, so a screen reader says what the picture is. Colours come from one small palette.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from grader.times import offset_label

INK = "#1e293b"
MUTED = "#64748b"
GRID = "#e2e8f0"
BLUE = "#2563eb"
RED = "#dc2626"
AMBER = "#d97706"
GREEN = "#16a34a"
FONT = "system-ui, -apple-system, 'Segoe UI', 'Noto Sans', 'PingFang SC', 'Microsoft YaHei', sans-serif"


def _n(value: float) -> str:
    """A coordinate: at most one decimal, no trailing zeros."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _attrs(attrs: dict[str, object]) -> str:
    out = []
    for key, value in attrs.items():
        if value is None:
            continue
        name = key.rstrip("_").replace("_", "-")
        text = _n(value) if isinstance(value, float) else str(value)
        out.append(f' {name}="{escape(text)}"')
    return "".join(out)


class Svg:
    """Collects elements; `markup()` returns the <svg> for direct inclusion in a page."""

    def __init__(self, width: int, height: int, label: str, css: str = "chart") -> None:
        self.width, self.height, self.label, self.css = width, height, label, css
        self._items: list[str] = []

    def add(self, tag: str, text: str | None = None, /, **attrs: object) -> None:
        if text is None:
            self._items.append(f"<{tag}{_attrs(attrs)}/>")
        else:
            self._items.append(f"<{tag}{_attrs(attrs)}>{escape(text)}</{tag}>")

    def rect(self, x: float, y: float, w: float, h: float, fill: str, tip: str | None = None, **attrs: object) -> None:
        """A rectangle; `tip` becomes its tooltip (a <title> child)."""
        box = {"x": float(x), "y": float(y), "width": float(max(w, 0.0)), "height": float(max(h, 0.0)), "fill": fill}
        if tip is None:
            self.add("rect", **box, **attrs)
        else:
            self._items.append(f"<rect{_attrs({**box, **attrs})}><title>{escape(tip)}</title></rect>")

    def line(self, x1: float, y1: float, x2: float, y2: float, stroke: str = GRID, **attrs: object) -> None:
        self.add("line", x1=float(x1), y1=float(y1), x2=float(x2), y2=float(y2), stroke=stroke, **attrs)

    def text(self, x: float, y: float, text: str, size: int = 11, fill: str = MUTED, anchor: str = "start",
             **attrs: object) -> None:
        self.add("text", text, x=float(x), y=float(y), font_size=size, fill=fill, text_anchor=anchor, **attrs)

    def markup(self) -> Markup:
        head = (
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {self.width} {self.height}" role="img"'
            f' aria-label="{escape(self.label)}" font-family="{escape(FONT)}" class="{escape(self.css)}">'
            f"<title>{escape(self.label)}</title>"
        )
        return Markup(head + "".join(self._items) + "</svg>")


def count_axis(value: float, max_ticks: int = 5) -> tuple[float, float]:
    """(top, step) of an axis of counts: whole steps of 1, 2 or 5 x 10^k, at most max_ticks of them."""
    if value <= 0:
        return 1.0, 1.0
    step = 1.0
    while value / step > max_ticks:
        for factor in (2, 2.5, 2):  # 1 -> 2 -> 5 -> 10 -> 20 -> 50 ...
            step *= factor
            if value / step <= max_ticks:
                break
    return math.ceil(value / step) * step, step


def nice_max(value: float) -> float:
    return count_axis(value)[0]


def _y_axis(svg: Svg, left: float, top: float, width: float, height: float, top_value: float) -> None:
    _top, step = count_axis(top_value)
    ticks = round(top_value / step)
    for k in range(ticks + 1):
        value = step * k
        y = top + height - height * value / top_value
        svg.line(left, y, left + width, y)
        svg.text(left - 6, y + 4, f"{value:g}", anchor="end")


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    tip: str = ""
    color: str = BLUE


def histogram(bars: Sequence[Bar], label: str, *, x_title: str = "", y_title: str = "",
              width: int = 360, height: int = 200) -> Markup:
    """Vertical bars with their count on top, a label under each (e.g. score bins)."""
    svg = Svg(width, height, label)
    left, right, top, bottom = 36.0, 8.0, 24.0 if y_title else 14.0, 38.0 if x_title else 24.0
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = nice_max(max((b.value for b in bars), default=0.0))
    _y_axis(svg, left, top, plot_w, plot_h, top_value)
    slot = plot_w / max(len(bars), 1)
    every = max(1, math.ceil(len(bars) * 34 / plot_w))  # skip labels that would overlap
    for i, bar in enumerate(bars):
        h = plot_h * bar.value / top_value
        x = left + i * slot
        tip = bar.tip or f"{bar.label}: {bar.value:g}"
        svg.rect(x + slot * 0.1, top + plot_h - h, slot * 0.8, h, bar.color, tip=tip)
        if bar.value:
            svg.text(x + slot / 2, top + plot_h - h - 3, f"{bar.value:g}", size=10, fill=INK, anchor="middle")
        if i % every == 0:
            svg.text(x + slot / 2, top + plot_h + 14, bar.label, size=10, anchor="middle")
    svg.line(left, top + plot_h, left + plot_w, top + plot_h, stroke=MUTED)
    if x_title:
        svg.text(left + plot_w / 2, height - 4, x_title, size=11, anchor="middle")
    if y_title:
        svg.text(4, 12, y_title, size=10)
    return svg.markup()


def hbars(bars: Sequence[Bar], label: str, *, total: float | None = None, width: int = 560,
          row: int = 24, label_width: int = 250) -> Markup:
    """Horizontal bars, one per row, label on the left and the value (and share of `total`) on the right."""
    height = max(1, len(bars)) * row + 10
    svg = Svg(width, height, label)
    top_value = max((b.value for b in bars), default=0.0) or 1.0
    plot_w = width - label_width - 70
    for i, bar in enumerate(bars):
        y = 5 + i * row
        text = bar.label if len(bar.label) <= 40 else bar.label[:39] + "…"
        svg.text(label_width - 8, y + row * 0.62, text, size=12, fill=INK, anchor="end")
        w = plot_w * bar.value / top_value
        svg.rect(label_width, y + 4, w, row - 8, bar.color, tip=bar.tip or f"{bar.label}: {bar.value:g}", rx=2)
        share = f" ({100 * bar.value / total:.0f}%)" if total else ""
        svg.text(label_width + w + 6, y + row * 0.62, f"{bar.value:g}{share}", size=11)
    return svg.markup()


def timeline(counts: Sequence[tuple[dt.datetime, dt.datetime, int]], label: str, *,
             deadline: dt.datetime | None = None, deadline_label: str = "deadline", width: int = 760,
             height: int = 220, zone: dt.tzinfo = dt.UTC) -> Markup:
    """Counts per time bucket [start, end) as bars on a time axis, with the deadline as a red line; times read
    in the course's `zone`, the tips and the deadline labelled with its UTC offset."""
    svg = Svg(width, height, label)
    left, right, top, bottom = 40.0, 16.0, 22.0, 30.0
    plot_w, plot_h = width - left - right, height - top - bottom
    if not counts:
        svg.text(width / 2, height / 2, "—", size=14, anchor="middle")
        return svg.markup()
    t0, t1 = counts[0][0], counts[-1][1]
    if deadline is not None and not t0 <= deadline <= t1:
        deadline = None  # outside the drawn range: the page says it in words
    span = max((t1 - t0).total_seconds(), 1.0)

    def x_of(t: dt.datetime) -> float:
        return left + plot_w * (t - t0).total_seconds() / span

    top_value = nice_max(max(c for _s, _e, c in counts))
    _y_axis(svg, left, top, plot_w, plot_h, top_value)
    for start, end, count in counts:
        x0, x1 = x_of(start), x_of(end)
        h = plot_h * count / top_value
        color = RED if deadline is not None and start >= deadline else BLUE
        svg.rect(x0 + 0.5, top + plot_h - h, max(x1 - x0 - 1, 1.0), h, color,
                 tip=f"{start.astimezone(zone):%Y-%m-%d %H:%M} {offset_label(start.astimezone(zone))}: {count}")
    svg.line(left, top + plot_h, left + plot_w, top + plot_h, stroke=MUTED)
    ticks = 6
    for k in range(ticks + 1):
        t = t0 + (t1 - t0) * k / ticks
        fmt = "%m-%d %H:%M" if span < 4 * 86400 else "%m-%d"
        anchor = "start" if k == 0 else "end" if k == ticks else "middle"  # the ends stay inside the picture
        svg.text(x_of(t), height - 10, t.astimezone(zone).strftime(fmt), size=10, anchor=anchor)
    if deadline is not None:
        x = x_of(deadline)
        svg.line(x, top - 4, x, top + plot_h, stroke=RED, stroke_width=2, stroke_dasharray="5 3")
        local = deadline.astimezone(zone)
        svg.text(x - 4 if x > left + plot_w * 0.7 else x + 4, top - 8,
                 f"{deadline_label} {local:%m-%d %H:%M} {offset_label(local)}",
                 size=11, fill=RED, anchor="end" if x > left + plot_w * 0.7 else "start")
    return svg.markup()


def meter(ever: float, still: float, top: float, width: int = 160, height: int = 12) -> Markup:
    """Two overlaid bars in a row of a table: `ever` (light) and `still` (dark), scaled to `top`."""
    top = top or 1.0
    svg = Svg(width, height, f"{ever:g} / {still:g}", css="meter")
    svg.rect(0, 0, width, height, "#f1f5f9", rx=3)
    svg.rect(0, 0, width * ever / top, height, "#fca5a5", rx=3)
    svg.rect(0, 0, width * still / top, height, RED, rx=3)
    return svg.markup()


# ---------------------------------------------------------------- curves over x, in panels side by side

MAX_DECADES = 14
_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


@dataclass(frozen=True)
class Curve:
    label: str
    values: Sequence[float | None]  # one per x; None is a gap
    color: str = BLUE
    dashed: bool = False


@dataclass(frozen=True)
class Panel:
    title: str
    curves: Sequence[Curve]


def _decade(k: int) -> str:
    return "10" + str(k).translate(_SUPERSCRIPT)


def _log_range(values: Sequence[float]) -> tuple[int, int]:
    """(lowest, highest) power of ten on a log axis: whole decades around the positive values, at most
    MAX_DECADES of them (anything tinier sits on the bottom of the plot)."""
    positive = [v for v in values if v > 0]
    if not positive:
        return -1, 1
    hi = math.ceil(math.log10(max(positive)))
    lo = max(math.floor(math.log10(min(positive))), hi - MAX_DECADES)
    return (lo, hi + 1) if hi == lo else (lo, hi)


def _linear_range(values: Sequence[float]) -> tuple[float, float]:
    lo, hi = min(values, default=0.0), max(values, default=1.0)
    lo = min(lo, 0.0)
    if hi <= lo:
        hi = lo + 1.0
    return lo, hi


def _x_ticks(lo: float, hi: float, max_ticks: int = 6) -> list[float]:
    _top, step = count_axis(hi - lo, max_ticks)
    first = math.ceil(lo / step) * step
    return [first + k * step for k in range(int((hi - first) / step + 1e-9) + 1)]


def _plot_panel(svg: Svg, x0: float, y0: float, w: float, h: float, panel: Panel, xs: Sequence[float], *,
                log_y: bool, x_title: str, y_title: str) -> None:
    finite = [v for c in panel.curves for v in c.values if v is not None and math.isfinite(v)]
    x_lo, x_hi = (min(xs), max(xs)) if xs else (0.0, 1.0)
    x_span = (x_hi - x_lo) or 1.0

    def x_of(x: float) -> float:
        return x0 + w * (x - x_lo) / x_span

    if log_y:
        lo, hi = _log_range(finite)
        bottom, top = float(lo), float(hi)
    else:
        bottom, top = _linear_range(finite)

    def y_of(v: float) -> tuple[float, bool]:
        """Pixel y, and whether the value lies below the axis (zero or tinier than the range, on a log axis)."""
        if log_y:
            if v <= 0 or math.log10(v) < bottom:
                return y0 + h, True
            v = math.log10(v)
        return y0 + h * (top - v) / (top - bottom), False

    svg.text(x0 + w / 2, y0 - 10, panel.title, size=13, fill=INK, anchor="middle")
    mid = y0 + h / 2
    svg.text(x0 - 50, mid, y_title, size=12, fill=INK, anchor="middle", transform=f"rotate(-90 {x0 - 50} {mid})")
    if log_y:
        step = 1 if top - bottom <= 7 else 2
        for k in range(int(bottom), int(top) + 1):
            y = y0 + h * (top - k) / (top - bottom)
            svg.line(x0, y, x0 + w, y)
            if (k - int(bottom)) % step == 0:
                svg.text(x0 - 6, y + 4, _decade(k), anchor="end")
    else:
        _top, step_value = count_axis(top - bottom)
        k = math.ceil(bottom / step_value)
        while k * step_value <= top + 1e-12:
            y = y0 + h * (top - k * step_value) / (top - bottom)
            svg.line(x0, y, x0 + w, y)
            svg.text(x0 - 6, y + 4, f"{k * step_value:g}", anchor="end")
            k += 1
    svg.rect(x0, y0, w, h, "none", stroke=MUTED)  # the frame over the grid lines
    for x in _x_ticks(x_lo, x_hi):
        svg.text(x_of(x), y0 + h + 16, f"{x:g}", anchor="middle")
    svg.text(x0 + w / 2, y0 + h + 34, x_title, size=12, fill=INK, anchor="middle", font_style="italic")
    for curve in panel.curves:
        run: list[str] = []
        points: list[tuple[float | None, float | None]] = [*zip(xs, curve.values, strict=False), (None, None)]
        for at, v in points:
            if at is None or v is None or not math.isfinite(v):
                if len(run) > 1:
                    svg.add("polyline", points=" ".join(run), fill="none", stroke=curve.color, stroke_width=2,
                            stroke_dasharray="6 4" if curve.dashed else None)
                run = []
                continue
            px, (py, below) = x_of(at), y_of(v)
            run.append(f"{_n(px)},{_n(py)}")
            svg.add("circle", cx=float(px), cy=float(py), r=3.0 if curve.dashed else 2.5,
                    fill="white" if below else curve.color, stroke=curve.color)


def line_panels(panels: Sequence[Panel], xs: Sequence[float], label: str, *, x_title: str, y_title: str,
                log_y: bool = False, notes: Sequence[str] = (), width: int = 770) -> Markup:
    """Curves over the same x values in panels side by side, one legend (from the first panel's curves) and
    notes above them. On a log axis a value at or below the bottom is drawn as a hollow marker on it."""
    columns = max(len(panels), 1)
    left, gap, panel_h = 70.0, 80.0, 210.0
    panel_w = (width - left - 20 - gap * (columns - 1)) / columns
    legend_h = 30 + 18 * len(notes)
    height = int(legend_h + 44 + panel_h + 46)
    svg = Svg(width, height, label)
    svg.rect(0, 0, width, height, "white")
    x = left
    for curve in panels[0].curves if panels else ():
        dash = "6 4" if curve.dashed else None
        svg.line(x, 18, x + 30, 18, stroke=curve.color, stroke_width=2, stroke_dasharray=dash)
        svg.text(x + 36, 22, curve.label, size=12, fill=INK)
        x += 36 + 7 * len(curve.label) + 40
    for k, note in enumerate(notes):
        svg.text(left, 40 + 18 * k, note, size=11)
    top = legend_h + 44
    for k, panel in enumerate(panels):
        _plot_panel(svg, left + k * (panel_w + gap), top, panel_w, panel_h, panel, xs, log_y=log_y,
                    x_title=x_title, y_title=y_title)
    return svg.markup()
