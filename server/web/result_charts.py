"""The charts of one result, drawn by the server in the page's language from the data the exercise's
`chart` hook stored (grader.diagnostics.Chart). The server knows nothing about what a chart shows: every
word on it is a bilingual message from the exercise, every number a float.

Results stored before charts were data carry a finished drawing under a key ending in `_chart_svg`; such
a drawing is shown only if it is plainly a picture (safe_svg)."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass

from markupsafe import Markup
from pydantic import ValidationError

from grader.diagnostics import CHARTS_KEY, Chart
from server.models import DiagnosticsStatus, SubmissionPublic
from server.web import svg
from server.web.i18n import t

log = logging.getLogger("rnn_grader.web")
LEGACY_SUFFIX = "_chart_svg"
SVG_MAX_CHARS = 200_000
MAX_CHARTS = 8
ROLE_STYLE = {"reference": (svg.BLUE, False), "student": (svg.RED, True)}
# Anything that could run code or load something: scripts, event handlers, links, embedded documents,
# external references, DTDs and processing instructions. A drawing with any of these is not shown.
_UNSAFE_SVG = re.compile(
    r"<\s*/?\s*(script|foreignobject|iframe|object|embed|image|use|a|animate\w*|set|style|link|meta|handler)\b"
    r"|\bon[a-z]+\s*=|javascript\s*:|href|url\s*\(|<!|<\?|@import",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class DrawnChart:
    name: str
    caption: str
    picture: Markup


def safe_svg(value: object) -> Markup | None:
    """The SVG string as markup if it is plainly a drawing, else None. Defence in depth for drawings made
    elsewhere: it refuses rather than repairs."""
    if not isinstance(value, str) or len(value) > SVG_MAX_CHARS:
        return None
    text = value.strip()
    if not text.startswith("<svg") or not text.endswith("</svg>") or _UNSAFE_SVG.search(text):
        return None
    return Markup(text)


def draw(chart: Chart, lang: str) -> DrawnChart:
    def curve(series_label: str, role: str, values: list[float | None]) -> svg.Curve:
        color, dashed = ROLE_STYLE[role]
        return svg.Curve(series_label, values, color, dashed)

    panels = [svg.Panel(p.title.get(lang), [curve(s.label.get(lang), s.role, s.y) for s in p.series])
              for p in chart.panels]
    notes = [n.get(lang) for n in chart.notes]
    if chart.y_scale == "log":
        notes.append(t("chart_hollow_markers", lang))
    picture = svg.line_panels(panels, chart.x, chart.title.get(lang), x_title=chart.x_label.get(lang),
                              y_title=chart.y_label.get(lang), log_y=chart.y_scale == "log", notes=notes)
    return DrawnChart(chart.name, chart.title.get(lang), picture)


def result_charts(diagnostics: Mapping[str, object], lang: str) -> tuple[list[DrawnChart], bool]:
    """The result's charts, drawn; and whether one was refused (malformed data or an unsafe old drawing)."""
    drawn: list[DrawnChart] = []
    refused = False
    raw = diagnostics.get(CHARTS_KEY, [])
    for item in raw[:MAX_CHARTS] if isinstance(raw, list) else [raw]:
        try:
            drawn.append(draw(Chart.model_validate(item), lang))
        except (ValidationError, ValueError, TypeError):
            log.warning("a stored chart is malformed; not shown")
            refused = True
    for key, value in diagnostics.items():
        if key.endswith(LEGACY_SUFFIX):
            picture = safe_svg(value)
            if picture is None:
                refused = True
            else:
                drawn.append(DrawnChart(key.removesuffix(LEGACY_SUFFIX), t("chart_public_inputs", lang), picture))
    return drawn, refused


class ChartState:
    """For the pages' data classes that hold a rendered submission as `view`: where its charts are
    (server.grading.diagnostics)."""

    view: SubmissionPublic

    @property
    def charts_pending(self) -> bool:
        """A grading loop is drawing them: the page waits for them."""
        return self.view.diagnostics_status in (DiagnosticsStatus.wanted, DiagnosticsStatus.running)

    @property
    def charts_askable(self) -> bool:
        """Not drawn (every test passed) or their run failed: the page offers a button."""
        return self.view.diagnostics_status in (DiagnosticsStatus.available, DiagnosticsStatus.failed)
