"""What the teacher's page shows, read from the database: one row per student with per-exercise and
per-part counted scores, submission counts and times, then sorting, filtering and pagination.

Everything is computed from the maintained scoreboard table (server.scoreboard) plus two GROUP BYs over
submissions, so a class of 1,000 students with 50,000 submissions renders in tens of milliseconds.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import statistics
import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from server.catalog import Catalog
from server.models import SubmissionStatus
from server.scoreboard.query import Activity, PairScore, ScorePolicy, activity_by_pair, counted_by_pair
from server.tables import scores_t, students_t, submissions_t

PER_PAGE_CHOICES = (25, 50, 100, 200)
DEFAULT_PER_PAGE = 50
MAX_QUERY_CHARS = 100


@dataclass(frozen=True)
class PartInfo:
    name: str
    title: str
    points: float
    # How its tests give credit (grader.exercise.Credit.per): "test" or "output".
    credit: str = "test"


@dataclass(frozen=True)
class ExerciseInfo:
    id: str
    title: str
    parts: tuple[PartInfo, ...]
    max_score: float
    deadline: dt.datetime | None


@dataclass(frozen=True)
class Cell:
    score: float | None = None
    parts: dict[str, float] = field(default_factory=dict)
    submissions: int = 0
    last: dt.datetime | None = None
    late: bool = False
    submission_id: int | None = None


@dataclass(frozen=True)
class Row:
    student_id: str
    name: str
    cells: dict[str, Cell]
    total: float
    late: bool


@dataclass(frozen=True)
class Board:
    exercises: list[ExerciseInfo]
    rows: list[Row]
    pairs: dict[tuple[str, str], PairScore]


def exercise_infos(catalog: Catalog, lang: str, extra: Sequence[str] = ()) -> list[ExerciseInfo]:
    """The offered exercises (sorted by id), then any others that still have graded results."""
    infos = []
    for exercise_id in sorted(catalog.exercises):
        spec = catalog.exercises[exercise_id].spec
        infos.append(ExerciseInfo(
            id=exercise_id,
            title=spec.title.get(lang),
            parts=tuple(PartInfo(p.name, p.title.get(lang), p.points, p.credit.per) for p in spec.parts),
            max_score=spec.max_score,
            deadline=catalog.deadlines.get(exercise_id),
        ))
    for exercise_id in sorted(set(extra) - set(catalog.exercises)):
        infos.append(ExerciseInfo(id=exercise_id, title=exercise_id, parts=(), max_score=0.0, deadline=None))
    return infos


def load_board(session: Session, catalog: Catalog, policy: ScorePolicy, lang: str) -> Board:
    conn = session.connection()
    pairs = counted_by_pair(conn, policy)
    activity: dict[tuple[str, str], Activity] = activity_by_pair(conn)
    exercises = exercise_infos(catalog, lang, sorted({e for _s, e in pairs}))
    rows: list[Row] = []
    for student_id, name in conn.execute(
        sa.select(students_t.c.student_id, students_t.c.name).order_by(students_t.c.student_id)
    ).all():
        cells: dict[str, Cell] = {}
        for ex in exercises:
            key = (str(student_id), ex.id)
            act = activity.get(key)
            pair = pairs.get(key)
            counted = pair.counted if pair is not None else None
            cells[ex.id] = Cell(
                score=counted.score if counted else None,
                parts=dict(counted.parts) if counted else {},
                submissions=act.submissions if act else 0,
                last=act.last_submitted_at if act else None,
                late=counted.late if counted else False,
                submission_id=counted.submission_id if counted else None,
            )
        total = round(sum(c.score for c in cells.values() if c.score is not None), 4)
        rows.append(Row(str(student_id), str(name), cells, total, any(c.late for c in cells.values())))
    return Board(exercises=exercises, rows=rows, pairs=pairs)


# ---------------------------------------------------------------- sort, filter, paginate
@dataclass(frozen=True)
class TableQuery:
    q: str = ""
    sort: str = "id"
    desc: bool = False
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE

    def params(self, **changes: Any) -> dict[str, str]:
        """Query-string values of this view with some changed (for links), defaults left out."""
        values = {"q": self.q, "sort": self.sort, "dir": "desc" if self.desc else "asc", "page": str(self.page),
                  "per_page": str(self.per_page)}
        values.update({k: str(v) for k, v in changes.items()})
        defaults = {"q": "", "sort": "id", "dir": "asc", "page": "1", "per_page": str(DEFAULT_PER_PAGE)}
        return {k: v for k, v in values.items() if v != defaults[k]}


def parse_query(params: dict[str, str], board_keys: set[str]) -> TableQuery:
    """Lenient: an unknown sort key or a bad number falls back to the default (a page never 422s)."""
    sort = params.get("sort", "id")
    per_page = _int(params.get("per_page"), DEFAULT_PER_PAGE)
    return TableQuery(
        q=params.get("q", "").strip()[:MAX_QUERY_CHARS],
        sort=sort if sort in board_keys else "id",
        desc=params.get("dir") == "desc",
        page=max(1, min(_int(params.get("page"), 1), 10**6)),
        per_page=per_page if per_page in PER_PAGE_CHOICES else DEFAULT_PER_PAGE,
    )


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def sort_keys(exercises: Sequence[ExerciseInfo]) -> set[str]:
    keys = {"id", "name", "total", "late"}
    for ex in exercises:
        keys |= {f"{ex.id}:score", f"{ex.id}:n", f"{ex.id}:last"} | {f"{ex.id}:part:{p.name}" for p in ex.parts}
    return keys


def _value(row: Row, key: str) -> Any:
    if key == "id":
        return row.student_id
    if key == "name":
        return row.name.casefold()
    if key == "total":
        return row.total
    if key == "late":
        return row.late
    exercise, _, what = key.partition(":")
    cell = row.cells.get(exercise)
    if cell is None:
        return None
    if what == "score":
        return cell.score
    if what == "n":
        return cell.submissions
    if what == "last":
        return cell.last
    return cell.parts.get(what.removeprefix("part:"))


@dataclass(frozen=True)
class TablePage:
    rows: list[Row]
    total: int
    page: int
    pages: int
    first: int
    last: int


def select_rows(rows: Sequence[Row], query: TableQuery) -> TablePage:
    """Filter (name or id contains q, any case), sort (missing values last either way, then by id),
    and cut out one page (a page past the end shows the last one)."""
    needle = query.q.casefold()
    chosen = [r for r in rows if needle in r.student_id.casefold() or needle in r.name.casefold()] if needle else list(
        rows)
    chosen.sort(key=lambda r: r.student_id)
    present = [r for r in chosen if _value(r, query.sort) is not None]
    missing = [r for r in chosen if _value(r, query.sort) is None]
    present.sort(key=lambda r: _value(r, query.sort), reverse=query.desc)
    ordered = present + missing
    pages = max(1, math.ceil(len(ordered) / query.per_page))
    page = min(query.page, pages)
    start = (page - 1) * query.per_page
    shown = ordered[start : start + query.per_page]
    return TablePage(rows=shown, total=len(ordered), page=page, pages=pages, first=start + 1 if shown else 0,
                     last=start + len(shown))


# ---------------------------------------------------------------- class statistics
@dataclass(frozen=True)
class ExerciseStats:
    submitted: int
    median: float | None
    full_marks: int
    late: int


def exercise_stats(board: Board, exercise: ExerciseInfo) -> ExerciseStats:
    scores = [r.cells[exercise.id].score for r in board.rows if r.cells[exercise.id].score is not None]
    values = [s for s in scores if s is not None]
    return ExerciseStats(
        submitted=sum(1 for r in board.rows if r.cells[exercise.id].submissions),
        median=statistics.median(values) if values else None,
        full_marks=sum(1 for v in values if exercise.max_score and v >= exercise.max_score),
        late=sum(1 for r in board.rows if r.cells[exercise.id].late),
    )


def pending_count(session: Session) -> int:
    pending = (SubmissionStatus.queued.value, SubmissionStatus.running.value)
    return int(
        session.connection().execute(sa.select(sa.func.count()).where(submissions_t.c.status.in_(pending))).scalar_one()
    )


# ---------------------------------------------------------------- time histogram and the change marker
# Past hours never change (submissions are never deleted and keep their created_at), so per engine the
# counts of hours before a watermark are kept and only newer rows are counted again: the first page
# scans the (exercise, created_at) index once, later ones read the last hour or two. The watermark
# trails the clock by HOUR_SETTLE_S so a transaction that commits a little after its created_at is seen.
HOUR_SETTLE_S = 600
_hour_cache: weakref.WeakKeyDictionary[sa.Engine, tuple[dt.datetime, dict[tuple[str, dt.datetime], int]]] = (
    weakref.WeakKeyDictionary()
)
_hour_lock = threading.Lock()


def _hour_counts(conn: sa.Connection, since: dt.datetime | None) -> dict[tuple[str, dt.datetime], int]:
    if conn.dialect.name == "postgresql":
        hour: Any = sa.func.date_trunc("hour", sa.func.timezone("UTC", submissions_t.c.created_at))
    else:
        hour = sa.func.strftime("%Y-%m-%d %H:00:00", submissions_t.c.created_at)
    query = sa.select(submissions_t.c.exercise, hour.label("hour"), sa.func.count()).group_by(
        submissions_t.c.exercise, sa.text("hour")
    )
    if since is not None:
        query = query.where(submissions_t.c.created_at >= since)
    out: dict[tuple[str, dt.datetime], int] = {}
    for exercise, start, count in conn.execute(query).all():
        when = dt.datetime.fromisoformat(start) if isinstance(start, str) else start
        out[(str(exercise), when.replace(tzinfo=dt.UTC))] = int(count)
    return out


def submissions_per_hour(session: Session, now: dt.datetime | None = None) -> dict[str, list[tuple[dt.datetime, int]]]:
    """Per exercise: (start of the UTC hour, submissions that came in during it), in time order."""
    conn = session.connection()
    engine = conn.engine
    settled = (now or dt.datetime.now(dt.UTC)) - dt.timedelta(seconds=HOUR_SETTLE_S)
    watermark = settled.replace(minute=0, second=0, microsecond=0)
    with _hour_lock:
        cached = _hour_cache.get(engine)
    if cached is None or cached[0] > watermark:
        counts = _hour_counts(conn, None)
    else:
        counts = {k: v for k, v in cached[1].items() if k[1] < cached[0]}
        counts.update(_hour_counts(conn, cached[0]))
    with _hour_lock:
        _hour_cache[engine] = (watermark, {k: v for k, v in counts.items() if k[1] < watermark})
    out: dict[str, list[tuple[dt.datetime, int]]] = {}
    for (exercise, start), count in sorted(counts.items()):
        out.setdefault(exercise, []).append((start, count))
    return out


BUCKET_HOURS = (1, 2, 3, 6, 12, 24, 48, 168)
MAX_BUCKETS = 48
DEADLINE_REACH = dt.timedelta(days=7)


def time_buckets(hourly: Sequence[tuple[dt.datetime, int]],
                 deadline: dt.datetime | None) -> tuple[int, list[tuple[dt.datetime, dt.datetime, int]]]:
    """Hourly counts merged into at most MAX_BUCKETS bars of a round width (hours), aligned to midnight
    UTC. Empty buckets in between are kept (a gap in activity is information); a deadline up to
    DEADLINE_REACH away from the data widens the range to show it, with one bucket after it."""
    if not hourly:
        return 1, []
    t0, t1 = hourly[0][0], hourly[-1][0] + dt.timedelta(hours=1)
    if deadline is not None and t0 - DEADLINE_REACH <= deadline <= t1 + DEADLINE_REACH:
        t0, t1 = min(t0, deadline), max(t1, deadline + dt.timedelta(microseconds=1))
    hours = (t1 - t0).total_seconds() / 3600
    width = next((w for w in BUCKET_HOURS if hours / w <= MAX_BUCKETS - 1), BUCKET_HOURS[-1])
    origin = t0.replace(hour=0, minute=0, second=0, microsecond=0)

    def bucket(t: dt.datetime) -> int:
        return int((t - origin).total_seconds() // (3600 * width))

    counts: dict[int, int] = {}
    for start, count in hourly:
        counts[bucket(start)] = counts.get(bucket(start), 0) + count
    first, last = bucket(t0), bucket(t1 - dt.timedelta(microseconds=1))
    step = dt.timedelta(hours=width)
    return width, [(origin + k * step, origin + (k + 1) * step, counts.get(k, 0)) for k in range(first, last + 1)]


def change_marker(session: Session) -> str:
    """Changes whenever the page would: a new student or submission, a status change, a new result, charts
    drawn."""
    conn = session.connection()
    parts: list[Any] = [
        conn.execute(sa.select(sa.func.count()).select_from(students_t)).scalar_one(),
        conn.execute(sa.select(sa.func.max(submissions_t.c.id))).scalar_one(),
        conn.execute(sa.select(sa.func.max(scores_t.c.updated_at))).scalar_one(),
        *conn.execute(
            sa.select(submissions_t.c.status, sa.func.count())
            .group_by(submissions_t.c.status)
            .order_by(submissions_t.c.status)
        ).all(),
        # Charts drawn after their result (server.grading.diagnostics): the drill-down shows them when done.
        *conn.execute(
            sa.select(submissions_t.c.diagnostics_status, sa.func.count())
            .where(submissions_t.c.diagnostics_status.in_(("wanted", "running", "done", "failed")))
            .group_by(submissions_t.c.diagnostics_status)
            .order_by(submissions_t.c.diagnostics_status)
        ).all(),
    ]
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]
