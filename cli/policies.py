"""Teacher commands for the course's policies: per-student extensions (set, list, remove, import a CSV).
Registered on the app by cli.main as `rnn-grader extensions ...`; see docs/policies.md."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import RenderableType

from cli import render
from cli.base import JsonOpt, detect_lang, fail, handle_errors, iso_datetime, session, stdout_console
from cli.tables import FitTable

extensions_app = typer.Typer(help="Teacher: per-student deadlines (extensions).", no_args_is_help=True)


def extensions_view(rows: Sequence[Mapping[str, Any]]) -> RenderableType:
    table = FitTable()
    for column in ("Student", "Exercise", "Deadline", "Exercise deadline"):
        table.add_column(column)
    for row in rows:
        table.add_row(str(row.get("student_id")), str(row.get("exercise")), render.fmt_time(row.get("deadline")),
                      render.fmt_time(row.get("exercise_deadline")))
    return table if rows else "No extensions."


@extensions_app.command("set")
@handle_errors
def extensions_set(
    student_id: Annotated[str, typer.Argument(help="Student id.")],
    exercise: Annotated[str, typer.Argument(help="Exercise id.")],
    deadline: Annotated[str, typer.Argument(help="Their own deadline, ISO 8601 with offset: 2026-12-27T23:59+08:00")],
    json_: JsonOpt = False,
) -> None:
    """Teacher: give a student their own deadline for an exercise (replaces an earlier one)."""
    with session(detect_lang()) as api:
        stored = api.set_extension(student_id, exercise, iso_datetime(deadline))
    if json_:
        render.print_json(stdout_console(), stored)
    else:
        stdout_console().print(extensions_view([stored]))


@extensions_app.command("list")
@handle_errors
def extensions_list(
    student: Annotated[str | None, typer.Option(help="Only this student.")] = None,
    exercise: Annotated[str | None, typer.Option(help="Only this exercise.")] = None,
    json_: JsonOpt = False,
) -> None:
    """Teacher: list extensions."""
    with session(detect_lang()) as api:
        rows = api.extensions(student_id=student, exercise=exercise)
    if json_:
        render.print_json(stdout_console(), rows)
    else:
        stdout_console().print(extensions_view(rows))


@extensions_app.command("remove")
@handle_errors
def extensions_remove(
    student_id: Annotated[str, typer.Argument(help="Student id.")],
    exercise: Annotated[str, typer.Argument(help="Exercise id.")],
) -> None:
    """Teacher: remove a student's extension (they get the exercise's deadline again)."""
    with session(detect_lang()) as api:
        api.remove_extension(student_id, exercise)
    stdout_console().print(f"Removed the extension of {student_id} for {exercise}.")


@extensions_app.command("import")
@handle_errors
def extensions_import(
    file: Annotated[Path, typer.Argument(help="CSV with a header row: student_id,exercise,deadline.")],
    json_: JsonOpt = False,
) -> None:
    """Teacher: set every extension of a CSV file (all or nothing; bad rows are reported with line numbers)."""
    try:
        content = file.read_bytes()
    except FileNotFoundError:
        fail(f"file not found: {file}")
    except OSError as exc:
        fail(f"cannot read {file}: {exc.strerror or exc}")
    with session(detect_lang()) as api:
        report = api.import_extensions(file.name, content)
    if json_:
        render.print_json(stdout_console(), report)
    else:
        stdout_console().print(f"Imported {report.get('imported', '?')} extension(s).")
