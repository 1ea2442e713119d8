"""The scoreboard as an LMS grade import file (`GET /api/v1/scoreboard.csv?format=canvas|moodle`), counted
scores (after late penalties) per exercise; a student without a graded submission gets an empty cell, which
both LMSs read as "no grade" rather than 0. See docs/policies.md, "Grades into the LMS".

Canvas (Gradebook > Import): the columns Canvas itself exports, Student, ID, SIS User ID, SIS Login ID,
Section, then one column per exercise, then a "Points Possible" row. Canvas matches a student by ID (its own
user id, unknown here: left empty), else SIS User ID (our `sis_id`), else SIS Login ID (our `email`), and
treats a column without "(<assignment id>)" in its header as a new assignment named by the header, whose
points possible come from that row. Moodle (Grades > Import > CSV file): a student is matched on the column
the teacher maps to "ID number" (our `sis_id`) or "Email address" (our `email`); each exercise column is
mapped to a grade item or "new grade item".
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence

from server.models import ScoreboardRow, Student
from server.scoreboard.export import csv_cell, csv_number

CANVAS_IDENTITY = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
CANVAS_POINTS_ROW = "    Points Possible"  # Canvas's own export indents it so that it sorts first
MOODLE_IDENTITY = ["Full name", "ID number", "Email address"]


def _encode(out: io.StringIO) -> bytes:
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")


def _score(row: ScoreboardRow, exercise: str) -> str:
    value = row.scores.get(exercise)
    return "" if value is None else csv_number(value)


def canvas_csv(
    rows: Sequence[ScoreboardRow], students: Mapping[str, Student], exercises: Sequence[str],
    max_scores: Mapping[str, float],
) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow([*CANVAS_IDENTITY, *exercises])
    writer.writerow([CANVAS_POINTS_ROW, "", "", "", "", *(csv_number(max_scores.get(e, 0.0)) for e in exercises)])
    for row in rows:
        student = students.get(row.student_id)
        writer.writerow([
            csv_cell(row.name), "", csv_cell((student.sis_id if student else None) or ""),
            csv_cell((student.email if student else None) or ""), "", *(_score(row, e) for e in exercises),
        ])
    return _encode(out)


def moodle_csv(rows: Sequence[ScoreboardRow], students: Mapping[str, Student], exercises: Sequence[str]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow([*MOODLE_IDENTITY, *exercises])
    for row in rows:
        student = students.get(row.student_id)
        writer.writerow([
            csv_cell(row.name), csv_cell((student.sis_id if student else None) or ""),
            csv_cell((student.email if student else None) or ""), *(_score(row, e) for e in exercises),
        ])
    return _encode(out)
