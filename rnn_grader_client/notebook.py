"""Check and submit from inside Jupyter: one import and one call in a cell.

    from rnn_grader_client.notebook import check, gradcheck, submit
    check("rnn")       # the functions defined in this notebook, on the public examples, offline: a table
    gradcheck("rnn")   # their backward against finite differences of their own forward, offline
    submit("rnn")      # uploads them, waits for the grade, shows it

What is checked is what the kernel ran, in order (its input history, so a function redefined later wins),
filtered by the same rule as an uploaded .ipynb (grader.notebook: imports, def/class, constants; the
experiments are not run). Cells that use this module are left out. "Cell N" in the feedback is the input
Jupyter shows as `In [N]`. The login is the CLI's (`rnn-grader login`, or RNN_GRADER_SERVER/TOKEN).
"""

from __future__ import annotations

import os
import time
import uuid
import zipfile
from pathlib import Path

from cli import config as cfg
from cli import render, transport
from cli.base import CliError, detect_lang, error_text, manifest_field
from cli.client import ApiClient, ApiError
from cli.gradcheck import declaration
from cli.messages import say
from grader.casefile import CaseFileError, read_manifest
from grader.check import check_source, spec_from_manifest
from grader.gradable import NothingToGrade
from grader.gradcheck import gradcheck_source
from grader.notebook import NotebookError, extract_cells
from rnn_grader_client.tables import GradcheckTable, Refusal, SubmissionTable

MODULE_NAME = "rnn_grader_client"
NOTEBOOK_NAME = "notebook.ipynb"
WAIT_SLICE_S = 5.0
MIN_POLL_S = 0.1
POLL_PAUSE_S = 1.0
# What check() and submit() show as a refusal instead of a traceback: everything a student can fix.
REFUSALS = (CliError, ApiError, cfg.ConfigFileError, NothingToGrade, NotebookError)


class NotInJupyter(CliError):
    """check()/submit() need a running IPython kernel; outside one use `rnn-grader check FILE`."""


def kernel_cells() -> list[tuple[str, str]]:
    """(cell_type, source) for every input the kernel has run, at the index of its execution count; the
    cells that call this module are blanked (they are not part of the solution)."""
    try:
        from IPython import get_ipython
    except ImportError:
        raise NotInJupyter(say("not_in_jupyter")) from None
    shell = get_ipython()
    if shell is None:
        raise NotInJupyter(say("not_in_jupyter"))
    # input_hist_raw[0] is an empty placeholder, so input N sits at position N, as in the notebook's `In [N]`.
    history = list(shell.history_manager.input_hist_raw)[1:]
    return [("code", "" if MODULE_NAME in src else src) for src in history]


def _api(lang: str) -> ApiClient:
    conf = cfg.load()
    if not conf.server or not conf.token:
        raise CliError(say("jupyter_not_logged_in"))
    return ApiClient(transport.client_factory(conf.server), conf.token, lang=lang, sleep=transport.sleep)


def _examples_file(exercise: str, examples: str | Path | None, lang: str) -> Path:
    """The public examples: the given file, else this exercise's next to the notebook, else downloaded from the
    server into the user's cache (once)."""
    if examples is not None:
        return Path(examples)
    for candidate in (Path(f"{exercise}_public_examples.npz"), Path("public_examples.npz")):
        if candidate.is_file() and manifest_field(candidate, "exercise") == exercise:
            return candidate
    target = _cache_dir() / f"{exercise}_public_examples.npz"
    if not target.is_file():
        api = _api(lang)
        try:
            data = api.examples(exercise)
        finally:
            api.http.close()
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return target


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "rnn-grader"


def check(exercise: str, examples: str | Path | None = None, lang: str | None = None) -> SubmissionTable | Refusal:
    """Run the functions defined in this notebook on the exercise's public examples, offline, with the
    server's own comparison and feedback; returns a table (Jupyter displays it), or the reason it could not,
    in the student's language."""
    lang_ = lang or detect_lang()
    try:
        extracted = extract_cells(kernel_cells())
        examples_path = _examples_file(exercise, examples, lang_)
        try:
            spec = spec_from_manifest(read_manifest(examples_path)[0], NOTEBOOK_NAME)
        except (CaseFileError, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
            raise CliError(say("not_examples", path=examples_path, reason=str(exc))) from None
        result = check_source(extracted.source, NOTEBOOK_NAME, examples_path, notes=extracted.feedback(),
                              notebook=extracted.report())
    except REFUSALS as exc:
        return Refusal(error_text(exc), lang_)
    data = render.result_to_dict(result, lang_, {p.name: p.title.get(lang_) for p in spec.parts})
    return SubmissionTable(data, lang_, local=True)


def gradcheck(exercise: str, examples: str | Path | None = None, lang: str | None = None,
              seed: int = 0) -> GradcheckTable | Refusal:
    """Check the backward defined in this notebook against central finite differences of its forward, on a
    few small random cases, offline (the exercise's pair comes from its public examples); returns a table
    (Jupyter displays it; `.ok`, `.exit_code` and `.data`, the `--json` document, are there for code), or the
    reason it could not (no examples file and no login, say), in the student's language, like check()."""
    lang_ = lang or detect_lang()
    try:
        extracted = extract_cells(kernel_cells())
        exercise_id, spec = declaration(_examples_file(exercise, examples, lang_))
    except REFUSALS as exc:
        return Refusal(error_text(exc), lang_)
    report = gradcheck_source(extracted.source, NOTEBOOK_NAME, spec, exercise=exercise_id, seed=seed)
    return GradcheckTable(report, lang_)


def notebook_bytes(cells: list[tuple[str, str]]) -> bytes:
    """The kernel's inputs as a notebook file (what the server extracts and reports on, like any upload)."""
    import nbformat

    nb = nbformat.v4.new_notebook()  # type: ignore[no-untyped-call]
    nb.cells = [nbformat.v4.new_code_cell(src) for _, src in cells]  # type: ignore[no-untyped-call]
    text: str = nbformat.writes(nb)  # type: ignore[no-untyped-call]
    return text.encode("utf-8")


def submit(exercise: str, wait_s: float = 300.0, lang: str | None = None) -> SubmissionTable | Refusal:
    """Upload the functions defined in this notebook, wait for the grade (up to `wait_s`), show it; or the
    server's refusal (nothing to grade, the deadline's cutoff, ...) in the student's language."""
    lang_ = lang or detect_lang()
    try:
        cells = kernel_cells()
        api = _api(lang_)
        try:
            sub = api.submit_file(exercise, NOTEBOOK_NAME, notebook_bytes(cells), str(uuid.uuid4()))
            deadline = time.monotonic() + wait_s
            while sub.get("status") not in ("graded", "failed") and time.monotonic() < deadline:
                asked = time.monotonic()
                sub = api.submission(int(sub["id"]), wait_s=min(WAIT_SLICE_S, max(0.1, deadline - time.monotonic())))
                if time.monotonic() - asked < MIN_POLL_S:  # the server did not hold the wait (too many open): pause
                    transport.sleep(POLL_PAUSE_S)
        finally:
            api.http.close()
    except REFUSALS as exc:
        return Refusal(error_text(exc), lang_)
    return SubmissionTable(sub, lang_, local=False)
