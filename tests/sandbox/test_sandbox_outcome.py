"""How the sandbox classifies a child's ending (pure rules; the real processes are in test_sandbox.py)."""

from __future__ import annotations

import resource
import signal

import pytest

from grader.runner import RunStatus
from grader.sandbox.limits import MIB, RunLimits, rlimits
from grader.sandbox.outcome import Facts, classify

LIMITS = RunLimits(cpu_time_limit_s=1.5, wall_time_limit_s=5, memory_limit_mib=100, output_limit_kib=64,
                   result_limit_mib=1)


def _exited(code: int) -> int:
    return code << 8


def _facts(wait_status: int, cpu_s: float = 0.1, maxrss_kib: int = 10_000, killed: str | None = None,
           setup_error: str | None = None) -> Facts:
    return Facts(wait_status, cpu_s, maxrss_kib, killed, setup_error)


@pytest.mark.parametrize(("facts", "status"), [
    (_facts(_exited(0)), RunStatus.exited),
    (_facts(_exited(3)), RunStatus.exited),
    (_facts(signal.SIGXCPU), RunStatus.cpu_limit),
    (_facts(signal.SIGKILL, cpu_s=2.9), RunStatus.cpu_limit),  # hard RLIMIT_CPU after an ignored SIGXCPU
    (_facts(_exited(0), cpu_s=2.0), RunStatus.cpu_limit),  # caught SIGXCPU and finished anyway
    (_facts(signal.SIGKILL, cpu_s=2.1, killed="wall"), RunStatus.cpu_limit),
    (_facts(signal.SIGKILL, cpu_s=0.0, killed="wall"), RunStatus.wall_limit),
    (_facts(signal.SIGXFSZ), RunStatus.output_limit),
    (_facts(signal.SIGKILL, killed="result_cap"), RunStatus.output_limit),
    (_facts(_exited(0), killed="result_cap"), RunStatus.output_limit),
    (_facts(signal.SIGKILL, maxrss_kib=95 * 1024), RunStatus.memory_limit),  # OOM killer near the limit
    (_facts(signal.SIGSEGV, maxrss_kib=99 * 1024), RunStatus.memory_limit),
    (_facts(signal.SIGSEGV), RunStatus.signaled),
    (_facts(signal.SIGKILL), RunStatus.signaled),
    (_facts(_exited(125), setup_error="OSError: landlock"), RunStatus.internal_error),
    (_facts(0x137F), RunStatus.internal_error),  # stopped: not an ending we know
])
def test_classify(facts: Facts, status: RunStatus) -> None:
    assert classify(facts, LIMITS).status is status


def test_signal_and_exit_code_are_reported() -> None:
    ending = classify(_facts(signal.SIGSEGV), LIMITS)
    assert (ending.signal, ending.exit_code, ending.detail) == (signal.SIGSEGV, None, "SIGSEGV")
    assert classify(_facts(_exited(7)), LIMITS).exit_code == 7


def test_rlimits_leave_room_above_the_zygote() -> None:
    table = dict(rlimits(LIMITS, zygote_vm_bytes=120 * MIB, payload_bytes=MIB))
    assert table[resource.RLIMIT_AS] >= (120 + 100) * MIB
    assert table[resource.RLIMIT_FSIZE] == 64 * 1024
    assert table[resource.RLIMIT_CORE] == 0 and table[resource.RLIMIT_NPROC] == 0
    assert LIMITS.cpu_soft_s == 2  # whole seconds, rounded up


@pytest.mark.parametrize(("cpu_s", "setup_cpu_s", "status"), [
    (1.99, 0.02, RunStatus.cpu_limit),  # RLIMIT_CPU counted the spare's warm-up too: it did fire
    (1.90, 0.02, RunStatus.exited),
    (2.00, 0.0, RunStatus.cpu_limit),
])
def test_the_spares_cpu_counts_toward_the_rlimit(cpu_s: float, setup_cpu_s: float, status: RunStatus) -> None:
    facts = Facts(_exited(0), cpu_s, 10_000, None, None, setup_cpu_s=setup_cpu_s)
    assert facts.total_cpu_s == pytest.approx(cpu_s + setup_cpu_s)
    assert classify(facts, LIMITS).status is status
