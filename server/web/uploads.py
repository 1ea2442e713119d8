"""What the student pages do with an uploaded file: a `.py` file is read as UTF-8 text; a `.ipynb` file goes
through the server's one notebook reader (server.submissions.notebook: its two size limits, 422 with the
reason for a file that is not a notebook), whose report of skipped cells is stored with the submission.
Anything else is a clear 422."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from server.config import Settings
from server.errors import InvalidInput
from server.models import SubmissionPublic, SubmissionReceived
from server.refusals import refusal
from server.submissions.notebook import is_notebook, notebook_source, python_source


class UnsupportedUpload(InvalidInput):
    status_code = 422
    default_detail = "upload a .py or .ipynb file"
    default_zh = "请上传 .py 或 .ipynb 文件"


@dataclass(frozen=True)
class SkippedCell:
    index: int  # the code cell's position in the notebook, from 1
    reason: str  # in the page's language


@dataclass(frozen=True)
class Upload:
    source: str
    filename: str
    notebook: dict[str, Any] | None = None  # the report of skipped cells, for a notebook


def max_upload_bytes(settings: Settings) -> int:
    """A notebook file may be larger than the source it holds (outputs, images)."""
    return max(settings.max_source_bytes, settings.max_notebook_bytes)


def read_upload(filename: str, data: bytes, settings: Settings) -> Upload:
    name = filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1][:200]
    if is_notebook(name):
        extracted = notebook_source(data, settings)
        return Upload(source=extracted.source, filename=name, notebook=extracted.report())
    if not name.lower().endswith(".py"):
        raise UnsupportedUpload(refusal("not_py_or_ipynb", name=repr(name)))
    return Upload(source=python_source(data, settings), filename=name)


def submission_body(exercise: str, source: str, upload: Upload | None) -> SubmissionReceived:
    """What submit() takes: the source, and a notebook's report of skipped cells. Text no database can store
    (a NUL pasted in, a lone surrogate) is a refusal the page shows, like the API's 422."""
    if "\x00" in source:
        raise InvalidInput(refusal("nul_in_source"))
    try:
        return SubmissionReceived(exercise=exercise, source=source, notebook=upload.notebook if upload else None)
    except ValidationError as exc:
        issues = "; ".join(str(e.get("msg", "")) for e in exc.errors())
        raise InvalidInput(refusal("invalid_request", issues=issues)) from None


def skipped_cells(view: SubmissionPublic) -> list[SkippedCell]:
    """The notebook cells of this submission that were not run, and why; [] for a .py submission."""
    if view.notebook is None:
        return []
    return [SkippedCell(index=c.cell, reason=c.message) for c in view.notebook.skipped]
