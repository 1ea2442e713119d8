"""Teacher: `rnn-grader exercise validate DIR` and `rnn-grader exercise new ID` (grader.authoring;
docs/authoring.md). Registered by cli.main in the full install only: the student client has no answer keys."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli import render
from cli.base import JsonOpt, fail, handle_errors, note, stdout_console

exercise_app = typer.Typer(help="Teacher: write a new exercise, and prove one before students see it.",
                           no_args_is_help=True)


@exercise_app.command()
def validate(
    directory: Annotated[Path, typer.Argument(help="The exercise's folder (the one holding spec.toml).")],
    seeds: Annotated[int, typer.Option(min=200, help="Seeds of hidden cases the reference runs on.")] = 200,
    json_: JsonOpt = False,
) -> None:
    """Check an exercise: its reference on >= 200 seeds, the same cases under every BLAS kernel, tolerances,
    every named mistake through the real sandbox, the template, the public examples, texts in zh and en.
    Exit status 0 when every check passes, 1 otherwise."""
    from grader.authoring.validate import validate as run_validate

    if not (directory / "spec.toml").is_file():
        typer.echo(f"error: no spec.toml in {directory}", err=True)
        raise typer.Exit(1)
    report = run_validate(directory, seeds=seeds)
    if json_:
        render.print_json(stdout_console(), report.as_json())
    else:
        typer.echo(report.text())
    raise typer.Exit(0 if report.ok else 1)


@exercise_app.command()
@handle_errors
def new(
    exercise_id: Annotated[str, typer.Argument(metavar="ID", help="The new exercise's id, e.g. rnn_lstm.")],
    root: Annotated[Path | None, typer.Option(help="Where exercises/ and reference/ are (default: this "
                                                   "installation's).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite existing files.")] = False,
) -> None:
    """Write a complete small exercise (one tanh layer) that `exercise validate` accepts, to start from."""
    from grader.authoring.skeleton import DEFAULT_ROOT, SkeletonError, write_skeleton

    try:
        written = write_skeleton(exercise_id, root or DEFAULT_ROOT, force=force)
    except SkeletonError as exc:
        fail(str(exc))
    for path in written:
        note(f"wrote {path}")
    folder = (root or DEFAULT_ROOT) / "exercises" / exercise_id
    note(f"Next: `rnn-grader exercise validate {folder}`, then replace it piece by piece (docs/authoring.md).")
