"""Diagnostics an exercise computes on public inputs, handed to the server as plain data.

The exercise says what to draw (numbers, and every word as a bilingual catalogue message); the server
draws it (server/web/svg.py) in the reader's language. So no drawing code and no SVG cross this boundary,
and the server needs to know nothing about any exercise to show its charts.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from grader.result import Text

# Where the charts sit in Result.diagnostics (a JSON object): {"charts": [Chart, ...], **values}.
CHARTS_KEY = "charts"


class Series(BaseModel):
    """One curve: a y value per x of its chart; None where there is no valid value (drawn as a gap)."""

    label: Text
    # "reference" is drawn solid, "student" dashed in a second colour.
    role: Literal["reference", "student"]
    y: list[float | None]


class Panel(BaseModel):
    """One plot of a chart; the panels of a chart share its axes' meaning and its x values."""

    title: Text
    series: list[Series]


class Chart(BaseModel):
    """Panels of curves over the same x values, e.g. a quantity per time step for two settings."""

    # A short stable name, unique within a result (used in element ids of the pages).
    name: str = Field(pattern=r"^[A-Za-z0-9_-]{1,40}$")
    title: Text
    x_label: Text
    y_label: Text
    x: list[float]
    y_scale: Literal["linear", "log"] = "linear"
    panels: list[Panel]
    # Lines of explanation under the legend (what a hollow marker means, why a curve is missing, ...).
    notes: list[Text] = Field(default_factory=list)


class Diagnostics(BaseModel):
    """What the `chart` hook returns: charts to draw, and values kept with the result as they are."""

    charts: list[Chart] = Field(default_factory=list)
    # Plain JSON values (numbers, strings, lists, dicts of them), stored with the result.
    values: dict[str, Any] = Field(default_factory=dict)

    def as_json(self) -> dict[str, object]:
        """The Result.diagnostics object: the values, and the charts under CHARTS_KEY."""
        out: dict[str, object] = dict(self.values)
        if self.charts:
            out[CHARTS_KEY] = [c.model_dump(mode="json") for c in self.charts]
        return out
