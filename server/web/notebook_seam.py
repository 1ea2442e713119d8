"""Where the student pages meet notebook support (issue 11, section 2).

Every upload goes through `read_upload`, every result page asks `skipped_cells`. A `.py` file is read here.
A `.ipynb` file goes to the server's notebook reader, `server.submissions.notebook.notebook_source(data,
settings)` (its two size limits, 422 with the reason for a file that is not a notebook), and its report of
skipped cells is stored with the submission; while the server has no such module a `.ipynb` is refused
with a clear 422.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from server import models
from server.config import Settings
from server.errors import InvalidInput, PayloadTooLarge
from server.models import SubmissionCreate, SubmissionPublic

NOTEBOOK_MODULE = "server.submissions.notebook"


class NotebooksNotSupported(InvalidInput):
    status_code = 422
    default_detail = "notebooks not supported yet: upload a .py file or paste your code"


class UnsupportedUpload(InvalidInput):
    status_code = 422
    default_detail = "upload a .py or .ipynb file"


@dataclass(frozen=True)
class SkippedCell:
    index: int  # the code cell's position in the notebook, from 1
    reason: str  # in the page's language


@dataclass(frozen=True)
class Upload:
    source: str
    filename: str
    notebook: dict[str, Any] | None = None  # the report of skipped cells, for a notebook


def _notebook_reader() -> Callable[[bytes, Settings], Any] | None:
    """`notebook_source(data, settings) -> NotebookSource` (`.source`, `.report()`), or None without one."""
    try:
        module = importlib.import_module(NOTEBOOK_MODULE)
    except ImportError:
        return None
    reader = getattr(module, "notebook_source", None)
    return reader if callable(reader) else None


def max_upload_bytes(settings: Settings) -> int:
    """A notebook file may be larger than the source it holds (outputs, images)."""
    return max(settings.max_source_bytes, int(getattr(settings, "max_notebook_bytes", 0)))


def check_source_size(source: str, limit: int) -> None:
    size = len(source.encode("utf-8"))
    if size > limit:
        raise PayloadTooLarge(f"the source is {math.ceil(size / 1024)} KiB; at most {limit // 1024} KiB")


def read_upload(filename: str, data: bytes, settings: Settings) -> Upload:
    name = filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1][:200]
    lower = name.lower()
    limit = settings.max_source_bytes
    if lower.endswith(".ipynb"):
        reader = _notebook_reader()
        if reader is None:
            raise NotebooksNotSupported()
        extracted = reader(data, settings)
        return Upload(source=str(extracted.source), filename=name, notebook=dict(extracted.report()))
    if not lower.endswith(".py"):
        raise UnsupportedUpload(f"{name!r} is neither a .py nor a .ipynb file")
    if len(data) > limit:
        raise PayloadTooLarge(f"the source may be at most {limit // 1024} KiB")
    try:
        source = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("the file is not UTF-8 text") from None
    return Upload(source=source, filename=name)


def submission_body(exercise: str, source: str, upload: Upload | None) -> SubmissionCreate:
    """What submit() takes: with a notebook's report when the server stores one."""
    received = getattr(models, "SubmissionReceived", None)
    if upload is not None and upload.notebook is not None and received is not None:
        body: SubmissionCreate = received(exercise=exercise, source=source, notebook=upload.notebook)
        return body
    return SubmissionCreate(exercise=exercise, source=source)


def skipped_cells(view: SubmissionPublic) -> list[SkippedCell]:
    """The notebook cells of this submission that were not run, and why; [] for a .py submission."""
    notebook = getattr(view, "notebook", None)
    if notebook is None:
        return []
    return [SkippedCell(index=int(c.cell), reason=str(c.message)) for c in notebook.skipped]
