"""Where the student pages meet notebook support (issue 11, section 2).

Every upload goes through `read_upload`, every result page asks `skipped_cells`. A `.py` file is read here;
a `.ipynb` file goes to the notebook reader when the server has one (`_notebook_reader`), and is refused with
a clear 422 until then. Wiring the reader in is a change to this module only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlmodel import Session

from server.errors import InvalidInput, PayloadTooLarge
from server.models import Submission


class NotebooksNotSupported(InvalidInput):
    status_code = 422
    default_detail = "notebooks not supported yet: upload a .py file or paste your code"


class UnsupportedUpload(InvalidInput):
    status_code = 422
    default_detail = "upload a .py or .ipynb file"


@dataclass(frozen=True)
class SkippedCell:
    index: int  # 1-based cell number in the notebook
    reason: str  # in the page's language
    excerpt: str = ""  # the cell's first line


@dataclass(frozen=True)
class Upload:
    source: str
    filename: str
    notebook: bool = False
    skipped: list[SkippedCell] = field(default_factory=list)


# (notebook bytes, max source bytes) -> extracted source; raises an AppError (422/413) for a bad notebook.
NotebookReader = Callable[[bytes, int], str]


def _notebook_reader() -> NotebookReader | None:
    """The server's notebook reader, or None while the server has none."""
    return None


def read_upload(filename: str, data: bytes, max_source_bytes: int) -> Upload:
    name = filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1][:200]
    lower = name.lower()
    if lower.endswith(".ipynb"):
        reader = _notebook_reader()
        if reader is None:
            raise NotebooksNotSupported()
        return Upload(source=reader(data, max_source_bytes), filename=name, notebook=True)
    if not lower.endswith(".py"):
        raise UnsupportedUpload(f"{name!r} is neither a .py nor a .ipynb file")
    if len(data) > max_source_bytes:
        raise PayloadTooLarge(f"the source may be at most {max_source_bytes // 1024} KiB")
    try:
        source = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("the file is not UTF-8 text") from None
    return Upload(source=source, filename=name)


def skipped_cells(db: Session, sub: Submission, lang: str) -> list[SkippedCell]:
    """The notebook cells of this submission that were not graded, and why; [] for a .py submission."""
    del db, sub, lang  # no stored notebook report on this server yet
    return []
