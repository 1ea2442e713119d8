"""The class overview: score histograms per exercise and part, submissions over time with the deadline,
the most failed tests and the misconceptions, from the board's data (no extra query but the hourly one)."""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from markupsafe import Markup

from grader.exercise import Exercise
from server.web import svg
from server.web.board import Board, ExerciseInfo, time_buckets
from server.web.i18n import t

log = logging.getLogger("rnn_grader.web")
BINS = 10
TOP_FAILED = 10


@dataclass(frozen=True)
class Histogram:
    title: str
    chart: Markup


@dataclass(frozen=True)
class MisconceptionLine:
    part: str  # its title
    part_name: str
    name: str
    title: str
    ever: int
    still: int


@dataclass(frozen=True)
class ExerciseCharts:
    exercise: ExerciseInfo
    histograms: list[Histogram]
    timeline: Markup
    bucket: str
    deadline_shown: bool
    failed: Markup | None
    misconceptions: list[MisconceptionLine]
    misconception_max: int


def _bins(values: Sequence[float], max_score: float) -> list[svg.Bar]:
    """BINS equal bins of [0, max) plus one bar for full marks (the most telling bin of all)."""
    counts = [0] * (BINS + 1)
    for v in values:
        if max_score <= 0:
            k = 0
        elif v >= max_score:
            k = BINS
        else:
            k = min(BINS - 1, max(0, int(BINS * v / max_score)))
        counts[k] += 1
    width = max_score / BINS if max_score else 0.0
    bars = [svg.Bar(f"{k * width:g}", counts[k], tip=f"[{k * width:g}, {(k + 1) * width:g}): {counts[k]}")
            for k in range(BINS)]
    bars.append(svg.Bar(f"{max_score:g}", counts[BINS], tip=f"{max_score:g}: {counts[BINS]}", color=svg.GREEN))
    return bars


def histograms(board: Board, ex: ExerciseInfo, lang: str) -> list[Histogram]:
    cells = [r.cells[ex.id] for r in board.rows if r.cells[ex.id].score is not None]
    out = []
    what = f"{t('total', lang)} ({ex.max_score:g})"
    out.append(Histogram(what, svg.histogram(_bins([c.score or 0.0 for c in cells], ex.max_score),
                                             t("distribution_of", lang, what=what), x_title=t("points_axis", lang),
                                             y_title=t("students_axis", lang))))
    for part in ex.parts:
        what = f"{part.title} ({part.points:g})"
        values = [c.parts[part.name] for c in cells if part.name in c.parts]
        out.append(Histogram(what, svg.histogram(_bins(values, part.points), t("distribution_of", lang, what=what),
                                                 x_title=t("points_axis", lang), y_title=t("students_axis", lang))))
    return out


def misconception_titles(exercise: Exercise | None, lang: str) -> dict[str, str]:
    """name -> title from the exercise's `misconception_catalogue()` hook (grader.hooks: dicts with name and
    title {en, zh}, or title_en / title_zh). A broken hook costs the labels, not the page."""
    if exercise is None:
        return {}
    try:
        titles: dict[str, str] = {}
        for item in exercise.hooks.misconception_catalogue():
            if not isinstance(item, Mapping) or "name" not in item:
                continue
            title = item.get("title")
            if isinstance(title, Mapping):
                text = title.get(lang) or title.get("en")
            else:
                text = item.get(f"title_{lang}") or item.get("title_en") or title
            if text:
                titles[str(item["name"])] = str(text)
        return titles
    except Exception:
        log.exception("an exercise's misconception_catalogue() failed")
        return {}


def misconceptions(board: Board, ex: ExerciseInfo, exercise: Exercise | None, lang: str) -> list[MisconceptionLine]:
    ever: Counter[tuple[str, str]] = Counter()
    still: Counter[tuple[str, str]] = Counter()
    for (_student, exercise_id), pair in board.pairs.items():
        if exercise_id != ex.id:
            continue
        ever.update(set(pair.misconceptions_ever))
        if pair.counted is not None:
            still.update(set(pair.counted.misconceptions))
    titles = misconception_titles(exercise, lang)
    part_titles = {p.name: p.title for p in ex.parts}
    lines = [MisconceptionLine(part=part_titles.get(part, part), part_name=part, name=name,
                               title=titles.get(name, name), ever=count, still=still.get((part, name), 0))
             for (part, name), count in ever.items()]
    order = {p.name: k for k, p in enumerate(ex.parts)}
    lines.sort(key=lambda m: (order.get(m.part_name, len(order)), -m.ever, m.title))
    return lines


def most_failed(board: Board, ex: ExerciseInfo, lang: str) -> Markup | None:
    failed: Counter[str] = Counter()
    counted = 0
    for (_student, exercise_id), pair in board.pairs.items():
        if exercise_id == ex.id and pair.counted is not None:
            counted += 1
            failed.update(set(pair.counted.failed))
    if not failed:
        return None
    bars = [svg.Bar(name, count, color=svg.RED) for name, count in failed.most_common(TOP_FAILED)]
    return svg.hbars(bars, t("most_failed_of", lang, what=ex.title), total=counted)


def exercise_charts(board: Board, ex: ExerciseInfo, exercise: Exercise | None,
                    hourly: Sequence[tuple[dt.datetime, int]], lang: str, zone: dt.tzinfo = dt.UTC) -> ExerciseCharts:
    width, buckets = time_buckets(hourly, ex.deadline)
    bucket = t("bucket_days", lang, n=width // 24) if width % 24 == 0 else t("bucket_hours", lang, n=width)
    shown = bool(buckets) and ex.deadline is not None and buckets[0][0] <= ex.deadline <= buckets[-1][1]
    lines = misconceptions(board, ex, exercise, lang)
    return ExerciseCharts(
        exercise=ex,
        histograms=histograms(board, ex, lang),
        timeline=svg.timeline(buckets, t("over_time_of", lang, what=ex.title, bucket=bucket), deadline=ex.deadline,
                              deadline_label=t("deadline", lang), zone=zone),
        bucket=bucket,
        deadline_shown=shown,
        failed=most_failed(board, ex, lang),
        misconceptions=lines,
        misconception_max=max((m.ever for m in lines), default=0),
    )
