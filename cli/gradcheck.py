"""`rnn-grader gradcheck FILE`: the student's backward against finite differences of their own forward, offline.

Exit status 0 when every gradient agrees, 1 when one disagrees, 2 when nothing could be compared (the file
does not run, its forward fails, or the exercise declares no pair to check). The pair, the argument names and
the sizes of the random cases come from the exercise's public examples file (grader.gradcheck_spec), the
computation from grader.gradcheck; this module reads the files and prints.
"""

from __future__ import annotations

import contextlib
import zipfile
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from cli import render
from cli.base import CliError, JsonOpt, LangOpt, find_examples, lang_of, stderr_console, stdout_console
from grader.casefile import CaseFileError, read_manifest
from grader.gradcheck import STEP, GradcheckReport, TensorCheck, gradcheck_source
from grader.gradcheck_spec import GradcheckSpec, parse_gradcheck
from grader.gradcheck_text import text
from grader.notebook import NotebookError, extract_notebook

CANNOT_RUN = 2


def declaration(examples: Path) -> tuple[str, GradcheckSpec]:
    """The exercise id and its gradcheck declaration from a public examples file; CliError if it has none."""
    try:
        manifest, _ = read_manifest(examples)
        spec = parse_gradcheck(manifest.get("gradcheck"))
    except (CaseFileError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise CliError(f"{examples} is not a public examples file ({exc}); fetch it again") from None
    except OSError as exc:
        raise CliError(f"cannot read {examples}: {exc.strerror or exc}") from None
    exercise = str(manifest.get("exercise") or "?")
    if spec is None:
        raise CliError(text("not_declared", exercise=exercise))
    return exercise, spec


def student_source(file: Path) -> str:
    """The file's source (a notebook's definitions, extracted as the server does); CliError if unreadable."""
    try:
        if file.suffix.lower() == ".ipynb":
            return extract_notebook(file.read_bytes()).source
        return file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise CliError(f"{file} is not UTF-8 text") from None
    except NotebookError as exc:
        raise CliError(f"{file}: {exc}") from None
    except OSError as exc:
        raise CliError(f"cannot read {file}: {exc.strerror or exc}") from None


def gradcheck(
    file: Annotated[Path, typer.Argument(help="Your solution (.py) or notebook (.ipynb).")],
    examples: Annotated[Path | None, typer.Option(help="Public examples file (default: next to FILE).")] = None,
    seed: Annotated[int, typer.Option(min=0, help="Seed of the random cases.")] = 0,
    json_: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Check your backward against central finite differences of your own forward (offline, float64)."""
    lang_ = lang_of(lang)
    try:
        if not file.is_file():
            raise CliError(f"file not found: {file}")
        examples = examples or find_examples(file)
        exercise, spec = declaration(examples)
        source = student_source(file)
    except CliError as exc:
        message = exc.text.get(lang_)
        if json_:  # the document a script reads, even when nothing could be checked
            render.print_json(stdout_console(), {"ok": False, "status": "error", "error": message, "tensors": []})
        typer.echo(f"error: {message}", err=True)
        raise typer.Exit(CANNOT_RUN) from None
    show = not json_ and stderr_console().is_terminal
    status = stderr_console().status("Checking gradients...") if show else contextlib.nullcontext()
    with status:
        report = gradcheck_source(source, file.name, spec, exercise=exercise, seed=seed)
    if json_:
        render.print_json(stdout_console(), report.as_json(lang_))
    else:
        stdout_console().print(report_view(report, lang_))
    raise typer.Exit(report.exit_code)


def tensor_row(t: TensorCheck, lang: str) -> tuple[str, str, str, str, str]:
    """One gradient's cells: name, symbolic shape, largest relative error, agrees or not, where or why."""
    error = "-" if t.max_rel_error is None else f"{t.max_rel_error:.1e}"
    where = text("step_of", step=t.first_step, T=t.steps).get(lang) if t.first_step else ""
    note = " ".join(x for x in (where, t.problem.get(lang) if t.problem else "") if x)
    return f"dL/d{t.name}", f"({t.symbols})", error, text("ok" if t.ok else "wrong").get(lang), note


def report_view(report: GradcheckReport, lang: str) -> RenderableType:
    """A table of relative errors per gradient, the random cases, and the one-line verdict."""
    items: list[RenderableType] = []
    if report.tensors:
        table = Table(box=box.SIMPLE_HEAD, expand=False)
        for key in ("col_gradient", "col_shape", "col_error", "col_result", "col_where"):
            table.add_column(text(key).get(lang), overflow="fold")
        for t in report.tensors:
            name, shape, error, result, note = tensor_row(t, lang)
            table.add_row(name, shape, error, Text(result, style="green" if t.ok else "bold red"), Text(note))
        items.append(table)
    sizes = "; ".join(", ".join(f"{k}={v}" for k, v in c.items()) for c in report.cases)
    items.append(Text(text("cases_line", cases=len(report.cases), step=f"{STEP:g}", sizes=sizes).get(lang),
                      style="dim"))
    if report.output and not report.ok:
        items.append(Text(report.output.rstrip(), style="dim"))
    style = {0: "bold green", 1: "bold red"}.get(report.exit_code, "bold yellow")
    items.append(Text(report.verdict.get(lang), style=style))
    return Group(*items)
