"""What runs in a sandbox child before the student's code: the audit surface of the sandbox.

A child is forked by the zygote (`grader.sandbox.zygote`) in advance, as a spare. Everything here runs in
that child, in this order, and nothing untrusted runs before the last step:

1. `enter_session`: default signal handlers, its own session and process group (which the zygote kills as
   a whole), death with the zygote (PDEATHSIG);
2. `arrange_fds`: exactly the descriptors of `SPARE_FDS`, at their fixed numbers; everything else the
   zygote had open is closed;
3. `confine_spare`: every layer that does not depend on the job: the private directory, an empty
   environment, base rlimits, no capabilities, no_new_privs, Landlock, the seccomp deny-list;
4. `warm_up` (optional): the entry module's trusted warm-up, its output to the sink;
5. `take_job`: wait on the job socket for the run's descriptors and limits; move them to the numbers of
   `RUN_FDS`, close everything else, set the run's rlimits (lowering only) and load the seccomp filter
   that denies changing them again;
6. report "ok" (CPU and page faults so far) on the status pipe and close it; `call_entry` reads the
   payload, closes it, and only then calls the entry, which runs the student's code.
Any failure before step 6 is written to the status pipe and the child exits with SETUP_FAILED_EXIT.
"""

from __future__ import annotations

import fcntl
import gc
import os
import resource
import signal
import socket
import sys
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NoReturn

from grader.sandbox import _sys, landlock, limits, protocol
from grader.sandbox import seccomp as seccomp_filter

SETUP_FAILED_EXIT = 125

# The one definition of the descriptor layout. A spare waiting for its job holds these, at these numbers:
# stdin, stdout, stderr (/dev/null, the sink), the warm-up's result sink, its own /proc/self/statm (opened
# before Landlock, read at the job for RLIMIT_AS), the status pipe, the Landlock ruleset (closed once
# applied) and the job socket.
SPARE_FDS = ("stdin", "stdout", "stderr", "sink", "statm", "status", "ruleset", "job")
# Once it has its job: stdout and stderr are the run's output, then the result pipe and the payload. The
# status descriptor stays (at its SPARE_FDS number) until the "ok" report; the payload is closed before
# the entry runs, so the student's code finds 0..3 only.
RUN_FDS = ("stdin", "stdout", "stderr", "result", "payload")

_SPARE = {name: fd for fd, name in enumerate(SPARE_FDS)}
_RUN = {name: fd for fd, name in enumerate(RUN_FDS)}
SINK_FD, STATM_FD, STATUS_FD, RULESET_FD, JOB_FD = (_SPARE[n] for n in ("sink", "statm", "status", "ruleset", "job"))
RESULT_FD, PAYLOAD_FD = _RUN["result"], _RUN["payload"]
# The run's descriptors must not overwrite the status pipe before its report.
assert len(RUN_FDS) <= STATUS_FD

# A spare's soft CPU limit before its job (hard: unlimited, lowered at the job): a wedged warm-up ends.
SPARE_CPU_S = 10


class NoJob(Exception):
    """The zygote closed a spare's job socket: it is not needed any more."""


@dataclass
class ChildSetup:
    """What the zygote hands a child (all of it prepared once, in the zygote, before any fork)."""

    zygote_pid: int
    private_dir: str
    reset_signals: Sequence[signal.Signals]
    devnull: int
    sink: int
    ruleset: landlock.Ruleset | None
    seccomp: seccomp_filter.Filters | None
    entry: Callable[[bytearray, int], object]
    warm_up: Callable[[int], object] | None


def run_child(setup: ChildSetup, job_fd: int, status_w: int, warm: bool) -> NoReturn:
    """The body of a forked child, from the fork to its exit (the steps of the module docstring)."""
    code = SETUP_FAILED_EXIT
    status_fd = status_w
    try:
        try:
            enter_session(setup)
            statm = os.open("/proc/self/statm", os.O_RDONLY | os.O_CLOEXEC)
            arrange_fds({"stdin": setup.devnull, "stdout": setup.sink, "stderr": setup.sink, "sink": setup.sink,
                         "statm": statm, "status": status_w,
                         "ruleset": setup.ruleset.fd if setup.ruleset else setup.sink, "job": job_fd})
            status_fd = STATUS_FD
            confine_spare(setup)
            warm_up_error = warm_up(setup) if warm else ""
            payload_bytes = take_job(setup)
        except NoJob:
            code = 0
        except BaseException as exc:  # report and fail closed: no student code runs
            os.write(status_fd, f"{type(exc).__name__}: {exc}".encode()[:2000])
        else:
            usage = resource.getrusage(resource.RUSAGE_SELF)
            cpu = usage.ru_utime + usage.ru_stime
            os.write(STATUS_FD, f"ok {cpu:.6f} {usage.ru_minflt} {warm_up_error}".encode()[:2000])
            os.close(STATUS_FD)
            code = call_entry(setup, payload_bytes)
    finally:
        os._exit(code)


def enter_session(setup: ChildSetup) -> None:
    for sig in setup.reset_signals:
        signal.signal(sig, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_SETMASK, ())
    os.setsid()  # its own session and process group, which the zygote kills as a whole
    _sys.prctl(_sys.PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != setup.zygote_pid:
        raise RuntimeError("the zygote went away")


def arrange_fds(by_name: dict[str, int]) -> None:
    """Put each descriptor of SPARE_FDS at its number (through high copies, so no dup2 clobbers a source);
    close everything else the zygote had open (its control socket, /dev/null, pipes of its own)."""
    if tuple(by_name) != SPARE_FDS:
        raise ValueError(f"descriptors {tuple(by_name)} do not follow the layout {SPARE_FDS}")
    high = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 100) for fd in by_name.values()]
    for target, fd in enumerate(high):
        os.dup2(fd, target)
    os.closerange(len(SPARE_FDS), 1 << 20)


def confine_spare(setup: ChildSetup) -> None:
    """Every layer that does not depend on the job; the run's rlimits, and the seccomp filter that locks
    them, come with it."""
    os.chdir(setup.private_dir)
    os.environ.clear()
    limits.apply_base(SPARE_CPU_S)
    _sys.drop_capabilities()
    _sys.prctl(_sys.PR_SET_NO_NEW_PRIVS, 1)
    if setup.ruleset is not None:
        landlock.restrict_self(RULESET_FD)
    os.close(RULESET_FD)
    if setup.seccomp is not None:  # all of it but the rlimits lock, which waits for the run's limits
        _sys.load_seccomp_bpf(setup.seccomp.deny.for_pid(os.getpid()))


def warm_up(setup: ChildSetup) -> str:
    """Trusted code paths the run will take, so that their first-use costs are paid now. A failure only
    costs speed: it is reported with the run, which goes ahead."""
    assert setup.warm_up is not None
    try:
        setup.warm_up(SINK_FD)
    except BaseException as exc:
        return f"warm-up failed: {type(exc).__name__}: {exc}"
    finally:
        gc.collect()  # the warm-up's garbage goes now, not in a collection during the run
    return ""


def take_job(setup: ChildSetup) -> int:
    """Wait for the job; then the final layers, in the order that keeps them irreversible: descriptors,
    rlimits (lowering only), the seccomp filter that denies changing them again. Returns the payload's
    size."""
    job = socket.socket(fileno=JOB_FD)
    received = protocol.recv(job)
    job.close()
    if received is None:
        raise NoJob
    message, fds = received
    if message.get("op") != "job" or len(fds) != 3:
        raise RuntimeError(f"unexpected job message {message.get('op')!r} with {len(fds)} descriptors")
    payload_fd, result_fd, output_fd = fds
    run_limits = limits.RunLimits(**message["limits"])
    sys.stdout.flush()  # what a warm-up printed goes to /dev/null, not into the run's output
    sys.stderr.flush()
    vm_bytes = int(os.pread(STATM_FD, 256, 0).split()[0]) * os.sysconf("SC_PAGE_SIZE")
    payload_bytes = os.fstat(payload_fd).st_size
    targets = {"stdout": output_fd, "stderr": output_fd, "result": result_fd, "payload": payload_fd}
    for name, fd in targets.items():
        os.dup2(fd, _RUN[name])  # received descriptors are above the layout: no target is a source
    os.closerange(STATUS_FD + 1, 1 << 20)
    limits.apply(run_limits, vm_bytes, payload_bytes)
    if setup.seccomp is not None:
        _sys.load_seccomp_bpf(setup.seccomp.rlimits_lock)
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(line_buffering=True)
    return payload_bytes


def call_entry(setup: ChildSetup, payload_bytes: int) -> int:
    """Read the payload, close it, run the entry (the student's code runs in there). The exit code."""
    code = 0
    try:
        payload = read_exactly(PAYLOAD_FD, payload_bytes)
        os.close(PAYLOAD_FD)
        setup.entry(payload, RESULT_FD)
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            code = exc.code or 0
        else:
            print(exc.code, file=sys.stderr)
            code = 1
    except BaseException:
        code = 1
        try:
            traceback.print_exc()
        except BaseException:
            pass
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:
            pass
    return code & 0xFF


def read_exactly(fd: int, size: int) -> bytearray:
    """Straight into a writable buffer: the entry may build its (writable) inputs on it without a copy."""
    buffer = bytearray(size)
    with memoryview(buffer) as view:
        offset = 0
        while offset < size:
            count = os.preadv(fd, [view[offset:]], offset)
            if not count:
                break
            offset += count
    del buffer[offset:]
    return buffer
