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


def apply(limits: RunLimits, vm_bytes: int, payload_bytes: int) -> None:
    """The run's limits, set by the child when it gets its job, after it dropped its capabilities: a
    hard limit can only go down, so one the server already holds lower stays as it is."""
    for res, value in rlimits(limits, vm_bytes, payload_bytes):
        value = _at_most_hard(res, value)
        resource.setrlimit(res, (value, value))
    hard = _at_most_hard(resource.RLIMIT_CPU, limits.cpu_soft_s + 1)
    resource.setrlimit(resource.RLIMIT_CPU, (min(limits.cpu_soft_s, hard), hard))


def _at_most_hard(res: int, value: int) -> int:
    hard = resource.getrlimit(res)[1]
    return value if hard == resource.RLIM_INFINITY else min(value, hard)


def apply_base(cpu_soft_s: int) -> None:
    """What a spare child holds while it warms up and waits: no core files, processes, locked memory or
    message queues, and a soft CPU limit against a wedged warm-up. Every hard limit `apply` sets later is
    left at or above its value, since without CAP_SYS_RESOURCE a hard limit can only go down."""
    for res in (resource.RLIMIT_CORE, resource.RLIMIT_NPROC, resource.RLIMIT_MEMLOCK, resource.RLIMIT_MSGQUEUE):
        resource.setrlimit(res, (0, 0))
    hard = resource.getrlimit(resource.RLIMIT_CPU)[1]
    resource.setrlimit(resource.RLIMIT_CPU, (_at_most_hard(resource.RLIMIT_CPU, cpu_soft_s), hard))
