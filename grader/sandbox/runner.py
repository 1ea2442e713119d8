"""`Sandbox`: the confined runner (the `grader.runner.Runner` contract) on top of a zygote process.

Per run the Sandbox puts the payload in a memfd, makes a pipe for results and a memfd for stdout/stderr,
hands the three descriptors to the zygote (which hands them on to a child it forked, confined and warmed up
in advance), then reads results with a byte cap while the zygote enforces the wall-clock deadline. A
zygote that has died is restarted transparently; anything wrong with this machinery is `internal_error`,
logged at ERROR, never the student's fault. Not thread-safe: one Sandbox per grading thread.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import weakref
from collections.abc import Sequence
from types import TracebackType
from typing import Any

from grader.exercise import Limits
from grader.runner import ResultListener, RunReport, RunStatus
from grader.sandbox import outcome, protocol
from grader.sandbox.limits import RunLimits

log = logging.getLogger(__name__)

_BOOT = "from grader.sandbox.zygote import main; main()"
_START_TIMEOUT_S = 60.0
# How long past the wall limit the zygote has to report before we call it broken.
_REPORT_GRACE_S = 2.0
_READ_CHUNK = 1 << 20
# Set BEFORE NumPy is imported: a process forked while BLAS threads are alive can deadlock.
_THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS",
                "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")


# Without these the child could read the server's files (uid 0 here: only Landlock stops it), fork, exec
# or signal other processes: refuse to run rather than run unconfined. Pass `required=` to relax.
REQUIRED_LAYERS = ("rlimits", "no_new_privs", "seccomp", "landlock")


class SandboxError(RuntimeError):
    """The sandbox cannot start (bad entry or preload, broken installation)."""


class _LostBeforeStart(Exception):
    """The zygote was gone before the child started: safe to restart it and run again."""


def zygote_environment() -> dict[str, str]:
    """Built from scratch, never filtered from ours: nothing of the server's environment gets in."""
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
    env.update(dict.fromkeys(_THREAD_VARS, "1"))
    return env


class _Zygote:
    """One zygote process and its control socket."""

    def __init__(self, config: dict[str, Any]) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.sock = ours
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-I", "-B", "-c", _BOOT, json.dumps({**config, "ctrl_fd": theirs.fileno()})],
                env=zygote_environment(), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                pass_fds=(theirs.fileno(),), start_new_session=True, cwd="/",
            )
        finally:
            theirs.close()
        try:
            ready = self._await_ready()
        except BaseException:
            self.stop()
            raise
        self.pid = int(ready["pid"])
        self.layers: dict[str, bool] = {str(k): bool(v) for k, v in ready["layers"].items()}
        self.reasons: dict[str, str] = {str(k): str(v) for k, v in ready.get("reasons", {}).items()}

    def _await_ready(self) -> dict[str, Any]:
        if not select.select([self.sock], [], [], _START_TIMEOUT_S)[0]:
            raise SandboxError(f"the zygote was not ready within {_START_TIMEOUT_S:.0f} s")
        received = protocol.recv(self.sock)
        if received is None:
            raise SandboxError(f"the zygote exited during start-up (code {self.proc.wait()})")
        message, fds = received
        for fd in fds:
            os.close(fd)
        if message.get("op") == "error":
            raise SandboxError(f"the zygote could not start: {message.get('message')}")
        if message.get("op") != "ready":
            raise SandboxError(f"unexpected first message from the zygote: {message.get('op')}")
        return message

    def stop(self) -> None:
        """Closing the socket tells the zygote to exit (it kills a running child first)."""
        self.sock.close()
        try:
            self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class _State:
    """What must be cleaned up even if the Sandbox is dropped without close()."""

    def __init__(self, base_dir: str) -> None:
        self.base_dir = base_dir
        self.zygote: _Zygote | None = None

    def discard_zygote(self) -> None:
        zygote, self.zygote = self.zygote, None
        if zygote is not None:
            if zygote.proc.poll() is None:
                zygote.proc.kill()  # it may be wedged: do not wait for it to notice the socket
            zygote.stop()

    def close(self) -> None:
        if self.zygote is not None:
            self.zygote.stop()
            self.zygote = None
        shutil.rmtree(self.base_dir, ignore_errors=True)


class Sandbox:
    """Runs `entry(payload, out_fd)` in a confined child forked from a zygote that imported `preload`.

    `sys_path` (default: ours) is the zygote's import path; `readable` adds read-only paths for the
    child; `work_dir` is where the private directory is made (default: the system temp dir); `required`
    names the layers without which it refuses to run (SandboxError at start, internal_error per run).
    `prefork` keeps one child forked and confined in advance (a spare: off the run's critical path);
    `warm_up` ("module:function", "auto" for the entry module's `warm_up` if it has one, or None) is
    trusted code each spare runs as `warm_up(out_fd)` before it waits for its job.
    """

    def __init__(
        self,
        entry: str = "grader.harness:main",
        preload: Sequence[str] = ("numpy", "grader.harness"),
        *,
        sys_path: Sequence[str] | None = None,
        readable: Sequence[str] = (),
        work_dir: str | None = None,
        required: Sequence[str] = REQUIRED_LAYERS,
        prefork: bool = True,
        warm_up: str | None = "auto",
    ) -> None:
        base_dir = tempfile.mkdtemp(prefix="rnn-grader-sandbox-", dir=work_dir)
        private_dir = os.path.join(base_dir, "private")
        os.mkdir(private_dir, 0o700)
        path = sys.path if sys_path is None else sys_path
        self._config: dict[str, Any] = {
            "entry": entry,
            "preload": list(preload),
            "sys_path": [_absolute(p) for p in path],
            "private_dir": private_dir,
            "readable": [os.path.abspath(p) for p in readable],
            "prefork": prefork,
            "warm_up": warm_up,
        }
        self._required = tuple(required)
        self._state = _State(base_dir)
        self._finalizer = weakref.finalize(self, _State.close, self._state)
        self._layers: dict[str, bool] = {}
        self._run_id = 0
        try:
            self._zygote()
        except BaseException:
            self.close()
            raise

    # ------------------------------------------------------------------ public API
    def layers(self) -> dict[str, bool]:
        return dict(self._layers)

    @property
    def zygote_pid(self) -> int | None:
        return self._state.zygote.pid if self._state.zygote else None

    @property
    def private_dir(self) -> str:
        return str(self._config["private_dir"])

    def spare_pid(self) -> int | None:
        """The pid of the child the zygote holds ready for the next run (None if it holds none). Asks the
        zygote, which answers once it is idle, so after a run this is the spare forked for the next one.
        For tests and diagnostics: never during a run."""
        zygote = self._state.zygote
        if zygote is None or zygote.proc.poll() is not None:
            return None
        try:
            protocol.send(zygote.sock, {"op": "status"})
        except OSError:  # it died just now
            return None
        deadline = time.monotonic() + _START_TIMEOUT_S
        while select.select([zygote.sock], [], [], max(0.0, deadline - time.monotonic()))[0]:
            received = protocol.recv(zygote.sock)
            if received is None:
                return None
            message, fds = received
            for fd in fds:
                os.close(fd)
            if message.get("op") == "status":
                spare = message.get("spare")
                return spare if type(spare) is int else None
            _log_notice(message)
        raise SandboxError("the zygote did not answer a status request")

    def close(self) -> None:
        self._finalizer()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def run(self, payload: bytes, limits: Limits, on_result: ResultListener | None = None) -> RunReport:
        """`on_result` gets the result bytes as they arrive (capped like `RunReport.result`); if it raises,
        it is not called again and the run goes on."""
        started = time.perf_counter()
        run_limits = RunLimits.of(limits)
        for _attempt in range(2):
            try:
                zygote = self._zygote()
            except (SandboxError, OSError) as exc:
                return self._internal(started, f"cannot start the zygote: {exc}")
            try:
                return self._run_once(zygote, payload, run_limits, started, on_result)
            except _LostBeforeStart as exc:
                log.warning("sandbox zygote %d was gone (%s); restarting it", zygote.pid, exc)
                self._state.discard_zygote()
            except Exception as exc:  # the machinery failed mid-run: start afresh next time
                self._state.discard_zygote()
                return self._internal(started, f"{type(exc).__name__}: {exc}")
            except BaseException:  # interrupted mid-run: the zygote may still be busy with that child
                self._state.discard_zygote()
                raise
        return self._internal(started, "the zygote died twice before the child started")

    # ------------------------------------------------------------------ internals
    def _zygote(self) -> _Zygote:
        if self._closed:
            raise SandboxError("the sandbox is closed")
        zygote = self._state.zygote
        if zygote is not None and zygote.proc.poll() is None:
            return zygote
        self._state.discard_zygote()
        zygote = _Zygote(self._config)
        missing = [name for name in self._required if not zygote.layers.get(name)]
        if missing:
            zygote.stop()
            reasons = "; ".join(f"{name}: {zygote.reasons.get(name, 'unknown')}" for name in missing)
            raise SandboxError(f"required sandbox layers are not available ({reasons})")
        self._state.zygote = zygote
        self._layers = zygote.layers
        for name, reason in zygote.reasons.items():
            log.warning("sandbox layer %s is not active: %s", name, reason)
        return zygote

    @property
    def _closed(self) -> bool:
        return not self._finalizer.alive

    def _run_once(self, zygote: _Zygote, payload: bytes, limits: RunLimits, started: float,
                  on_result: ResultListener | None) -> RunReport:
        self._run_id += 1
        run_id = self._run_id
        fds: dict[str, int] = {}
        try:
            fds["payload"] = os.memfd_create("sandbox-payload", os.MFD_CLOEXEC)
            fds["output"] = os.memfd_create("sandbox-output", os.MFD_CLOEXEC)
            fds["result_r"], fds["result_w"] = os.pipe()
            _grow_pipe(fds["result_r"])
            _write_all(fds["payload"], payload)
            try:
                protocol.send(zygote.sock, {"op": "run", "run": run_id, "limits": limits.to_json()},
                              [fds["payload"], fds["result_w"], fds["output"]])
            except OSError as exc:
                raise _LostBeforeStart(str(exc)) from exc
            for name in ("payload", "result_w"):  # the child's copies are the only ones left
                os.close(fds.pop(name))
            done, result = self._collect(zygote, run_id, fds, limits, time.perf_counter(), on_result)
            output = os.pread(fds["output"], limits.output_bytes, 0)
        finally:
            for fd in fds.values():
                os.close(fd)
        facts = outcome.Facts(
            wait_status=int(done["wait_status"]), cpu_s=float(done["cpu_s"]),
            maxrss_kib=int(done["maxrss_kib"]), killed=done.get("killed"), setup_error=done.get("setup_error"),
            setup_cpu_s=float(done.get("setup_cpu_s", 0.0)),
        )
        ending = outcome.classify(facts, limits)
        report = RunReport(
            status=ending.status, result=result, output=output, exit_code=ending.exit_code,
            signal=ending.signal, cpu_s=facts.cpu_s, wall_s=time.perf_counter() - started,
            detail=ending.detail, layers=self.layers(), setup_cpu_s=facts.setup_cpu_s,
            minflt=int(done.get("minflt", 0)),
        )
        if report.status is RunStatus.internal_error:
            log.error("sandbox internal error: %s", report.detail)
        return report

    def _collect(self, zygote: _Zygote, run_id: int, fds: dict[str, int], limits: RunLimits,
                 sent: float, on_result: ResultListener | None) -> tuple[dict[str, Any], bytes]:
        """Read results (capped) and control messages until the child is reaped and the pipe is closed."""
        result_fd = fds["result_r"]
        backstop = sent + limits.wall_time_limit_s + _REPORT_GRACE_S
        poller = select.poll()
        poller.register(result_fd, select.POLLIN)
        poller.register(zygote.sock, select.POLLIN)
        chunks: list[bytes] = []
        total = 0
        capped = eof = False
        done: dict[str, Any] | None = None
        while done is None or not eof:
            remaining = backstop - time.perf_counter()
            if remaining <= 0:
                if "pidfd" in fds:
                    _pidfd_kill(fds["pidfd"])
                raise RuntimeError(f"no report from the zygote {_REPORT_GRACE_S:.0f} s past the wall limit")
            for fd, _ in poller.poll(max(1, int(remaining * 1000))):
                if fd == result_fd:
                    data = os.read(result_fd, _READ_CHUNK)
                    if not data:
                        eof = True
                        poller.unregister(result_fd)
                    elif not capped:
                        if on_result is not None:
                            try:
                                on_result(data[: max(0, limits.result_bytes - total)])
                            except Exception:  # the listener's fault: the run and its report go on without it
                                log.exception("result listener failed; the results are read at the end")
                                on_result = None
                        total += len(data)
                        chunks.append(data)
                        if total > limits.result_bytes:
                            capped = True
                            _send_kill(zygote, run_id)
                    continue
                received = protocol.recv(zygote.sock)
                if received is None:
                    if "pidfd" not in fds:
                        raise _LostBeforeStart("control socket closed")
                    raise RuntimeError("the zygote died during the run")
                message, extra = received
                if message.get("run") != run_id:
                    for f in extra:
                        os.close(f)
                    _log_notice(message)
                    continue
                if message.get("op") == "started" and extra:  # again if the zygote had to use another child
                    if "pidfd" in fds:
                        os.close(fds.pop("pidfd"))
                    fds["pidfd"] = extra.pop(0)
                    backstop = time.perf_counter() + limits.wall_time_limit_s + _REPORT_GRACE_S
                for f in extra:
                    os.close(f)
                if message.get("op") == "done":
                    done = message
                    poller.unregister(zygote.sock)
        if capped:
            done = dict(done, killed="result_cap")
        return done, b"".join(chunks)[: limits.result_bytes]

    def _internal(self, started: float, detail: str) -> RunReport:
        log.error("sandbox internal error: %s", detail)
        return RunReport(status=RunStatus.internal_error, wall_s=time.perf_counter() - started,
                         detail=detail, layers=self.layers())


def _log_notice(message: dict[str, Any]) -> None:
    if message.get("op") == "notice":
        log.warning("sandbox zygote: %s", str(message.get("message", ""))[:4000])


def _send_kill(zygote: _Zygote, run_id: int) -> None:
    try:
        protocol.send(zygote.sock, {"op": "kill", "run": run_id, "reason": "result_cap"})
    except OSError:
        pass  # the zygote is gone: the child goes with it (parent-death signal)


def _pidfd_kill(pidfd: int) -> None:
    try:
        signal.pidfd_send_signal(pidfd, signal.SIGKILL)
    except OSError:
        pass


def _absolute(entry: str) -> str:
    """The zygote runs in /: make our relative import paths absolute, but keep entries that are not
    paths (an editable install's path-hook marker) exactly as they are."""
    if not entry:
        return os.getcwd()
    return os.path.abspath(entry) if os.path.exists(entry) else entry


def _grow_pipe(fd: int) -> None:
    """Fewer wake-ups for results of a few hundred KiB; the default 64 KiB still works."""
    try:
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, _READ_CHUNK)
    except OSError:
        pass


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
