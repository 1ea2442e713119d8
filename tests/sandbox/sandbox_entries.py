"""Entries for the sandbox mechanism tests: the payload is Python source run inside the child.

Imported by the sandbox zygote (via `sys_path`), so it must stay importable with nothing but the
standard library and NumPy.
"""

from __future__ import annotations

import os


def run_source(payload: bytes | bytearray, out_fd: int) -> None:
    """Run the payload as a script; `write(bytes)` sends bytes back as the run's result."""

    def write(data: bytes | str) -> None:
        view = memoryview(data.encode() if isinstance(data, str) else data)
        while view:
            view = view[os.write(out_fd, view):]

    code = compile(payload.decode(), "<payload>", "exec")
    exec(code, {"__name__": "payload", "out_fd": out_fd, "write": write})


WARM_UP_MARK = "warm-up-was-here"


def warm_up(out_fd: int) -> None:
    """Run by each spare child before its job (found by name: the Sandbox's warm_up="auto"). Writes to
    its sink and to stdout, which must reach neither the run's result nor its output."""
    import numpy as np

    print(WARM_UP_MARK)
    run_source(f"import numpy as np\nwrite({WARM_UP_MARK!r} + str(float(np.tanh(np.ones(3)).sum())))".encode(),
               out_fd)
    np.einsum("ij,jk->ik", np.eye(3), np.eye(3))


def failing_warm_up(out_fd: int) -> None:
    print(WARM_UP_MARK, end="")  # still in stdout's buffer when it fails
    raise RuntimeError("this warm-up always fails")


def exiting_warm_up(out_fd: int) -> None:
    os._exit(3)
