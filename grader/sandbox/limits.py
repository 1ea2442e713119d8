"""Per-run limits as they cross to the zygote (plain numbers) and the rlimits they become in the child."""

from __future__ import annotations

import math
import resource
from dataclasses import asdict, dataclass
from typing import Any

MIB = 1024 * 1024
# Room on top of the zygote's own address space (NumPy alone maps 100+ MiB) for the interpreter's
# working set and for decoding the payload, so that memory_limit_mib is what the student can allocate.
AS_SLACK_BYTES = 64 * MIB
NOFILE = 64


@dataclass(frozen=True)
class RunLimits:
    cpu_time_limit_s: float
    wall_time_limit_s: float
    memory_limit_mib: int
    output_limit_kib: int
    result_limit_mib: int

    @classmethod
    def of(cls, limits: Any) -> RunLimits:
        """From grader.exercise.Limits (or anything with the same fields)."""
        return cls(**{f: getattr(limits, f) for f in cls.__dataclass_fields__})

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def cpu_soft_s(self) -> int:
        """RLIMIT_CPU counts whole seconds: SIGXCPU at the soft limit, SIGKILL one second later."""
        return max(1, math.ceil(self.cpu_time_limit_s))

    @property
    def output_bytes(self) -> int:
        return self.output_limit_kib * 1024

    @property
    def result_bytes(self) -> int:
        return self.result_limit_mib * MIB


def rlimits(limits: RunLimits, zygote_vm_bytes: int, payload_bytes: int) -> list[tuple[int, int]]:
    """(resource, value) pairs, soft == hard except CPU. Lowering needs no privilege; raising them back
    needs CAP_SYS_RESOURCE (dropped) and prlimit64/setrlimit (denied by seccomp)."""
    address_space = zygote_vm_bytes + AS_SLACK_BYTES + 3 * payload_bytes + limits.memory_limit_mib * MIB
    return [
        (resource.RLIMIT_CORE, 0),
        (resource.RLIMIT_FSIZE, limits.output_bytes),  # stdout/stderr file: SIGXFSZ past the cap
        (resource.RLIMIT_NOFILE, NOFILE),
        (resource.RLIMIT_NPROC, 0),  # binds non-root uids only; seccomp stops fork/clone for everyone
        (resource.RLIMIT_MEMLOCK, 0),
        (resource.RLIMIT_MSGQUEUE, 0),
        (resource.RLIMIT_AS, address_space),
    ]


def apply(limits: RunLimits, zygote_vm_bytes: int, payload_bytes: int) -> None:
    for res, value in rlimits(limits, zygote_vm_bytes, payload_bytes):
        resource.setrlimit(res, (value, value))
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_soft_s, limits.cpu_soft_s + 1))
