"""What a runner is: something that runs the harness on a payload under limits and reports how it ended.

Two implementations: `grader.sandbox.Sandbox` (the confined zygote, for untrusted code on the server)
and `LocalRunner` below (a plain subprocess, for a student checking their own code on their own machine,
and the unconfined baseline in benchmarks).
"""

from __future__ import annotations

import os
import select
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from grader.exercise import Limits


class RunStatus(StrEnum):
    exited = "exited"  # the child ended by itself (any exit code)
    cpu_limit = "cpu_limit"
    wall_limit = "wall_limit"
    memory_limit = "memory_limit"
    output_limit = "output_limit"  # stdout/stderr or results over their caps
    signaled = "signaled"  # killed by a signal we did not send (segfault, abort, ...)
    internal_error = "internal_error"  # the runner itself failed: never the student's fault


@dataclass
class RunReport:
    status: RunStatus
    result: bytes = b""
    output: bytes = b""
    exit_code: int | None = None
    signal: int | None = None
    cpu_s: float = 0.0
    wall_s: float = 0.0
    detail: str = ""
    layers: dict[str, bool] = field(default_factory=dict)
    # Optional, from runners that know them (the Sandbox): CPU the child spent before the run proper
    # (fork, confinement, warm-up: off the critical path when forked in advance; not in `cpu_s`), and
    # the minor page faults during the run proper.
    setup_cpu_s: float = 0.0
    minflt: int = 0


# Called with the result bytes as they arrive during a run (up to the result cap), so the caller can judge a
# call's answer while the child runs the next one; `RunReport.result` still holds them all at the end.
ResultListener = Callable[[bytes], None]


class Runner(Protocol):
    def run(self, payload: bytes, limits: Limits, on_result: ResultListener | None = None) -> RunReport: ...

    def layers(self) -> dict[str, bool]: ...


# This package by its own name (`grader` in the repository, `rnn_grader_client.grader` in the client wheel), and
# the directory its top-level package lives in.
_HARNESS = f"{__package__}.harness"
_PACKAGE_ROOT = Path(__file__).resolve().parents[(__package__ or "grader").count(".") + 1]


class LocalRunner:
    """Runs the harness in a fresh `python -m grader.harness` with no isolation beyond a timeout.
    For code the user trusts (their own) and as the benchmark baseline."""

    def layers(self) -> dict[str, bool]:
        return {}

    def run(self, payload: bytes, limits: Limits, on_result: ResultListener | None = None) -> RunReport:
        """`on_result` is not called: the baseline reads the results only at the end."""
        read_fd, write_fd = os.pipe()
        env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(_PACKAGE_ROOT), env.get("PYTHONPATH", "")) if p)
        started = time.perf_counter()
        deadline = started + limits.wall_time_limit_s
        cap = limits.result_limit_mib * 1024 * 1024
        status = RunStatus.exited
        chunks: list[bytes] = []
        with tempfile.TemporaryFile() as output, tempfile.TemporaryFile() as stdin:
            stdin.write(payload)
            stdin.seek(0)
            proc = subprocess.Popen(
                # -P: the current directory is not put on sys.path, so a student's own grader.py there
                # cannot stand in for this package.
                [sys.executable, "-P", "-m", _HARNESS, str(write_fd)],
                stdin=stdin,
                stdout=output,
                stderr=subprocess.STDOUT,
                pass_fds=(write_fd,),
                env=env,
            )
            os.close(write_fd)
            total = 0
            with os.fdopen(read_fd, "rb", buffering=0) as results:
                while True:
                    remaining = deadline - time.perf_counter()
                    if remaining <= 0:
                        status = RunStatus.wall_limit
                        break
                    ready, _, _ = select.select([results], [], [], remaining)
                    if not ready:
                        continue
                    chunk = results.read(1 << 16)
                    if not chunk:
                        break
                    total += len(chunk)
                    if total > cap:
                        status = RunStatus.output_limit
                        break
                    chunks.append(chunk)
            if status is not RunStatus.exited:
                proc.kill()
            try:
                code = proc.wait(timeout=max(0.05, deadline - time.perf_counter()))
            except subprocess.TimeoutExpired:
                proc.kill()
                code = proc.wait()
                status = RunStatus.wall_limit
            output.seek(0)
            captured = output.read(limits.output_limit_kib * 1024)
        report = RunReport(
            status=status,
            result=b"".join(chunks),
            output=captured,
            exit_code=code if code >= 0 else None,
            signal=-code if code < 0 else None,
            wall_s=time.perf_counter() - started,
        )
        if status is RunStatus.exited and report.signal is not None:
            report.status = RunStatus.signaled
        return report
