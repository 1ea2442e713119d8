"""Writing a backup so that it is either whole or absent: a private temporary file next to the target, fsync,
an atomic rename, fsync of the directory. A crash or a full disk leaves the previous file (or none), never half
of one."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path


class BackupError(RuntimeError):
    """A backup or restore could not be done; the message is one line an operator can act on."""


def fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def temporary_sibling(target: Path, purpose: str) -> Path:
    """A fresh hidden name in the target's directory (a rename within one filesystem is atomic)."""
    return target.with_name(f".{target.name}.{purpose}-{uuid.uuid4().hex[:12]}")


@contextlib.contextmanager
def atomic_output(target: Path, *, replace: bool = True) -> Iterator[Path]:
    """Yield a temporary path (created empty, mode 0600) to write; on success fsync it and move it to `target`
    (atomically replacing an existing file, or refusing to when `replace` is false), then fsync the directory.
    On any failure the temporary file is removed and `target` is untouched."""
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = temporary_sibling(target, "partial")
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    try:
        yield tmp
        fsync_path(tmp)
        if replace:
            os.replace(tmp, target)
        else:
            try:
                os.link(tmp, target)  # fails if target exists: never overwrites what someone made meanwhile
            except FileExistsError:
                raise BackupError(f"{target} appeared while restoring; nothing was changed") from None
            os.unlink(tmp)
        fsync_path(target.parent)
    finally:
        for leftover in (tmp, *(tmp.with_name(tmp.name + s) for s in ("-journal", "-wal", "-shm"))):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(leftover)
