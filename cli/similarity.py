"""`rnn-grader similarity`: the teacher's copy check over HTTP (the server computes; see docs/similarity.md)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer

from cli import render, transport
from cli.base import JsonOpt, LangOpt, fail, handle_errors, lang_of, note, session, stdout_console, write_private
from cli.client import API, ApiClient, ApiError
from cli.tables import FitTable

WAIT_S = 300.0  # the server answers 503 + Retry-After while a big class is still being compared
HINT = {
    "en": "A hint, not proof: short, tightly specified functions look alike by nature; read the code side by side "
    "(--out report.html, or the scoreboard's Similarity page) before concluding anything.",
    "zh": "这只是线索，不是证据：简短且规格严格的函数本来就容易相似；下结论前请并排阅读代码"
    "（--out report.html，或成绩总览的“相似度”页面）。",
}


def _get(api: ApiClient, path: str, params: dict[str, Any]) -> Any:
    """GET, waiting while the server is still computing the report (503 SimilarityComputing)."""
    deadline = time.monotonic() + WAIT_S
    while True:
        try:
            return api.request("GET", path, params=params)
        except ApiError as exc:
            if exc.error != "SimilarityComputing" or time.monotonic() > deadline:
                raise
            note("the server is still comparing the submissions; waiting...")
            transport.sleep(5)


def _pairs(response: Any) -> list[dict[str, Any]]:
    try:
        data = response.json()
    except ValueError:
        data = None
    if not isinstance(data, list):
        fail("unexpected answer from the server (expected a list of pairs)")
    return [p for p in data if isinstance(p, dict)]


def _view(pairs: list[dict[str, Any]]) -> FitTable:
    table = FitTable()
    for column in ("student_a", "student_b", "similarity", "share_a", "share_b", "submission_a", "submission_b"):
        table.add_column(column, justify="right" if column != "student_a" and column != "student_b" else "left")
    for p in pairs:
        table.add_row(
            str(p.get("student_a", "")), str(p.get("student_b", "")),
            *(_percent(p.get(k)) for k in ("similarity", "share_a", "share_b")),
            str(p.get("submission_a", "")), str(p.get("submission_b", "")),
        )
    return table


def _percent(value: Any) -> str:
    return f"{value * 100:.0f}%" if isinstance(value, int | float) else str(value if value is not None else "-")


@handle_errors
def similarity(
    exercise: Annotated[str, typer.Option(help="Exercise id, e.g. rnn.")],
    min_: Annotated[float | None, typer.Option(
        "--min", min=0.0, max=1.0, help="Only pairs at least this similar (0..1; default: the server's, 0.5).",
    )] = None,
    out: Annotated[Path | None, typer.Option(
        help="Also write the report as one HTML file (pairs and matching code side by side; mode 0600).",
    )] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite --out if it exists.")] = False,
    json_: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Teacher: pairs of students whose counted submissions share code (a hint for a closer look, not proof)."""
    lang_ = lang_of(lang)
    if out is not None and out.exists() and not force:
        fail(f"{out} already exists; use --force to overwrite it")
    params: dict[str, Any] = {} if min_ is None else {"min": min_}
    path = f"{API}/similarity/{exercise}"
    with session(lang_) as api:
        pairs = _pairs(_get(api, path, params))
        html = _get(api, f"{path}/report.html", {**params, "lang": lang_}).content if out is not None else None
    if out is not None and html is not None:
        write_private(out, html, force=force)
        note(f"wrote {out}")
    if json_:
        render.print_json(stdout_console(), pairs)
        return
    console = stdout_console()
    if pairs:
        console.print(_view(pairs))
    else:
        console.print("No pair is this similar." if lang_ == "en" else "没有达到该相似度的学生对。")
    note(HINT.get(lang_, HINT["en"]))
