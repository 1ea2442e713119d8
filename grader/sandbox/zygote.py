"""The zygote: a clean, long-lived process that has imported NumPy and the entry once and forks one
confined child per run.

Started by `Sandbox` as `python -I -B -c 'from grader.sandbox.zygote import main; main()' CONFIG` with an
environment built from an allow-list (never the server's), so no secret is ever in its memory, which
every child inherits. It never reads a payload or a result: those travel in descriptors it only hands on.
Per run it forks, watches the child with a pidfd against the wall-clock deadline, kills the child's
process group when needed, reaps it (it is the parent, so pids cannot be reused under it), empties the
private directory in place and reports the raw exit facts. `Sandbox` classifies them.
"""

from __future__ import annotations

import fcntl
import gc
import importlib
import json
import math
import os
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
from typing import Any, NoReturn

from grader.sandbox import _sys, landlock, limits, protocol
from grader.sandbox import seccomp as seccomp_filter

SETUP_FAILED_EXIT = 125
# Descriptor layout inside the child.
_CHILD_FDS = ("stdin", "stdout", "stderr", "result", "payload", "status", "ruleset")
_RESULT_FD, _PAYLOAD_FD, _STATUS_FD, _RULESET_FD = 3, 4, 5, 6
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


class Zygote:
    def __init__(self, config: Config, entry: Callable[[bytes, int], object]) -> None:
        self.config = config
        self.entry = entry
        self.pid = os.getpid()
        self.ctrl = socket.socket(fileno=config.ctrl_fd)
        self.devnull = os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)
        self.layers: dict[str, bool] = {}
        self.reasons: dict[str, str] = {}
        self.ruleset: landlock.Ruleset | None = None
        self.seccomp: seccomp_filter.PidFilter | None = None
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
        protocol.send(self.ctrl, {"op": "ready", "pid": os.getpid(), "layers": self.layers,
                                  "reasons": self.reasons})
        while True:
            received = protocol.recv(self.ctrl)
            if received is None:
                return  # the Sandbox closed or its process died
            message, fds = received
            if message.get("op") == "run" and len(fds) == 3:
                self._run(int(message["run"]), limits.RunLimits(**message["limits"]), fds)
            else:  # a kill for a run that already ended, or junk: nothing to do
                for fd in fds:
                    os.close(fd)

    def _run(self, run_id: int, run_limits: limits.RunLimits, fds: list[int]) -> None:
        payload_fd, result_fd, output_fd = fds
        payload_bytes = os.fstat(payload_fd).st_size
        vm_bytes = _vm_bytes()
        status_r, status_w = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            self._child([self.devnull, output_fd, output_fd, result_fd, payload_fd, status_w,
                         self.ruleset.fd if self.ruleset else self.devnull],
                        run_limits, vm_bytes, payload_bytes)
        started = time.monotonic()
        for fd in (*fds, status_w):
            os.close(fd)
        pidfd = os.pidfd_open(pid)
        try:
            protocol.send(self.ctrl, {"op": "started", "run": run_id, "pid": pid}, [pidfd])
            killed = self._watch(run_id, pid, pidfd, started + run_limits.wall_time_limit_s)
        except (OSError, protocol.ProtocolError):
            _kill(pid, pidfd)
            os.wait4(pid, 0)
            raise
        _kill(pid, pidfd)  # anything left in the child's group goes before the pid is released
        _, wait_status, usage = os.wait4(pid, 0)
        os.close(pidfd)
        setup = _read_status(status_r)
        _empty_dir(self.config.private_dir)
        protocol.send(self.ctrl, {
            "op": "done", "run": run_id, "wait_status": wait_status,
            "cpu_s": usage.ru_utime + usage.ru_stime, "maxrss_kib": usage.ru_maxrss, "killed": killed,
            "setup_error": None if setup == b"ok" else setup.decode("utf-8", "replace") or "no report",
        })

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

    # ------------------------------------------------------------------ the child
    def _child(self, fds: list[int], run_limits: limits.RunLimits, vm_bytes: int,
               payload_bytes: int) -> NoReturn:
        code = SETUP_FAILED_EXIT
        status_fd = fds[5]
        try:
            try:
                self._enter_session()
                _arrange_fds(fds)
                status_fd = _STATUS_FD
                self._confine(run_limits, vm_bytes, payload_bytes)
            except BaseException as exc:  # report and fail closed: no student code runs
                os.write(status_fd, f"{type(exc).__name__}: {exc}".encode()[:2000])
            else:
                os.write(_STATUS_FD, b"ok")
                os.close(_STATUS_FD)
                code = self._call_entry(payload_bytes)
        finally:
            os._exit(code)

    def _enter_session(self) -> None:
        for sig in self.reset_signals:
            signal.signal(sig, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, ())
        os.setsid()  # its own session and process group, which the zygote kills as a whole
        _sys.prctl(_sys.PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != self.pid:
            raise RuntimeError("the zygote went away")

    def _confine(self, run_limits: limits.RunLimits, vm_bytes: int, payload_bytes: int) -> None:
        os.chdir(self.config.private_dir)
        os.environ.clear()
        limits.apply(run_limits, vm_bytes, payload_bytes)
        _sys.drop_capabilities()
        _sys.prctl(_sys.PR_SET_NO_NEW_PRIVS, 1)
        if self.ruleset is not None:
            landlock.restrict_self(_RULESET_FD)
        os.close(_RULESET_FD)
        if self.seccomp is not None:
            _sys.load_seccomp_bpf(self.seccomp.for_pid(os.getpid()))
        for stream in (sys.stdout, sys.stderr):
            reconfigure = getattr(stream, "reconfigure", None)
            if reconfigure is not None:
                reconfigure(line_buffering=True)

    def _call_entry(self, payload_bytes: int) -> int:
        code = 0
        try:
            payload = _read_exactly(_PAYLOAD_FD, payload_bytes)
            os.close(_PAYLOAD_FD)
            self.entry(payload, _RESULT_FD)
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


def _arrange_fds(fds: list[int]) -> None:
    """Put what the child keeps at 0..6 (through high copies, so no dup2 clobbers a source); close
    everything else the zygote had open (its control socket, /dev/null, pipes of its own)."""
    high = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 100) for fd in fds]
    for target, fd in enumerate(high):
        os.dup2(fd, target)
    os.closerange(len(_CHILD_FDS), 1 << 20)


def _kill(pid: int, pidfd: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)  # pgid == pid after the child's setsid
    except (ProcessLookupError, PermissionError):
        pass
    try:
        signal.pidfd_send_signal(pidfd, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _vm_bytes() -> int:
    with open("/proc/self/statm", "rb") as f:
        return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _read_exactly(fd: int, size: int) -> bytes:
    chunks: list[bytes] = []
    offset = 0
    while offset < size:
        chunk = os.pread(fd, size - offset, offset)
        if not chunk:
            break
        chunks.append(chunk)
        offset += len(chunk)
    return b"".join(chunks)


def _read_status(fd: int) -> bytes:
    os.set_blocking(fd, False)
    try:
        return os.read(fd, 4096)
    except BlockingIOError:
        return b""
    finally:
        os.close(fd)


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


def _load_entry(spec: str) -> Callable[[bytes, int], object]:
    module_name, _, function = spec.partition(":")
    module = importlib.import_module(module_name)
    entry = getattr(module, function)
    if not callable(entry):
        raise TypeError(f"{spec} is not callable")
    return entry  # type: ignore[no-any-return]


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
        zygote = Zygote(config, entry)
        zygote.setup_layers()
    except BaseException as exc:
        sock = socket.socket(fileno=ctrl_fd)
        protocol.send(sock, {"op": "error", "message": "".join(traceback.format_exception_only(exc))[:4000]})
        raise SystemExit(2) from exc
    # Everything imported so far is shared with every child: keep the collector off those pages.
    gc.collect()
    gc.freeze()
    zygote.serve()
