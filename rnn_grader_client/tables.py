"""A graded submission (the API's submission JSON, or an offline check in the same shape) as an HTML table
for Jupyter, and as the CLI's text for everything else; a refusal as one line in the student's language."""

from __future__ import annotations

import io
from html import escape
from typing import Any

from cli import render
from cli.gradcheck import report_view, tensor_row
from cli.terminal import SafeConsole
from grader.gradcheck import GradcheckReport
from grader.gradcheck_text import text
from grader.result import Text


class SubmissionTable:
    """What check() and submit() return: Jupyter shows it as a table; `.data` is the JSON."""

    def __init__(self, data: dict[str, Any], lang: str, local: bool) -> None:
        self.data = data
        self.lang = lang
        self.local = local

    @property
    def score(self) -> float | None:
        score = self.data.get("score")
        return float(score) if isinstance(score, int | float) else None

    @property
    def max_score(self) -> float | None:
        score = self.data.get("max_score")
        return float(score) if isinstance(score, int | float) else None

    def __repr__(self) -> str:
        # force_jupyter=False: inside Jupyter, Rich would also display what it prints (the result twice).
        console = SafeConsole(record=True, width=140, file=io.StringIO(), force_jupyter=False)
        console.print(render.submission_view(self.data, self.lang, local=self.local))
        return console.export_text()

    def _mistake_row(self, mistake: dict[str, Any]) -> str:
        """A named mistake once for its part: its message, the hints of the level reached, the tests it explains."""
        hints, level = render.mistake_hints(mistake, self.lang)
        lines = [f"<b>{escape(str(mistake.get('message', '')))}</b> {escape(hints[0]) if hints else ''}",
                 *(escape(h) for h in hints[1:]), *([f"<i>{escape(level)}</i>"] if level else [])]
        tests = ", ".join(str(t) for t in mistake.get("tests") or [])
        if tests:
            lines.append(f"<small>{escape(render.label(self.lang, 'explains'))}: {escape(tests)}</small>")
        level_n = mistake.get("hint_level")
        return (f"<tr class='rnn-grader-mistake' data-hint-level='{level_n if isinstance(level_n, int) else 1}'>"
                f"<td colspan='4' style='text-align:left'>{'<br>'.join(lines)}</td></tr>")

    def _repr_html_(self) -> str:
        d, lang = self.data, self.lang
        what = render.label(lang, "local") if self.local else f"{render.label(lang, 'submission')} #{d.get('id')}"
        status = render.STATUSES.get(lang, render.STATUSES["en"]).get(str(d.get("status")), str(d.get("status")))
        head = (f"<p><b>{escape(what)}</b> · {escape(str(d.get('exercise', '')))} · {escape(status)} · "
                f"{escape(render.label(lang, 'score'))}: <b class='rnn-grader-score'>"
                f"{escape(render.fmt_score(d.get('score'), d.get('max_score')))}</b></p>")
        feedback = str(d.get("feedback") or "")
        notes = f"<pre style='white-space:pre-wrap'>{escape(feedback)}</pre>" if feedback else ""
        rows = []
        outcomes = render.OUTCOMES.get(lang, render.OUTCOMES["en"])
        for part in d.get("parts") or []:
            rows.append(f"<tr><th colspan='4' style='text-align:left'>{escape(str(part.get('title')))} "
                        f"({escape(render.fmt_score(part.get('score'), part.get('max_score')))})</th></tr>")
            if part.get("feedback"):
                rows.append(f"<tr><td colspan='4'>{escape(str(part['feedback']))}</td></tr>")
            for mistake in part.get("mistakes") or []:
                rows.append(self._mistake_row(mistake))
            for t in part.get("tests") or []:
                outcome = str(t.get("outcome"))
                colour = "green" if outcome == "passed" else "red"
                rows.append(
                    f"<tr><td>{escape(str(t.get('name')))}</td>"
                    f"<td style='color:{colour}'>{escape(outcomes.get(outcome, outcome))}</td>"
                    f"<td>{escape(render.fmt_score(t.get('score'), t.get('max_score')))}</td>"
                    f"<td style='text-align:left'>{escape(str(t.get('feedback') or ''))}</td></tr>"
                )
        header = "".join(f"<th>{escape(render.label(lang, k))}</th>" for k in ("test", "result", "score", "feedback"))
        table = (f"<table class='rnn-grader-result'><thead><tr>{header}</tr></thead>"
                 f"<tbody>{''.join(rows)}</tbody></table>")
        return f"<div class='rnn-grader'>{head}{notes}{table}</div>"


class GradcheckTable:
    """What gradcheck() returns: Jupyter shows the relative error per gradient and the verdict."""

    def __init__(self, report: GradcheckReport, lang: str) -> None:
        self.report = report
        self.lang = lang
        self.data = report.as_json(lang)

    @property
    def ok(self) -> bool:
        return self.report.ok

    @property
    def exit_code(self) -> int:
        return self.report.exit_code

    def __repr__(self) -> str:
        console = SafeConsole(record=True, width=140, file=io.StringIO(), force_jupyter=False)
        console.print(report_view(self.report, self.lang))
        return console.export_text()

    def _repr_html_(self) -> str:
        lang = self.lang
        header = "".join(f"<th>{escape(text(k).get(lang))}</th>"
                         for k in ("col_gradient", "col_shape", "col_error", "col_result", "col_where"))
        rows = []
        for t in self.report.tensors:
            name, shape, error, result, note = (escape(cell) for cell in tensor_row(t, lang))
            colour = "green" if t.ok else "red"
            rows.append(f"<tr><td>{name}</td><td>{shape}</td><td>{error}</td>"
                        f"<td style='color:{colour}'>{result}</td><td style='text-align:left'>{note}</td></tr>")
        table = (f"<table class='rnn-grader-gradcheck'><thead><tr>{header}</tr></thead>"
                 f"<tbody>{''.join(rows)}</tbody></table>") if rows else ""
        colour = {0: "green", 1: "red"}.get(self.exit_code, "#a60")
        verdict = f"<p style='color:{colour}'><b>{escape(self.report.verdict.get(lang))}</b></p>"
        return f"<div class='rnn-grader'>{table}{verdict}</div>"
class Refusal:
    """What check() and submit() return when they cannot do it: the reason, once, in the student's language
    (`.message`), never a traceback. `.score` is None; `.data` holds the message in both languages."""

    def __init__(self, text: Text, lang: str) -> None:
        self.text = text
        self.lang = lang
        self.message = text.get(lang)
        self.data: dict[str, Any] = {"error": True, "message": self.message, "en": text.en, "zh": text.zh}
        self.score: float | None = None

    def __repr__(self) -> str:
        return f"error: {self.message}"

    def _repr_html_(self) -> str:
        word = "错误" if self.lang.startswith("zh") else "Error"
        return (f"<div class='rnn-grader rnn-grader-refusal' role='alert' style='color:#b00020'>"
                f"<b>{escape(word)}:</b> {escape(self.message)}</div>")
