"""How a run ended, from the raw facts the zygote reports (wait status, rusage, who killed the child).

Pure: no processes here, so each rule is easy to read and to test. Anything the rules do not explain is
`internal_error`: an unknown ending is never blamed on the student.
"""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass

from grader.runner import RunStatus
from grader.sandbox.limits import MIB, RunLimits

# A signal death with peak RSS this close to the memory limit is the memory limit (the OOM killer, or
# C code that crashed when an allocation failed under RLIMIT_AS).
MEMORY_NEAR = 0.9


@dataclass(frozen=True)
class Facts:
    wait_status: int
    cpu_s: float
    maxrss_kib: int
    killed: str | None  # "wall" (zygote deadline), "result_cap" (Sandbox), None
    setup_error: str | None  # the child failed before student code ran
    # CPU the child spent before its job (fork, confinement, warm-up); `cpu_s` is the run's alone.
    # RLIMIT_CPU counts both, so the rules below compare their sum with it.
    setup_cpu_s: float = 0.0

    @property
    def total_cpu_s(self) -> float:
        return self.cpu_s + self.setup_cpu_s


@dataclass(frozen=True)
class Ending:
    status: RunStatus
    exit_code: int | None = None
    signal: int | None = None
    detail: str = ""


def classify(facts: Facts, limits: RunLimits) -> Ending:
    if facts.setup_error is not None:
        return Ending(RunStatus.internal_error, detail=f"child set-up failed: {facts.setup_error}")
    if os.WIFEXITED(facts.wait_status):
        code = os.WEXITSTATUS(facts.wait_status)
        if facts.killed == "result_cap":
            return Ending(RunStatus.output_limit, exit_code=code, detail="result over its cap")
        if facts.total_cpu_s >= limits.cpu_soft_s:  # it caught or ignored SIGXCPU and finished anyway
            return Ending(RunStatus.cpu_limit, exit_code=code, detail="CPU time over the limit")
        return Ending(RunStatus.exited, exit_code=code)
    if not os.WIFSIGNALED(facts.wait_status):
        return Ending(RunStatus.internal_error, detail=f"unexpected wait status {facts.wait_status:#x}")
    sig = os.WTERMSIG(facts.wait_status)
    if facts.killed == "result_cap":
        return Ending(RunStatus.output_limit, signal=sig, detail="result over its cap")
    if sig == signal.SIGXCPU or facts.total_cpu_s >= limits.cpu_soft_s:
        return Ending(RunStatus.cpu_limit, signal=sig, detail="CPU time limit")
    if facts.killed == "wall":
        return Ending(RunStatus.wall_limit, signal=sig, detail="wall-clock limit")
    if sig == signal.SIGXFSZ:
        return Ending(RunStatus.output_limit, signal=sig, detail="stdout/stderr over their cap")
    if facts.maxrss_kib * 1024 >= MEMORY_NEAR * limits.memory_limit_mib * MIB:
        return Ending(RunStatus.memory_limit, signal=sig, detail="killed near the memory limit")
    return Ending(RunStatus.signaled, signal=sig, detail=_signal_name(sig))


def _signal_name(sig: int) -> str:
    try:
        return signal.Signals(sig).name
    except ValueError:
        return f"signal {sig}"
