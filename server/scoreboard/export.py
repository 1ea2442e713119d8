"""The scoreboard as CSV for spreadsheets (the default layout of `GET /api/v1/scoreboard.csv`)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from server.models import ScoreboardRow

# A cell starting with one of these is a formula to a spreadsheet: prefix it so it stays text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_number(value: float) -> str:
    """87.5, 100, 133.3333: no exponent and no lost digit (`:g` keeps only 6 significant ones)."""
    return f"{value:.10g}"


def csv_cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


def scoreboard_csv(rows: Sequence[ScoreboardRow], exercise_ids: Sequence[str]) -> bytes:
    """UTF-8 with a BOM (so spreadsheet programs read Chinese names right)."""
    exercises = list(exercise_ids)
    for row in rows:
        exercises += [e for e in row.scores if e not in exercises]
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(["student_id", "name", *exercises, "total", "late"])
    for row in rows:
        scores = [row.scores.get(e) for e in exercises]
        writer.writerow(
            [
                csv_cell(row.student_id),
                csv_cell(row.name),
                *("" if v is None else csv_number(v) for v in scores),
                csv_number(row.total),
                "yes" if row.late else "no",
            ]
        )
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")


# The same cell rules for the other CSV downloads (the regrade report).
spreadsheet_text = csv_cell
spreadsheet_number = csv_number
