"""The zygote: a clean, long-lived process that has imported NumPy and the entry once and forks one
confined child per run.

Started by `Sandbox` as `python -I -B -c 'from grader.sandbox.zygote import main; main()' CONFIG` with an
environment built from an allow-list (never the server's), so no secret is ever in its memory, which
every child inherits. It never reads a payload or a result: those travel in descriptors it only hands on.

Children are forked IN ADVANCE: after each run (and at start) the zygote forks the next child, a spare,
which enters its own session and confines itself with every layer but the run's rlimits (no capabilities,
no_new_privs, Landlock, the seccomp deny-list, an empty environment, the private directory, base
rlimits), warms up by running the entry module's trusted `warm_up(out_fd)` (the copy-on-write faults and
first-use costs of NumPy and the harness then happen off the grading path), and blocks on its own job
socket. A run hands it the payload/result/output descriptors and the limits (SCM_RIGHTS); only then does
it set the run's rlimits (lowering only) and load the small seccomp filter that denies changing them, and
only then does the entry run the student's code: nothing untrusted ever runs before every layer is in
place. The spare is forked from the zygote, which never sees a payload, so it holds nothing of any
previous run. The wall-clock deadline starts at the hand-over; the CPU a child spent before it (fork,
confinement, warm-up) is reported apart, and RLIMIT_CPU, which counts the whole process, is compared with
the total.

What a child runs between its fork and the student's code (the order of the layers, the descriptor layout)
is in `grader.sandbox.child`, the audit surface: this module only forks, hands over, watches and reaps.

Per run the zygote watches the child with a pidfd against the deadline, kills the child's process group
when needed, reaps it (it is the parent, so pids cannot be reused under it), empties the private directory
in place, reports the raw exit facts (`Sandbox` classifies them) and forks the next spare.
"""

from __future__ import annotations

import gc
import importlib
import json
import math
import os
import resource
import select
import shutil
import signal
import socket
import stat
import sys
import sysconfig
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from grader.sandbox import _sys, landlock, limits, protocol
from grader.sandbox import seccomp as seccomp_filter
from grader.sandbox.child import ChildSetup, run_child

# Spares that die before getting a job, in a row, before the zygote stops forking them in advance.
_MAX_IDLE_DEATHS = 2
# Enough for scratch files; bounds what a run can write (each file is also capped by RLIMIT_FSIZE).
_PRIVATE_TMPFS = "size=64m,nr_inodes=1024,mode=0700"
_SYSTEM_READ_ONLY = ("/usr/lib", "/lib", "/usr/lib64", "/lib64", "/etc/ld.so.cache")


@dataclass
class Config:
    entry: str
    preload: list[str]
    sys_path: list[str]
    private_dir: str
    readable: list[str]
    ctrl_fd: int
    prefork: bool = True
    # "module:function" run in each spare before its job, "auto" (the entry module's `warm_up`, if any)
    # or None.
    warm_up: str | None = "auto"


@dataclass
class _Child:
    """A forked child: a spare waiting for its job, or the one running the current job."""

    pid: int
    pidfd: int
    job: socket.socket  # the zygote's end of the child's job socket
    status_r: int

    def exited(self) -> bool:
        return bool(select.select([self.pidfd], [], [], 0)[0])

    def close(self) -> None:
        self.job.close()
        os.close(self.pidfd)
        os.close(self.status_r)


class Zygote:
    def __init__(self, config: Config, entry: Callable[[bytearray, int], object],
                 warm_up: Callable[[int], object] | None = None) -> None:
        self.config = config
        self.entry = entry
        self.warm_up = warm_up
        self.prefork = config.prefork
        self.pid = os.getpid()
        self.ctrl = socket.socket(fileno=config.ctrl_fd)
        self.devnull = os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)
        self.sink = os.open(os.devnull, os.O_WRONLY | os.O_CLOEXEC)  # stdout and results of a warm-up
        self.layers: dict[str, bool] = {}
        self.reasons: dict[str, str] = {}
        self.ruleset: landlock.Ruleset | None = None
        self.seccomp: seccomp_filter.Filters | None = None
        self.spare: _Child | None = None
        self.idle_deaths = 0
        # Handlers Python installed here (SIGINT, SIGPIPE/SIGXFSZ ignored...): back to default in children.
        self.reset_signals = [
            s for s in signal.valid_signals()
            if s not in (signal.SIGKILL, signal.SIGSTOP) and signal.getsignal(s) not in (signal.SIG_DFL, None)
        ]

    # ------------------------------------------------------------------ set-up, once per zygote
    def setup_layers(self) -> None:
        self._layer("rlimits", True)
        self._layer("closed_fds", True)
        self._layer("scrubbed_env", not any(k.startswith("RNN_GRADER") for k in os.environ))
        self._layer("private_dir", os.path.isdir(self.config.private_dir))
        self._layer("no_new_privs", True)
        self._layer("dropped_caps", True)
        threads = len(os.listdir("/proc/self/task"))
        single = os.environ.get("OPENBLAS_NUM_THREADS") == "1" and threads == 1
        self._layer("single_thread_blas", single, f"{threads} threads in the zygote after imports")
        self._setup_namespaces()  # before Landlock: its rule must hold the tmpfs root, not the dir under it
        try:
            self.ruleset = landlock.create_ruleset(self._read_only_paths(), [self.config.private_dir])
            self._layer("landlock", True)
            self._layer("landlock_net", self.ruleset.net, f"Landlock ABI {self.ruleset.abi} < 4")
            self._layer("landlock_scope", self.ruleset.scoped, f"Landlock ABI {self.ruleset.abi} < 6")
        except OSError as exc:
            for name in ("landlock", "landlock_net", "landlock_scope"):
                self._layer(name, False, f"Landlock unavailable: {exc}")
        try:
            self.seccomp = seccomp_filter.build()
            self._layer("seccomp", True)
        except Exception as exc:  # libseccomp missing or too old: report, the other layers still hold
            self._layer("seccomp", False, f"cannot build the seccomp filter: {exc!r}")
        self._layer("uid_switch", False, _uid_switch_reason())

    def _layer(self, name: str, active: bool, reason: str = "") -> None:
        self.layers[name] = active
        if not active:
            self.reasons[name] = reason

    def _setup_namespaces(self) -> None:
        """Network, IPC and mount namespaces for the zygote, inherited by every child: a network with
        only a loopback that is down (children cannot create sockets anyway), and a small tmpfs over the
        private directory so no run can fill the disk or leave more than a bounded number of files."""
        flags = _sys.CLONE_NEWNET | _sys.CLONE_NEWIPC | _sys.CLONE_NEWNS
        try:
            if os.geteuid() == 0:
                _sys.unshare(flags)
            else:
                uid, gid = os.geteuid(), os.getegid()
                _sys.unshare(_sys.CLONE_NEWUSER | flags)
                for name, text in (("uid_map", f"{uid} {uid} 1"), ("setgroups", "deny"),
                                   ("gid_map", f"{gid} {gid} 1")):
                    with open(f"/proc/self/{name}", "w") as f:
                        f.write(text)
            self._layer("netns", True)
        except OSError as exc:
            self._layer("netns", False, f"cannot create a network namespace: {exc}")
            self._layer("private_tmpfs", False, f"no mount namespace: {exc}")
            return
        try:
            _sys.mount(None, "/", None, _sys.MS_REC | _sys.MS_PRIVATE)  # nothing propagates to the host
            _sys.mount("rnn-grader-sandbox", self.config.private_dir, "tmpfs",
                       _sys.MS_NOSUID | _sys.MS_NODEV | _sys.MS_NOEXEC, _PRIVATE_TMPFS)
            self._layer("private_tmpfs", True)
        except OSError as exc:
            self._layer("private_tmpfs", False, f"cannot mount a tmpfs on the private directory: {exc}")

    def _read_only_paths(self) -> list[str]:
        """The standard library without its site-packages, the installed packages the preloaded modules
        come from (not the repository: what the child needs of it is already imported), system libraries."""
        paths: list[str] = []
        stdlib = sysconfig.get_paths()["stdlib"]
        with os.scandir(stdlib) as entries:
            paths += [e.path for e in entries if e.name not in ("site-packages", "dist-packages")]
        for name in [*self.config.preload, self.config.entry.partition(":")[0]]:
            top = sys.modules.get(name.partition(".")[0])
            location = getattr(top, "__file__", None)
            if not location:
                continue
            package_dir = os.path.dirname(os.path.realpath(location))
            if os.path.basename(os.path.dirname(package_dir)) in ("site-packages", "dist-packages"):
                paths += [package_dir, package_dir + ".libs"]
        return [*paths, *_SYSTEM_READ_ONLY, *self.config.readable]

    # ------------------------------------------------------------------ serving runs
    def serve(self) -> None:
        _empty_dir(self.config.private_dir)  # a previous zygote may have died mid-run
        self._fork_spare()
        protocol.send(self.ctrl, {"op": "ready", "pid": os.getpid(), "layers": self.layers,
                                  "reasons": self.reasons})
        try:
            self._serve()
        finally:
            self._drop_spare()

    def _serve(self) -> None:
        while True:
            watched = [self.ctrl.fileno()] + ([self.spare.pidfd] if self.spare else [])
            ready = select.select(watched, [], [])[0]
            if self.spare is not None and self.spare.pidfd in ready:
                self._spare_died()
            if self.ctrl.fileno() not in ready:
                continue
            received = protocol.recv(self.ctrl)
            if received is None:
                return  # the Sandbox closed or its process died
            message, fds = received
            if message.get("op") == "run" and len(fds) == 3:
                self._run(int(message["run"]), limits.RunLimits(**message["limits"]), fds)
                continue
            for fd in fds:  # a kill for a run that already ended, or junk: nothing to do
                os.close(fd)
            if message.get("op") == "status":
                protocol.send(self.ctrl, {"op": "status", "spare": self.spare.pid if self.spare else None,
                                          "prefork": self.prefork})

    def _run(self, run_id: int, run_limits: limits.RunLimits, fds: list[int]) -> None:
        try:
            killed, wait_status, usage, status = self._hand_over(run_id, run_limits, fds)
        finally:
            for fd in fds:  # only now: the Sandbox's end of the result pipe gets its EOF
                os.close(fd)
        setup_error = None
        cpu_before, flt_before = 0.0, 0
        if status.startswith(b"ok "):  # written by the child's trusted code, before the entry ran
            cpu_text, flt_text, *warm_up_error = status[3:].split(maxsplit=2)
            cpu_before, flt_before = float(cpu_text), int(flt_text)
            if warm_up_error and self.warm_up is not None:
                self.warm_up = None
                _notice(self.ctrl, f"{warm_up_error[0].decode('utf-8', 'replace')}; spares are no longer warmed up")
        else:
            setup_error = status.decode("utf-8", "replace") or "no report"
        cpu_total = usage.ru_utime + usage.ru_stime
        protocol.send(self.ctrl, {
            "op": "done", "run": run_id, "wait_status": wait_status,
            "cpu_s": max(0.0, cpu_total - cpu_before), "setup_cpu_s": cpu_before,
            "minflt": max(0, usage.ru_minflt - flt_before), "maxrss_kib": usage.ru_maxrss, "killed": killed,
            "setup_error": setup_error,
        })
        # After the report (the next run waits for this: messages are handled in order), before the
        # next spare, which works in it.
        _empty_dir(self.config.private_dir)
        self._fork_spare()

    def _hand_over(self, run_id: int, run_limits: limits.RunLimits,
                   fds: list[int]) -> tuple[str | None, int, resource.struct_rusage, bytes]:
        """Give the job to the spare and watch it to its end. A child that dies before it reports
        anything (the spare was killed just before the hand-over, or its warm-up crashed) ran no student
        code, which comes only after its "ok": then a fresh child gets the same job, once."""
        job = {"op": "job", "limits": run_limits.to_json()}
        child, spare = self._take_spare()
        for attempt in range(2):
            try:
                protocol.send(child.job, job, fds)
            except OSError:  # it is already gone (EPIPE)
                pass
            started = time.monotonic()
            try:
                protocol.send(self.ctrl, {"op": "started", "run": run_id, "pid": child.pid}, [child.pidfd])
                killed = self._watch(run_id, child.pid, child.pidfd, started + run_limits.wall_time_limit_s)
            except (OSError, protocol.ProtocolError):
                self._reap(child)
                raise
            wait_status, usage, status = self._reap(child)
            if spare and not attempt and status.startswith(b"ok "):
                self.idle_deaths = 0  # spares work (a fresh child that worked says nothing about them)
            if status or killed or attempt:
                return killed, wait_status, usage, status
            self._count_idle_death(f"child {child.pid} ended before taking its job (wait status "
                                   f"{wait_status:#x}); the run goes to a fresh child")
            child = self._fork(warm=False)
        raise AssertionError("unreachable")

    # ------------------------------------------------------------------ spares
    def _fork_spare(self) -> None:
        if self.prefork and self.spare is None:
            self.spare = self._fork(warm=self.warm_up is not None)

    def _take_spare(self) -> tuple[_Child, bool]:
        """The waiting spare if it is still alive, else a child forked now (not warmed: it would only
        move the same work in front of the run); and whether it is the spare."""
        spare, self.spare = self.spare, None
        if spare is not None and not spare.exited():
            return spare, True
        if spare is not None:
            self._spare_lost(spare)
        return self._fork(warm=False), False

    def _spare_died(self) -> None:
        spare, self.spare = self.spare, None
        assert spare is not None
        self._spare_lost(spare)
        self._fork_spare()

    def _spare_lost(self, spare: _Child) -> None:
        """A spare ended before its job (killed from outside, or its set-up failed): reap it, say so, and
        stop forking spares in advance if they keep dying."""
        wait_status, _, status = self._reap(spare)
        self._count_idle_death(f"spare child {spare.pid} ended before its job (wait status {wait_status:#x}): "
                               f"{status.decode('utf-8', 'replace') or 'no report'}")

    def _count_idle_death(self, message: str) -> None:
        self.idle_deaths += 1
        if self.idle_deaths >= _MAX_IDLE_DEATHS and self.prefork:
            self.prefork = False
            message += "; children are now forked per run"
        _notice(self.ctrl, message)

    def _drop_spare(self) -> None:
        spare, self.spare = self.spare, None
        if spare is not None:
            self._reap(spare)

    def _fork(self, warm: bool) -> _Child:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        status_r, status_w = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        setup = ChildSetup(self.pid, self.config.private_dir, self.reset_signals, self.devnull, self.sink,
                                 self.ruleset, self.seccomp, self.entry, self.warm_up)
        pid = os.fork()
        if pid == 0:
            run_child(setup, theirs.fileno(), status_w, warm)
        theirs.close()
        os.close(status_w)
        return _Child(pid=pid, pidfd=os.pidfd_open(pid), job=ours, status_r=status_r)

    def _reap(self, child: _Child) -> tuple[int, resource.struct_rusage, bytes]:
        """Kill the child's process group (anything left in it goes before the pid is released), reap
        it, and read what it reported on its status pipe."""
        _kill(child.pid, child.pidfd)
        _, wait_status, usage = os.wait4(child.pid, 0)
        status = _read_status(child.status_r)
        child.close()
        return wait_status, usage, status

    def _watch(self, run_id: int, pid: int, pidfd: int, deadline: float) -> str | None:
        """Wait for the child to end; kill it at the deadline or when the Sandbox asks. Returns why we
        killed it, if we did."""
        poller = select.poll()
        poller.register(pidfd, select.POLLIN)
        poller.register(self.ctrl, select.POLLIN)
        killed: str | None = None
        while True:
            timeout = None if killed else max(0, math.ceil((deadline - time.monotonic()) * 1000))
            events = poller.poll(timeout)
            if not events:
                _kill(pid, pidfd)
                killed = "wall"
                continue
            for fd, _ in events:
                if fd == pidfd:
                    return killed
                received = protocol.recv(self.ctrl)
                if received is None:
                    raise OSError("control socket closed during a run")
                message, extra = received
                for f in extra:
                    os.close(f)
                if message.get("op") == "kill" and message.get("run") == run_id and not killed:
                    _kill(pid, pidfd)
                    killed = str(message.get("reason", "requested"))

def _notice(sock: socket.socket, message: str) -> None:
    """Something the Sandbox should log (never part of a run's outcome)."""
    try:
        protocol.send(sock, {"op": "notice", "message": message[:4000]})
    except OSError:
        pass


def _kill(pid: int, pidfd: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)  # pgid == pid after the child's setsid
    except (ProcessLookupError, PermissionError):
        pass
    try:
        signal.pidfd_send_signal(pidfd, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _read_status(fd: int) -> bytes:
    os.set_blocking(fd, False)
    try:
        return os.read(fd, 4096)
    except BlockingIOError:
        return b""


def _empty_dir(path: str) -> None:
    """Empty in place: Landlock rules hold the directory's inode, so it is never recreated."""
    os.chmod(path, 0o700)
    with os.scandir(path) as it:
        entries = list(it)
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path, onerror=_force_remove)
        else:
            os.unlink(entry.path)


def _force_remove(func: Callable[..., Any], path: str, _exc: object) -> None:
    """A non-root child may have made a directory unreadable: give ourselves the rights back."""
    os.chmod(os.path.dirname(path), 0o700)
    if os.path.isdir(path) and not os.path.islink(path):
        os.chmod(path, 0o700)
    func(path)


def _uid_switch_reason() -> str:
    if os.geteuid() != 0:
        return "not running as root: no uid to switch to"
    exe = os.path.realpath(sys.executable)
    path = exe
    while True:
        mode = os.stat(path).st_mode
        needed = stat.S_IXOTH if stat.S_ISDIR(mode) else stat.S_IROTH
        if not mode & needed:
            return f"the interpreter {exe} is not readable by other uids ({path} has mode {oct(mode & 0o777)})"
        parent = os.path.dirname(path)
        if parent == path:
            return "no per-slot uids are configured"
        path = parent


def _load_entry(spec: str) -> Callable[[bytearray, int], object]:
    module_name, _, function = spec.partition(":")
    module = importlib.import_module(module_name)
    entry = getattr(module, function)
    if not callable(entry):
        raise TypeError(f"{spec} is not callable")
    return entry  # type: ignore[no-any-return]


def _load_warm_up(spec: str | None, entry: str) -> Callable[[int], object] | None:
    """`warm_up(out_fd)`: "module:function", "auto" (the entry module's `warm_up`, if it has one) or None."""
    if spec is None:
        return None
    module_name, _, function_name = (entry.partition(":")[0], "", "warm_up") if spec == "auto" else spec.partition(":")
    function = getattr(importlib.import_module(module_name), function_name, None)
    if function is None and spec == "auto":
        return None
    if not callable(function):
        raise TypeError(f"{spec} is not callable")
    return function  # type: ignore[no-any-return]


def main() -> None:
    config = Config(**json.loads(sys.argv[1]))
    sys.path[:] = config.sys_path
    ctrl_fd = config.ctrl_fd
    try:
        # pyseccomp's import runs tools (ldconfig) through subprocess: only ever here, never in a child.
        importlib.import_module("pyseccomp")
        for name in config.preload:
            importlib.import_module(name)
        entry = _load_entry(config.entry)
        warm_up = _load_warm_up(config.warm_up, config.entry)
        zygote = Zygote(config, entry, warm_up)
        zygote.setup_layers()
    except BaseException as exc:
        sock = socket.socket(fileno=ctrl_fd)
        protocol.send(sock, {"op": "error", "message": "".join(traceback.format_exception_only(exc))[:4000]})
        raise SystemExit(2) from exc
    # Everything imported so far is shared with every child: keep the collector off those pages.
    gc.collect()
    gc.freeze()
    zygote.serve()
