"""What a student does about a grade: see every grading of a submission, ask for a regrade, read the answer.
In the student client too (`gradings`, `requests list|ask`); the teacher's `requests resolve` is added to the
same group by cli.main in the full install (cli.regrades)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.console import RenderableType

from cli import render
from cli.base import JsonOpt, detect_lang, fail, handle_errors, session, stdout_console
from cli.messages import say
from cli.terminal import safe_text

requests_app = typer.Typer(help="Regrade requests: students ask, the teacher answers.", no_args_is_help=True)


class RequestStatus(StrEnum):
    open = "open"
    resolved = "resolved"


def out(data: Any, json_: bool, view: RenderableType) -> None:
    if json_:
        render.print_json(stdout_console(), data)
    else:
        stdout_console().print(view)


def requests_view(items: Sequence[Mapping[str, Any]]) -> RenderableType:
    def answer(r: Mapping[str, Any]) -> str:
        score = render.fmt_score(r.get("score")) + " " if r.get("action") == "override" else ""
        return score + (r.get("comment") or "")

    rows = [(r.get("id"), r.get("submission_id"), r.get("student_id"), r.get("exercise"), r.get("status"),
             r.get("message"), r.get("action") or "", answer(r)) for r in items]
    return render.simple_table(["Request", "Submission", "Student", "Exercise", "Status", "Message", "Answer",
                                "Comment"], rows, "en")


def gradings_view(items: Sequence[Mapping[str, Any]]) -> RenderableType:
    rows = [(g.get("number"), render.fmt_time(g.get("created_at")), g.get("why"), g.get("status"),
             render.fmt_score(g.get("score"), g.get("max_score")), g.get("grader_version") or "",
             g.get("batch_id") or "", " ".join(x for x in (g.get("actor"), g.get("reason")) if x))
            for g in items]
    return render.simple_table(["#", "When", "Why", "Status", "Score", "Grader", "Batch", "Teacher / reason"],
                               rows, "en")


@handle_errors
def gradings(
    submission_id: Annotated[int, typer.Argument(min=1, help="Submission id.")],
    json_: JsonOpt = False,
) -> None:
    """Every grading of a submission, oldest first: the first one, regrades and overrides."""
    with session(detect_lang()) as api:
        items = api.gradings(submission_id)
    out(items, json_, gradings_view(items))


@requests_app.command("list")
@handle_errors
def list_requests(
    status: Annotated[RequestStatus | None, typer.Option(help="Only open or resolved ones.")] = None,
    json_: JsonOpt = False,
) -> None:
    """Your regrade requests and the teacher's answers (the teacher sees everyone's)."""
    with session(detect_lang()) as api:
        items = api.regrade_requests(status.value if status else None)
    out(items, json_, requests_view(items))


@requests_app.command("ask")
@handle_errors
def ask(
    submission_id: Annotated[int, typer.Argument(min=1, help="Your submission's id.")],
    message: Annotated[str, typer.Argument(help="What you think is wrong with the grade.")],
    json_: JsonOpt = False,
) -> None:
    """Student: ask the teacher to look at a submission's grade again."""
    if not message.strip():
        fail(say("empty_request_message"))
    with session(detect_lang()) as api:
        created = api.ask_regrade(submission_id, message)
    out(created, json_, safe_text(f"Regrade request {created.get('id')} sent; see the answer with "
                              "`rnn-grader requests list`."))
