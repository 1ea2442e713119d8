"""Entries for the sandbox mechanism tests: the payload is Python source run inside the child.

Imported by the sandbox zygote (via `sys_path`), so it must stay importable with nothing but the
standard library and NumPy.
"""

from __future__ import annotations

import os


def run_source(payload: bytes, out_fd: int) -> None:
    """Run the payload as a script; `write(bytes)` sends bytes back as the run's result."""

    def write(data: bytes | str) -> None:
        view = memoryview(data.encode() if isinstance(data, str) else data)
        while view:
            view = view[os.write(out_fd, view):]

    code = compile(payload.decode(), "<payload>", "exec")
    exec(code, {"__name__": "payload", "out_fd": out_fd, "write": write})
