"""The confined runner: pure mechanism, knows nothing about RNNs or exercises.

    with Sandbox(entry="grader.harness:main", preload=("numpy", "grader.harness")) as sb:
        report = sb.run(payload, limits)   # grader.runner.RunReport
        sb.layers()                        # which confinement layers are active on this machine

Modules: runner (Sandbox, parent side), zygote (the forking process and its children), landlock,
seccomp, limits (rlimits), outcome (exit classification), protocol (control messages), _sys (ctypes).

Where this departs from the project's first design, and why (docs/sandbox.md says the same for readers):
- One network + IPC namespace per zygote, not per child: children cannot create sockets anyway
  (seccomp), and a namespace per run costs time at creation and teardown.
- The private directory is a 64 MiB / 1024-inode tmpfs mounted in the zygote's own mount namespace:
  with only RLIMIT_FSIZE per file, one run could write gigabytes of small files within its CPU limit.
- stdout/stderr go to a memfd the Sandbox created and reads through its own descriptor, capped by
  RLIMIT_FSIZE (SIGXFSZ): a file in the private directory could be swapped for a symlink.
- The child is uid 0 on this machine (no readable interpreter for other uids), so it also drops every
  capability: DAC then protects other users' files, and Landlock is what protects root's.
- Landlock is detected through its ABI-version syscall, not /sys/kernel/security/lsm (not mounted here).
- RLIMIT_CPU counts whole seconds: a 1.5 s limit becomes SIGXCPU at 2 s of CPU.
- Each run's child is forked before the run (a spare): it confines itself with every layer that does
  not depend on the job, runs the entry module's trusted `warm_up`, and waits; the job brings its
  descriptors and limits, then the child sets its rlimits and loads seccomp, and only then runs the
  entry. Fork, confinement and the first-use costs leave the grading path. RLIMIT_CPU counts the
  spare's few milliseconds of CPU too (reported apart as `setup_cpu_s`).

`Sandbox` is imported lazily: the zygote imports this package too and must stay lean (no
grader.runner/grader.exercise in the process every child is copied from).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from grader.sandbox.runner import Sandbox, SandboxError

__all__ = ["Sandbox", "SandboxError"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from grader.sandbox import runner

        return getattr(runner, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
