"""Everything the CLI prints: Rich tables for people, JSON for scripts. No HTTP, no files.

Submissions from the server and results of an offline `check` share one shape (the API's submission
JSON), so both print the same way and scripts can read both with the same code.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from rich.console import Console, Group, RenderableType
from rich.text import Text

from cli.tables import FitTable
from cli.terminal import json_safe, safe_text, terminal_safe
from grader.hints import labelled, reached
from grader.result import Result
from grader.result import Text as Bilingual
from grader.times import show_time, zone_of

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "submission": "Submission", "exercise": "Exercise", "status": "Status", "score": "Score",
        "late": "late", "test": "Test", "result": "Result", "feedback": "Feedback", "part": "Part",
        "title": "Title", "points": "Points", "deadline": "Deadline", "best": "Your best", "created": "Submitted",
        "id": "ID", "student": "Student", "name": "Name", "token": "Token", "total": "Total", "local": "Local check",
        "none": "-", "no_rows": "Nothing yet.", "explains": "Explains", "counted": "Counted",
        "regrade_pending": "regrade pending; this score counts until then",
        "profile": "Login", "server": "Server", "role": "Role", "current": "In use",
    },
    "zh": {
        "submission": "提交", "exercise": "练习", "status": "状态", "score": "得分", "late": "迟交",
        "test": "测试", "result": "结果", "feedback": "反馈", "part": "部分", "title": "标题", "points": "分值",
        "deadline": "截止时间", "best": "最高分", "created": "提交时间", "id": "编号", "student": "学号",
        "name": "姓名", "token": "令牌", "total": "总分", "local": "本地检查", "none": "-", "no_rows": "暂无记录。",
        "explains": "涉及的测试", "counted": "计入",
        "regrade_pending": "等待重新评测；在此之前按此分数计分",
        "profile": "登录", "server": "服务器", "role": "角色", "current": "正在使用",
    },
}

OUTCOMES: dict[str, dict[str, str]] = {
    "en": {
        "passed": "passed", "wrong_answer": "wrong answer", "runtime_error": "runtime error",
        "time_limit": "time limit", "memory_limit": "memory limit", "output_limit": "output limit",
        "internal_error": "grader error",
    },
    "zh": {
        "passed": "通过", "wrong_answer": "答案错误", "runtime_error": "运行错误", "time_limit": "超时",
        "memory_limit": "内存超限", "output_limit": "输出超限", "internal_error": "评测系统错误",
    },
}

STATUSES: dict[str, dict[str, str]] = {
    "en": {"queued": "queued", "running": "running", "graded": "graded", "failed": "failed"},
    "zh": {"queued": "排队中", "running": "评测中", "graded": "已评分", "failed": "评测失败"},
}

OUTCOME_STYLES = {"passed": "green", "wrong_answer": "red", "internal_error": "magenta"}


def label(lang: str, key: str) -> str:
    return LABELS.get(lang, LABELS["en"]).get(key, key)


def status_word(status: Any) -> Bilingual:
    """A submission's status in both languages (queued -> 排队中)."""
    s = str(status)
    return Bilingual(en=STATUSES["en"].get(s, s), zh=STATUSES["zh"].get(s, s))


def dumps(data: Any) -> str:
    """The JSON the CLI prints: UTF-8 (Chinese stays readable), indented, keys in the server's order; control
    characters only as JSON escapes."""
    return json_safe(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def fmt_score(score: Any, max_score: Any = None) -> str:
    def num(x: Any) -> str:
        if x is None:
            return "-"
        try:
            return f"{float(x):.4g}"
        except (TypeError, ValueError):
            return str(x)

    return num(score) if max_score is None else f"{num(score)} / {num(max_score)}"


# The course's time zone, as the server names it in its responses (cli.client.TIMEZONE_HEADER); UTC before.
_zone: dict[str, str] = {"name": "UTC"}


def use_zone(name: str) -> None:
    """Show times in this zone from now on (the server's: the pages show the same)."""
    _zone["name"] = name


def fmt_time(value: Any, lang: str = "en", now: dt.datetime | None = None) -> str:
    """`2026-12-20T15:59:00Z` -> `2026-12-20 23:59 UTC+08:00 (in 2 days 3 h)` in the course's zone: the one
    way every view shows a time (grader.times); anything that is not a time is shown unchanged."""
    return show_time(value, lang, zone_of(_zone["name"]), now)


def result_to_dict(result: Result, lang: str, titles: Mapping[str, str] | None = None) -> dict[str, Any]:
    """An offline check result in the shape of the API's submission JSON (without server-only fields)."""
    titles = titles or {}
    return {
        "exercise": result.exercise,
        "status": "graded",
        "score": result.score,
        "max_score": result.max_score,
        "feedback": "\n".join(t.get(lang) for t in result.feedback),
        "parts": [
            {
                "name": p.name,
                "title": titles.get(p.name, p.name),
                "score": p.score,
                "max_score": p.max_score,
                "feedback": "\n".join(t.get(lang) for t in p.feedback),
                "tests": [
                    {
                        "name": t.name,
                        "description": t.description.get(lang),
                        "score": t.score,
                        "max_score": t.max_score,
                        "outcome": t.outcome.value,
                        "feedback": t.feedback_text(lang),
                        "misconceptions": list(t.misconceptions),
                        "credit": [c.model_dump() for c in t.credit],
                    }
                    for t in p.tests
                ],
                "mistakes": [
                    {"name": m.name, "message": m.message.get(lang), "hint": m.hint.get(lang), "tests": list(m.tests),
                     # Offline there is no history of submissions: level 1 (grader.hints).
                     "hint_level": 1, "hints": [m.hint.get(lang)], "consecutive": 1}
                    for m in p.mistakes
                ],
                "credit": p.credit,
            }
            for p in result.parts
        ],
        "grading_ms": round(result.grading_ms, 1),
    }


def _text(value: Any, style: str = "") -> Text:
    # Text(), never markup: feedback contains brackets like x[t] that Rich would swallow.
    return safe_text(value, style)


def _status_text(status: Any, lang: str) -> Text:
    s = str(status)
    style = {"graded": "green", "failed": "red"}.get(s, "yellow")
    return _text(STATUSES.get(lang, STATUSES["en"]).get(s, s), style)


def _outcome_text(outcome: Any, lang: str) -> Text:
    o = str(outcome)
    return _text(OUTCOMES.get(lang, OUTCOMES["en"]).get(o, o), OUTCOME_STYLES.get(o, "yellow"))


def mistake_hints(mistake: Mapping[str, Any], lang: str) -> tuple[list[str], str]:
    """A named mistake's unlocked hints as lines (level 1 first, each higher level after its label), and the
    line saying which level was reached ("" at a first level 1). A server older than hint levels sends
    only `hint`."""
    hints = [str(h) for h in mistake.get("hints") or [] if h] or ([str(mistake["hint"])] if mistake.get("hint") else [])
    level, count = mistake.get("hint_level"), mistake.get("consecutive")
    return labelled(hints, lang), reached(level if isinstance(level, int) else 1,
                                          count if isinstance(count, int) else 1, lang)


def part_feedback(part: Mapping[str, Any], lang: str) -> Text:
    """The part's own lines, then each named mistake once: its message, the hints of the level reached, and
    the tests it explains."""
    out = _text(part.get("feedback"))
    for mistake in part.get("mistakes") or []:
        if out.plain:
            out.append("\n")
        out.append(terminal_safe(mistake.get("message", "")), style="bold red")
        hints, level = mistake_hints(mistake, lang)
        for n, hint in enumerate(hints):
            out.append(("\n" if n else " ") + terminal_safe(hint))
        if level:
            out.append("\n" + level, style="cyan")
        tests = mistake.get("tests") or []
        if tests:
            out.append(f"\n{label(lang, 'explains')}: " + terminal_safe(", ".join(map(str, tests))), style="dim")
    return out


def submission_view(sub: Mapping[str, Any], lang: str, *, local: bool = False) -> RenderableType:
    """Headline (id, exercise, status, score), submission-level feedback, then one table of parts and tests."""
    head = Text()
    if local:
        head.append(label(lang, "local"), style="bold")
    else:
        head.append(f"{label(lang, 'submission')} #{terminal_safe(sub.get('id', '?'))}", style="bold")
    head.append(f"  {label(lang, 'exercise')}: {terminal_safe(sub.get('exercise', '?'))}  ")
    head.append_text(_status_text(sub.get("status"), lang))
    status = sub.get("status")
    if status == "graded" or sub.get("score") is not None:
        head.append(f"  {label(lang, 'score')}: ", style="bold")
        head.append(terminal_safe(fmt_score(sub.get("score"), sub.get("max_score"))), style="bold")
    penalty = sub.get("late_penalty") or 0
    if sub.get("counted_score") is not None and isinstance(penalty, int | float) and penalty > 0:
        head.append(f"  {label(lang, 'counted')}: ", style="bold")
        head.append(terminal_safe(f"{fmt_score(sub.get('counted_score'), sub.get('max_score'))} "
                                  f"(-{penalty * 100:.4g}%)"), style="red")
    if sub.get("late"):
        head.append(f"  ({label(lang, 'late')})", style="red")
    if sub.get("regrade_pending"):
        head.append(f"  ({label(lang, 'regrade_pending')})", style="cyan")
    items: list[RenderableType] = [head]
    if sub.get("feedback"):
        items.append(_text(sub["feedback"], "yellow"))
    parts = sub.get("parts") or []
    if parts:
        table = FitTable()  # never breaks a word, whatever the terminal's width (cli.tables)
        table.add_column(label(lang, "test"))
        table.add_column(label(lang, "result"))
        table.add_column(label(lang, "score"), justify="right", no_wrap=True)
        table.add_column(label(lang, "feedback"))
        for part in parts:
            title = part.get("title") or part.get("name")
            table.add_row(
                _text(title, "bold"), Text(""),
                _text(fmt_score(part.get("score"), part.get("max_score")), "bold"), part_feedback(part, lang),
            )
            for test in part.get("tests") or []:
                name = _text("  " + str(test.get("name", "")))
                if test.get("description"):
                    name.append("\n  " + terminal_safe(test["description"]), style="dim")
                table.add_row(
                    name, _outcome_text(test.get("outcome"), lang),
                    _text(fmt_score(test.get("score"), test.get("max_score"))), _text(test.get("feedback")),
                )
            table.add_section()
        items.append(table)
    return Group(*items)


def _table(columns: Sequence[str], rows: Iterable[Sequence[Any]], lang: str) -> RenderableType:
    """Every list the CLI prints: a table that never breaks a word (cli.tables), or "Nothing yet."."""
    table = FitTable()
    for col in columns:
        table.add_column(col)
    for row in rows:
        table.add_row(*(c if isinstance(c, Text) else _text(c) for c in row))
    return table if table.row_count else Text(label(lang, "no_rows"))


def history_view(subs: Sequence[Mapping[str, Any]], lang: str, *, with_student: bool = False) -> RenderableType:
    keys = ["id", *(["student"] if with_student else []), "exercise", "status", "score", "created"]
    rows = [
        (
            s.get("id"), *([s.get("student_id")] if with_student else []), s.get("exercise"),
            _status_text(s.get("status"), lang),
            fmt_score(s.get("score"), s.get("max_score")) + (f" ({label(lang, 'late')})" if s.get("late") else ""),
            fmt_time(s.get("created_at"), lang),
        )
        for s in subs
    ]
    return _table([label(lang, k) for k in keys], rows, lang)


def exercises_view(exercises: Sequence[Mapping[str, Any]], best: Mapping[str, float] | None,
                   lang: str) -> RenderableType:
    keys = ["id", "title", "points", "deadline"] + (["best"] if best is not None else [])
    rows = []
    for e in exercises:
        row = [e.get("id"), e.get("title"), fmt_score(e.get("max_score")), fmt_time(e.get("deadline"), lang)]
        if best is not None:
            row.append(fmt_score(best.get(str(e.get("id")))))
        rows.append(row)
    return _table([label(lang, k) for k in keys], rows, lang)


def students_view(students: Sequence[Mapping[str, Any]], lang: str) -> RenderableType:
    cols = [label(lang, k) for k in ("student", "name", "token")]
    return _table(cols, [(s.get("student_id"), s.get("name"), s.get("token", "")) for s in students], lang)


def scoreboard_view(rows: Sequence[Mapping[str, Any]], lang: str) -> RenderableType:
    exercises: list[str] = []
    for r in rows:
        for name in r.get("scores") or {}:
            if name not in exercises:
                exercises.append(name)
    cols = [label(lang, "student"), label(lang, "name"), *exercises, label(lang, "total"), label(lang, "late")]
    out = []
    for r in rows:
        scores = r.get("scores") or {}
        late = r.get("late_exercises") or ([label(lang, "late")] if r.get("late") else [])
        out.append([r.get("student_id"), r.get("name"), *(fmt_score(scores.get(e)) for e in exercises),
                    fmt_score(r.get("total")), ", ".join(map(str, late))])
    return _table(cols, out, lang)


def profiles_view(rows: Sequence[Mapping[str, Any]], lang: str) -> RenderableType:
    """The saved logins; the one in use is marked."""
    cols = [label(lang, k) for k in ("profile", "server", "role", "current")]
    return _table(cols, [(r.get("profile"), r.get("server"), r.get("role") or "", "*" if r.get("current") else "")
                         for r in rows], lang)


def print_json(console: Console, data: Any) -> None:
    """Plain text, no Rich markup, highlighting or wrapping: the bytes a script will parse (`dumps`: control
    characters of the server's strings only as JSON escapes)."""
    console.file.write(dumps(data) + "\n")
    console.file.flush()


simple_table = _table  # for the other command modules (regrades, requests, audit)
