"""An uploaded file -> the source the grader runs: a .py file as UTF-8 text within MAX_SOURCE_KIB, or a
notebook, with its two size limits and the report of skipped cells.

One entry point for every way a notebook arrives (the API's multipart upload, the student web page):
the file may be up to MAX_NOTEBOOK_KIB (outputs and images make notebooks big), its extracted definitions
must fit MAX_SOURCE_KIB like any .py file; each limit answers 413 with its own message, a file that is not a
valid notebook 422 with the reason.
"""

from __future__ import annotations

import math

from grader.notebook import NotebookError, NotebookSource, extract_notebook
from server.config import Settings
from server.errors import InvalidInput, PayloadTooLarge
from server.refusals import refusal

NOTEBOOK_SUFFIX = ".ipynb"


def is_notebook(filename: str | None) -> bool:
    return bool(filename) and str(filename).lower().endswith(NOTEBOOK_SUFFIX)


def check_source_size(source: str, limit: int, what: str = "source_too_large") -> None:
    """413 when the source is over `limit` bytes; `what` names the refusal (source_too_large or
    notebook_source_too_large)."""
    size = len(source.encode("utf-8"))
    if size > limit:
        raise PayloadTooLarge(refusal(what, size=math.ceil(size / 1024), limit=limit // 1024))


def python_source(data: bytes, settings: Settings) -> str:
    """An uploaded .py file's text: 413 over MAX_SOURCE_KIB, 422 if it is not UTF-8."""
    limit = settings.max_source_bytes
    if len(data) > limit:
        raise PayloadTooLarge(refusal("py_too_large", kib=limit // 1024))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput(refusal("not_utf8")) from None
    if "\x00" in text:  # no database stores it; UTF-16 without a BOM decodes as UTF-8 full of them
        raise InvalidInput(refusal("nul_in_source"))
    return text


def notebook_source(data: bytes, settings: Settings) -> NotebookSource:
    """The definitions of an uploaded notebook. Raises PayloadTooLarge (file over MAX_NOTEBOOK_KIB, or its
    definitions over MAX_SOURCE_KIB) or InvalidInput (not a valid notebook, with nbformat's reason)."""
    if len(data) > settings.max_notebook_bytes:
        raise PayloadTooLarge(refusal("notebook_too_large", size=math.ceil(len(data) / 1024),
                                      limit=settings.max_notebook_kib))
    try:
        extracted = extract_notebook(data)
    except NotebookError as exc:
        raise InvalidInput(exc.text) from None
    check_source_size(extracted.source, settings.max_source_bytes, "notebook_source_too_large")
    return extracted
