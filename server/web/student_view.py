"""What the student pages show: the student's exercises (points, own deadline, time left, best score) and
one submission's result (public view: no captured output, no hidden data), with the gradient-norm chart
and the notebook cells that were not graded."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from markupsafe import Markup
from sqlmodel import Session

from grader.times import span
from server.catalog import Catalog
from server.models import DiagnosticsStatus, Submission, SubmissionPublic, SubmissionStatus
from server.policies.deadlines import OwnDeadline, student_deadline
from server.policies.visibility import visible_submission
from server.tables import submissions_t
from server.web.detail import highlight_source
from server.web.i18n import t
from server.web.result_charts import ChartState, DrawnChart, result_charts
from server.web.uploads import SkippedCell, skipped_cells


@dataclass(frozen=True)
class PartInfo:
    title: str
    function: str
    points: float
    credit: str = "test"  # "output": each test earns the share its right outputs weigh


@dataclass(frozen=True)
class ExerciseRow:
    id: str
    title: str
    description: str
    parts: list[PartInfo]
    max_score: float
    due: OwnDeadline
    seconds_left: float | None
    best: float | None
    submissions: int
    template_filename: str
    examples_filename: str

    @property
    def closed(self) -> bool:
        return self.seconds_left is not None and self.seconds_left <= 0


def student_exercises(db: Session, catalog: Catalog, student_id: str, lang: str,
                      now: dt.datetime | None = None) -> list[ExerciseRow]:
    now = now or dt.datetime.now(dt.UTC)
    stats = {
        str(r[0]): (r[1], int(r[2]))
        for r in db.connection().execute(
            sa.select(submissions_t.c.exercise,
                      sa.func.max(sa.case((submissions_t.c.status == SubmissionStatus.graded.value,
                                           submissions_t.c.score), else_=None)),
                      sa.func.count())
            .where(submissions_t.c.student_id == student_id)
            .group_by(submissions_t.c.exercise)
        ).all()
    }
    rows = []
    for exercise_id in sorted(catalog.exercises):
        spec = catalog.exercises[exercise_id].spec
        due = student_deadline(db, catalog, student_id, exercise_id)
        best, count = stats.get(exercise_id, (None, 0))
        rows.append(ExerciseRow(
            id=exercise_id, title=spec.title.get(lang), description=spec.description.get(lang),
            parts=[PartInfo(p.title.get(lang), p.function, p.points, p.credit.per) for p in spec.parts],
            max_score=spec.max_score, due=due, seconds_left=due.seconds_left(now),
            best=float(best) if best is not None else None, submissions=count,
            template_filename=spec.template_path.name, examples_filename=spec.public_examples_path.name,
        ))
    return rows


def time_left(seconds: float | None, lang: str) -> str:
    """`2 days 3 h`, `2 h 10 min`, `5 min` (grader.times.span, as every view says a duration); `deadline
    passed` once passed."""
    if seconds is None:
        return t("no_deadline", lang)
    if seconds <= 0:
        return t("deadline_passed", lang)
    return span(seconds).get(lang)


@dataclass(frozen=True)
class ResultPage(ChartState):
    view: SubmissionPublic
    title: str
    source: Markup
    charts: list[DrawnChart]  # drawn from the exercise's chart data (public inputs only)
    chart_rejected: bool
    skipped: list[SkippedCell]
    # The state this page shows, from the very row the view was rendered from: the page polls /state and
    # refreshes whenever the server's marker differs from this one.
    marker: str

    @property
    def done(self) -> bool:
        return self.view.status in (SubmissionStatus.graded, SubmissionStatus.failed)

    @property
    def settled(self) -> bool:
        """Nothing more will change by itself: graded or failed, and no charts on their way (charts that are
        `available` are on their way too: the page's next load asks for them)."""
        return self.done and not self.charts_pending and self.view.diagnostics_status is not DiagnosticsStatus.available


def state_marker(sub: Submission) -> str:
    """Changes whenever the result page would: status, attempts, the time it was graded, its charts."""
    graded = sub.graded_at.isoformat() if sub.graded_at is not None else ""
    return f"{sub.status}:{sub.attempts}:{graded}:{sub.diagnostics_status or ''}"


def settled(db: Session, catalog: Catalog, sub: Submission, now: dt.datetime) -> bool:
    """The result page will not change by itself any more (the state poll stops). Charts that are only
    `available` are coming when the student may see them (opening the page asks for them): that takes the
    visibility policy, so only then is the submission rendered."""
    if sub.status not in ("graded", "failed"):
        return False
    if sub.diagnostics_status == DiagnosticsStatus.available.value:
        return result_page(db, catalog, sub, "en", now).settled
    return sub.diagnostics_status not in (DiagnosticsStatus.wanted.value, DiagnosticsStatus.running.value)


def load_result(db: Session, catalog: Catalog, student_id: str, submission_id: int, lang: str,
                now: dt.datetime | None = None) -> ResultPage | None:
    """The student's own submission, or None (also for another student's: indistinguishable from missing)."""
    sub = db.get(Submission, submission_id) if 1 <= submission_id < 2**63 else None
    if sub is None or sub.student_id != student_id:
        return None
    return result_page(db, catalog, sub, lang, now or dt.datetime.now(dt.UTC))


def result_page(db: Session, catalog: Catalog, sub: Submission, lang: str, now: dt.datetime) -> ResultPage:
    """Everything the result page shows, and its marker, from this one row (never a second read: a result
    written in between would give the page a marker newer than what it shows, and it would never refresh).
    What it shows follows the exercise's visibility policy at `now` (server.policies.visibility)."""
    marker = state_marker(sub)
    view = visible_submission(db, catalog, sub, lang, False, now)
    charts, refused = result_charts(view.diagnostics, lang)
    exercise = catalog.exercises.get(sub.exercise)
    title = exercise.spec.title.get(lang) if exercise is not None else sub.exercise
    return ResultPage(view=view, title=title, source=highlight_source(sub.source), charts=charts,
                      chart_rejected=refused, skipped=skipped_cells(view), marker=marker)
