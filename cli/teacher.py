"""Teacher commands: run the server and workers, issue student tokens, read and export the scores, regrade.
Registered on the app by cli.main."""

from __future__ import annotations

import csv
import importlib
import io
import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from cli import render
from cli.base import (
    JsonOpt,
    LangOpt,
    detect_lang,
    fail,
    handle_errors,
    lang_of,
    note,
    print_download,
    session,
    stdout_console,
    write_private,
)
from cli.regrades import show_report

students_app = typer.Typer(help="Teacher: add students and issue their tokens.", no_args_is_help=True)


class ExportFormat(StrEnum):
    csv = "csv"
    json = "json"
    canvas = "canvas"  # Canvas Gradebook import CSV (docs/policies.md)
    moodle = "moodle"  # Moodle grade import CSV


@handle_errors
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (overrides RNN_GRADER_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (overrides RNN_GRADER_PORT).")] = None,
) -> None:
    """Teacher: run the server (SQLite under ./data and in-process graders unless configured otherwise)."""
    if host is not None:
        os.environ["RNN_GRADER_HOST"] = host
    if port is not None:
        os.environ["RNN_GRADER_PORT"] = str(port)
    try:
        from server.main import serve as run_server
    except ImportError as exc:
        fail(f"the server is not available in this installation ({exc})")
    run_server()


@handle_errors
def migrate() -> None:
    """Teacher: bring the database (and, on PostgreSQL, the job queue's schema) to the current version."""
    try:
        from server.migrate import migrate as run_migrate
    except ImportError as exc:
        fail(f"the server is not available in this installation ({exc})")
    code = run_migrate()
    if code:
        raise typer.Exit(code)


@handle_errors
def worker(
    concurrency: Annotated[
        int | None, typer.Option(min=1, help="Submissions graded at once (default: RNN_GRADER_WORKERS).")
    ] = None,
) -> None:
    """Teacher: run a standalone grading worker next to the server."""
    try:
        module = importlib.import_module("server.grading.command")
    except ImportError as exc:
        fail(f"no standalone worker in this installation ({exc}); `rnn-grader serve` grades in-process")
    run_worker = getattr(module, "run_worker", None)
    if not callable(run_worker):
        fail("server.grading.command has no run_worker(); `rnn-grader serve` grades in-process")
    run_worker(concurrency)


@students_app.command("add")
@handle_errors
def students_add(
    student_id: Annotated[str, typer.Argument(help="Student id, e.g. s2025001.")],
    name: Annotated[str, typer.Argument(help="Full name.")],
    email: Annotated[str | None, typer.Option(help="Email, for LMS grade files.")] = None,
    sis_id: Annotated[str | None, typer.Option("--sis-id", help="Id in the LMS / SIS, for LMS grade files.")] = None,
    json_: JsonOpt = False,
) -> None:
    """Teacher: add one student and print their token (shown only once)."""
    with session(detect_lang()) as api:
        student = api.add_student(student_id, name, email=email, sis_id=sis_id)
    if json_:
        render.print_json(stdout_console(), student)
    else:
        stdout_console().print(render.students_view([student], detect_lang()))


@students_app.command("import")
@handle_errors
def students_import(
    roster: Annotated[Path, typer.Argument(help="CSV with a header row: student_id,name (optional: email,sis_id).")],
    out: Annotated[Path | None, typer.Option(help="Write student_id,name,token here (mode 0600).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite --out if it exists.")] = False,
    json_: JsonOpt = False,
) -> None:
    """Teacher: add every student of a roster and collect their tokens for distribution."""
    try:
        content = roster.read_bytes()
    except FileNotFoundError:
        fail(f"file not found: {roster}")
    except OSError as exc:
        fail(f"cannot read {roster}: {exc.strerror or exc}")
    if out is not None:
        # Claim the output file first: tokens are shown once, so there must be somewhere to put them.
        write_private(out, b"", force=force)
    try:
        with session(detect_lang()) as api:
            students = api.import_students(roster.name, content)
    except BaseException:
        if out is not None:
            out.unlink(missing_ok=True)
        raise
    if out is not None:
        # The server's rule for every CSV it writes: a cell a spreadsheet would run as a formula stays text.
        from server.scoreboard.export import csv_cell

        buf = io.StringIO(newline="")
        writer = csv.writer(buf)  # RFC 4180 (CR LF): a field holding a line break is quoted
        writer.writerow(["student_id", "name", "token"])
        for s in students:
            writer.writerow([csv_cell(str(s.get(key) or "")) for key in ("student_id", "name", "token")])
        write_private(out, buf.getvalue().encode("utf-8"), force=True)
    if json_:
        summary = {"imported": len(students), "tokens_file": str(out)}
        render.print_json(stdout_console(), students if out is None else summary)
    elif out is not None:
        stdout_console().print(f"Imported {len(students)} students; tokens written to {out} (mode 0600).")
    else:
        stdout_console().print(render.students_view(students, detect_lang()))


@handle_errors
def scoreboard(json_: JsonOpt = False, lang: LangOpt = None) -> None:
    """Teacher: every student's counted score per exercise."""
    lang_ = lang_of(lang)
    with session(lang_) as api:
        rows = api.scoreboard()
    if json_:
        render.print_json(stdout_console(), rows)
    else:
        stdout_console().print(render.scoreboard_view(rows, lang_))


@handle_errors
def export(
    format_: Annotated[
        ExportFormat, typer.Option("--format", help="csv, json, or an LMS grade import file: canvas, moodle.")
    ] = ExportFormat.csv,
    out: Annotated[Path | None, typer.Option(help="Write here (mode 0600) instead of stdout.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite --out if it exists.")] = False,
) -> None:
    """Teacher: export the scoreboard as CSV or JSON."""
    with session(detect_lang()) as api:
        if format_ is ExportFormat.csv:
            data = api.scoreboard_csv()
        elif format_ in (ExportFormat.canvas, ExportFormat.moodle):
            data = api.scoreboard_csv(format_.value)
        else:
            data = (render.dumps(api.scoreboard()) + "\n").encode("utf-8")
    if out is None:
        print_download(data)
    else:
        write_private(out, data, force=force)
        note(f"wrote {out}")


@handle_errors
def regrade(
    submission: Annotated[int | None, typer.Option(help="One submission id.")] = None,
    exercise: Annotated[str | None, typer.Option(help="Every submission of this exercise.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Every submission.")] = False,
    reason: Annotated[str | None, typer.Option(help="Why (kept with the batch and in the audit log).")] = None,
    report: Annotated[int | None, typer.Option(help="Show the report of this batch instead.", min=1)] = None,
    json_: JsonOpt = False,
) -> None:
    """Teacher: queue submissions for grading again (after a fix to the grader or the reference) as one
    batch; their counted scores stay until the new grading. `--report ID` shows what a batch changed."""
    if report is not None:
        if submission is not None or exercise is not None or all_:
            fail("--report ID shows a batch; give it without --submission/--exercise/--all")
        show_report(report, json_)
        return
    if sum((submission is not None, exercise is not None, all_)) != 1:
        fail("give exactly one of --submission ID, --exercise ID, --all")
    with session(detect_lang()) as api:
        if reason is None:
            answer = api.regrade(submission_id=submission, exercise=exercise, all_=all_)
        else:
            answer = api.regrade_with({"submission_id": submission, "exercise": exercise, "all": all_,
                                       "reason": reason})
    if json_:
        render.print_json(stdout_console(), answer)
    else:
        stdout_console().print(f"Queued {answer.get('queued', '?')} submission(s) for regrading.")
        if answer.get("batch_id") is not None:
            stdout_console().print(f"Batch {answer['batch_id']}: see `rnn-grader regrade --report "
                                   f"{answer['batch_id']}`.")
