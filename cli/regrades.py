"""Teacher commands for regrade batches and their reports, overrides, answering regrade requests and the
audit log. Registered on the app by cli.main in the full install: `regrades list|show`, `requests resolve`,
`override`, `audit` (the student side, `gradings` and `requests list|ask`, is cli.regrade_requests)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Group, RenderableType

from cli import render
from cli.base import JsonOpt, detect_lang, fail, handle_errors, iso_datetime, print_download, session, write_private
from cli.regrade_requests import out
from cli.terminal import safe_text

regrades_app = typer.Typer(help="Teacher: regrade batches and their reports.", no_args_is_help=True)


class ActorRole(StrEnum):
    instructor = "instructor"
    ta = "ta"
    student = "student"


class Action(StrEnum):
    regrade = "regrade"
    override = "override"
    reject = "reject"


# ---------------------------------------------------------------- views
def report_view(report: Mapping[str, Any]) -> RenderableType:
    totals = report.get("totals") or {}
    state = "finished" if report.get("finished") else "running"
    head = safe_text(
        f"Regrade batch {report.get('id')} ({state}): {report.get('done')}/{report.get('total')} submission(s) "
        f"graded again. Counted scores: {totals.get('up', 0)} up, {totals.get('down', 0)} down, "
        f"{totals.get('same', 0)} same, {totals.get('pending', 0)} pending."
    )
    rows = [(r.get("student_id"), r.get("name"), r.get("exercise"), render.fmt_score(r.get("before")),
             render.fmt_score(r.get("after")), r.get("change")) for r in report.get("students") or ()]
    table = render.simple_table(["Student", "Name", "Exercise", "Before", "After", "Change"], rows, "en")
    return Group(head, table)


def batches_view(batches: Sequence[Mapping[str, Any]]) -> RenderableType:
    rows = [(b.get("id"), render.fmt_time(b.get("created_at")), b.get("actor"),
             ", ".join(f"{k}={v}" for k, v in (b.get("selector") or {}).items()),
             f"{b.get('done')}/{b.get('total')}", "yes" if b.get("finished") else "no", b.get("reason") or "")
            for b in batches]
    return render.simple_table(["Batch", "Started", "By", "Selector", "Done", "Finished", "Reason"], rows, "en")


def audit_view(items: Sequence[Mapping[str, Any]]) -> RenderableType:
    rows = [(a.get("id"), render.fmt_time(a.get("at")), a.get("actor"), a.get("role"), a.get("action"),
             a.get("target"), a.get("reason") or "", render.dumps(a.get("detail") or {}).replace("\n", " "))
            for a in items]
    return render.simple_table(["#", "When", "Who", "Role", "What", "On", "Why", "Detail"], rows, "en")


# ---------------------------------------------------------------- regrade batches
def show_report(batch_id: int, json_: bool, csv_out: Path | None = None) -> None:
    with session(detect_lang()) as api:
        if csv_out is not None:
            data = api.regrade_report_csv(batch_id)
            if str(csv_out) == "-":
                print_download(data)
            else:
                write_private(csv_out, data, force=True)
            return
        report = api.regrade_report(batch_id)
    out(report, json_, report_view(report))


@regrades_app.command("list")
@handle_errors
def list_batches(limit: Annotated[int, typer.Option(min=1, max=200)] = 20, json_: JsonOpt = False) -> None:
    """Teacher: the regrade batches, newest first, with their progress."""
    with session(detect_lang()) as api:
        batches = api.regrade_batches(limit)
    out(batches, json_, batches_view(batches))


@regrades_app.command("show")
@handle_errors
def show(
    batch_id: Annotated[int, typer.Argument(min=1, help="The batch id `rnn-grader regrade` printed.")],
    csv_out: Annotated[Path | None, typer.Option("--csv", help="Write the report as CSV to FILE (- = stdout).")] = None,
    json_: JsonOpt = False,
) -> None:
    """Teacher: a regrade batch's report: counted scores up/down/same, per student before and after."""
    show_report(batch_id, json_, csv_out)


# ---------------------------------------------------------------- history and overrides
@handle_errors
def override(
    submission_id: Annotated[int, typer.Argument(min=1, help="Submission id.")],
    score: Annotated[float, typer.Option(help="The raw score to give (0 .. the exercise's maximum).")],
    reason: Annotated[str, typer.Option(help="Why (kept in the history and the audit log).")],
    json_: JsonOpt = False,
) -> None:
    """Teacher: give a submission a score by hand (a grading with why=override)."""
    with session(detect_lang()) as api:
        grading = api.override(submission_id, score, reason)
    out(grading, json_, safe_text(f"Submission {submission_id} now counts {render.fmt_score(score)} "
                              f"(grading #{grading.get('number')})."))


# ---------------------------------------------------------------- regrade requests
@handle_errors
def resolve(
    request_id: Annotated[int, typer.Argument(min=1, help="The request's id.")],
    action: Annotated[Action, typer.Option(help="regrade, override (with --score) or reject.")],
    comment: Annotated[str, typer.Option(help="Your answer to the student (the reason, for an override).")] = "",
    score: Annotated[float | None, typer.Option(help="The raw score, for --action override.")] = None,
    json_: JsonOpt = False,
) -> None:
    """Teacher: answer a regrade request."""
    if action is Action.override and score is None:
        fail("--action override needs --score")
    with session(detect_lang()) as api:
        resolved = api.resolve_request(request_id, action.value, score, comment)
    extra = f"; regrade batch {resolved.get('batch_id')}" if resolved.get("batch_id") else ""
    out(resolved, json_, safe_text(f"Regrade request {request_id} resolved: {action.value}{extra}."))


# ---------------------------------------------------------------- audit log
@handle_errors
def audit(
    action: Annotated[str | None, typer.Option(help="Only this action (regrade, override, ...).")] = None,
    target: Annotated[str | None, typer.Option(help="Only this target (submission:12, batch:3, ...).")] = None,
    actor: Annotated[str | None, typer.Option(help="Only this person (a staff_id, or a student_id).")] = None,
    role: Annotated[ActorRole | None, typer.Option(help="Only what people of this role did.")] = None,
    since: Annotated[str | None, typer.Option(help="From this time on (ISO 8601 with offset).")] = None,
    until: Annotated[str | None, typer.Option(help="Before this time (ISO 8601 with offset).")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
    offset: Annotated[int, typer.Option(min=0, help="Skip this many of the newest entries.")] = 0,
    json_: JsonOpt = False,
) -> None:
    """Teacher: the audit log, newest first: who (id and role) changed what, when and why."""
    since, until = (iso_datetime(t) if t is not None else None for t in (since, until))
    with session(detect_lang()) as api:
        items = api.audit(action=action, target=target, actor=actor, role=role.value if role else None, since=since,
                          until=until, limit=limit, offset=offset)
    out(items, json_, audit_view(items))
