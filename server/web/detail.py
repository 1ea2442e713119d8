"""One student's page: submission history, and one submission in full (feedback in the page's language,
highlighted source, timings, captured output, the charts the exercise computed on public inputs)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import sqlalchemy as sa
from markupsafe import Markup, escape
from sqlmodel import Session

from grader.policy import counted_score
from server.catalog import Catalog
from server.models import STUDENT_ID_PATTERN, Student, Submission, SubmissionTeacher
from server.policies.deadlines import extensions_of
from server.rendering import render_submission
from server.scoreboard.query import ScorePolicy, counted_by_pair
from server.tables import submissions_t
from server.web.result_charts import ChartState, DrawnChart, result_charts

HISTORY_LIMIT = 200
try:
    from pygments import highlight as _highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import PythonLexer
except ImportError:  # pragma: no cover - pygments is a dependency; plain text is the fallback
    _highlight = None


def highlight_source(source: str) -> Markup:
    if _highlight is None:  # pragma: no cover
        return Markup('<pre class="highlight"><code>') + escape(source) + Markup("</code></pre>")
    formatter = HtmlFormatter(cssclass="highlight", linenos="table", wrapcode=True)
    return Markup(str(_highlight(source, PythonLexer(), formatter)))


def highlight_css() -> str:
    if _highlight is None:  # pragma: no cover
        return ""
    return str(HtmlFormatter(style="default").get_style_defs(".highlight"))


@dataclass(frozen=True)
class HistoryItem:
    id: int
    exercise: str
    status: str
    score: float | None
    max_score: float
    late: bool
    created_at: dt.datetime
    graded_at: dt.datetime | None
    grading_ms: float | None
    counted: bool
    late_penalty: float = 0.0

    @property
    def counted_score(self) -> float | None:
        return None if self.score is None else counted_score(self.score, self.late_penalty)


@dataclass(frozen=True)
class Detail(ChartState):
    view: SubmissionTeacher
    source: Markup
    charts: list[DrawnChart]
    chart_rejected: bool
    turnaround_s: float | None


@dataclass(frozen=True)
class StudentPage:
    student_id: str
    name: str
    history: list[HistoryItem]  # the newest HISTORY_LIMIT
    submissions: int  # all of them
    detail: Detail | None
    # exercise -> this student's own deadline (their extensions; docs/policies.md)
    extensions: dict[str, dt.datetime] = field(default_factory=dict)


def student_history(session: Session, student_id: str, policy: ScorePolicy) -> tuple[list[HistoryItem], int]:
    """The newest HISTORY_LIMIT submissions of one student (with the one that counts marked), and how many
    there are in all."""
    conn = session.connection()
    counted = {
        pair.counted.submission_id
        for (sid, _e), pair in counted_by_pair(conn, policy).items()
        if sid == student_id and pair.counted is not None
    }
    rows = conn.execute(
        sa.select(
            submissions_t.c.id,
            submissions_t.c.exercise,
            submissions_t.c.status,
            submissions_t.c.score,
            submissions_t.c.max_score,
            submissions_t.c.late,
            submissions_t.c.created_at,
            submissions_t.c.graded_at,
            submissions_t.c.grading_ms,
            submissions_t.c.late_penalty,
        )
        .where(submissions_t.c.student_id == student_id)
        .order_by(submissions_t.c.id.desc())
        .limit(HISTORY_LIMIT)
    ).all()
    history = [
        HistoryItem(id=int(r[0]), exercise=str(r[1]), status=str(r[2]), score=r[3], max_score=float(r[4]),
                    late=bool(r[5]), created_at=r[6], graded_at=r[7], grading_ms=r[8], counted=int(r[0]) in counted,
                    late_penalty=float(r[9] or 0.0))
        for r in rows
    ]
    total = int(conn.execute(sa.select(sa.func.count()).where(submissions_t.c.student_id == student_id)).scalar_one())
    return history, total


def load_student_page(session: Session, catalog: Catalog, student_id: str, submission_id: int | None, lang: str,
                      policy: ScorePolicy) -> StudentPage | None:
    if not re.fullmatch(STUDENT_ID_PATTERN, student_id):
        return None  # no student has that id; and PostgreSQL refuses to compare with a NUL character
    student = session.get(Student, student_id)
    if student is None:
        return None
    history, total = student_history(session, student_id, policy)
    chosen = submission_id if submission_id is not None else _default_choice(history)
    detail = None
    if chosen is not None:
        sub = session.get(Submission, chosen)
        if sub is not None and sub.student_id == student_id:
            detail = _detail(sub, catalog, lang)
    return StudentPage(student_id=student.student_id, name=student.name, history=history, submissions=total,
                       detail=detail, extensions=extensions_of(session, student_id))


def _default_choice(history: list[HistoryItem]) -> int | None:
    """The newest graded submission, else the newest one."""
    for item in history:
        if item.status == "graded":
            return item.id
    return history[0].id if history else None


def _detail(sub: Submission, catalog: Catalog, lang: str) -> Detail:
    view = render_submission(sub, catalog, lang, teacher=True)
    assert isinstance(view, SubmissionTeacher)
    charts, refused = result_charts(view.diagnostics, lang)
    turnaround = (sub.graded_at - sub.created_at).total_seconds() if sub.graded_at is not None else None
    return Detail(view=view, source=highlight_source(sub.source), charts=charts,
                  chart_rejected=refused, turnaround_s=turnaround)
