"""The sandbox mechanism with real processes and real limits (no mocks).

Most tests use `tests/sandbox_entries.py:run_source`, whose payload is Python source run in the child, so
each test states exactly what the child tries. After every test the same sandbox (same zygote, unless the
test restarted it) must still run an honest payload and must have no child process left but the spare it
forked for the next run, after the last one ended.

Needs Linux with Landlock ABI >= 6 and either root or user namespaces; the layer test pins the confinement
layers this machine has, so a layer that silently stops working fails it.
"""

from __future__ import annotations

import dataclasses
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import sandbox_entries
from helpers import wait_for

from grader import harness, wire
from grader.exercise import Limits
from grader.runner import RunReport, RunStatus
from grader.sandbox import Sandbox, SandboxError

ROOT = Path(__file__).resolve().parents[2]
TESTS = Path(__file__).resolve().parent
MARKER = "s3cr3t-" + secrets.token_hex(8)
LIMITS = Limits(cpu_time_limit_s=1, wall_time_limit_s=3, memory_limit_mib=256, output_limit_kib=64,
                result_limit_mib=1)
# CPU-bound tests get a generous wall limit: other jobs on a loaded machine must not turn them into wall_limit.
CPU_LIMITS = Limits(cpu_time_limit_s=1, wall_time_limit_s=15, memory_limit_mib=256)
DENIED = ("PermissionError", "RuntimeError", "OSError", "ValueError")


def _entries_sandbox() -> Sandbox:
    return Sandbox("sandbox_entries:run_source", ("numpy", "sandbox_entries"), sys_path=[str(TESTS), *sys.path])


@pytest.fixture(scope="module")
def shared_sandbox() -> Iterator[Sandbox]:
    os.environ["RNN_GRADER_SECRET"] = MARKER  # the grading process holds a secret; the zygote must not
    try:
        with _entries_sandbox() as sb:
            yield sb
    finally:
        os.environ.pop("RNN_GRADER_SECRET", None)


@pytest.fixture
def sb(shared_sandbox: Sandbox) -> Iterator[Sandbox]:
    yield shared_sandbox
    honest = run(shared_sandbox, "write(str(sum(range(10))))")
    assert (honest.status, honest.result) == (RunStatus.exited, b"45"), honest
    _assert_only_the_spare_left(shared_sandbox)


def _assert_only_the_spare_left(sb: Sandbox) -> None:
    """Between runs the zygote's only child is the spare it forked, confined and warmed for the next run
    (after the last run ended): nothing of a run outlives it."""
    spare = sb.spare_pid()
    assert spare is not None and _alive(spare)
    assert _children(sb.zygote_pid) == [spare], "a child outlived its run"


def run(sb: Sandbox, source: str, limits: Limits = LIMITS) -> RunReport:
    return sb.run(source.encode(), limits)


def _stat(pid: str) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rsplit(")", 1)[1].split()  # state ppid pgrp session ...


def _processes(where: int, value: int | None) -> list[int]:
    """Pids whose stat field `where` (1 ppid, 2 pgrp, 3 session) equals `value`."""
    found = []
    for pid in os.listdir("/proc"):
        if pid.isdigit() and (fields := _stat(pid)) is not None and int(fields[where]) == value:
            found.append(int(pid))
    return found


def _children(pid: int | None) -> list[int]:
    return _processes(1, pid)


def _alive(pid: int) -> bool:
    fields = _stat(str(pid))
    return fields is not None and fields[0] != "Z"


def _memory_contains(pid: int, needle: bytes) -> bool:
    with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", buffering=0) as mem:
        for line in maps:
            span, perms = line.split()[:2]
            if not perms.startswith("r") or line.rstrip().endswith(("[vvar]", "[vsyscall]", "[vvar_vclock]")):
                continue
            start, end = (int(x, 16) for x in span.split("-"))
            try:
                mem.seek(start)
                if needle in mem.read(end - start):
                    return True
            except (OSError, ValueError, OverflowError):
                continue
    return False


# ---------------------------------------------------------------------------------- normal runs


def test_layers_on_this_machine(sb: Sandbox) -> None:
    layers = sb.layers()
    for name in ("rlimits", "landlock", "landlock_net", "landlock_scope", "netns", "seccomp", "no_new_privs",
                 "dropped_caps", "closed_fds", "scrubbed_env", "private_dir", "private_tmpfs", "single_thread_blas"):
        assert layers.get(name) is True, (name, layers)
    assert layers["uid_switch"] is False  # pyenv's interpreter under /root (0700) is unreadable by others
    zygote = sb.zygote_pid
    for ns in ("net", "ipc", "mnt"):  # its own namespaces, inherited by every child
        assert os.readlink(f"/proc/{zygote}/ns/{ns}") != os.readlink(f"/proc/self/ns/{ns}")
    assert "Threads:\t1\n" in Path(f"/proc/{zygote}/status").read_text()  # safe to fork
    assert run(sb, "pass").layers == layers


def test_harness_payload_round_trip() -> None:
    source = "import numpy as np\ndef double(x):\n    print('doubling')\n    return x * 2\n"
    payload = harness.encode_payload(source, "student.py", [("double", (np.arange(3.0),))], 1 << 20)
    with Sandbox() as sandbox:
        report = sandbox.run(payload, Limits())
    assert report.status is RunStatus.exited and report.exit_code == 0, report
    assert report.output == b"doubling\n"
    calls = [(h, b) for h, b in wire.decode_records(report.result, 1000) if "call" in h]
    assert len(calls) == 1 and calls[0][0]["ok"] is True
    np.testing.assert_array_equal(calls[0][1][0], [0.0, 2.0, 4.0])
    assert report.cpu_s > 0 and report.wall_s > 0 and report.layers["seccomp"]


def test_result_output_and_timings(sb: Sandbox) -> None:
    report = run(sb, "import sys\nprint('to stdout')\nprint('to stderr', file=sys.stderr)\nwrite(b'\\x00raw')")
    assert report.status is RunStatus.exited and report.exit_code == 0
    assert report.result == b"\x00raw"
    assert report.output == b"to stdout\nto stderr\n"
    assert 0 <= report.cpu_s < 1 and 0 < report.wall_s < 1


def test_what_the_child_starts_with(sb: Sandbox) -> None:
    source = (
        "import os, sys, resource\n"
        "fds = []\n"
        "for fd in range(64):\n"
        "    try:\n"
        "        os.fstat(fd)\n"
        "        fds.append(fd)\n"
        "    except OSError:\n"
        "        pass\n"
        "write(repr((fds, dict(os.environ), os.getcwd(), sys.stdin.read(), os.getsid(0) == os.getpid(),"
        " resource.getrlimit(resource.RLIMIT_CORE))))"
    )
    fds, env, cwd, stdin, own_session, core = eval(run(sb, source).result)
    assert fds == [0, 1, 2, 3]  # stdin, stdout, stderr, results: nothing of the zygote's
    assert env == {} and stdin == "" and own_session and core == (0, 0)
    assert cwd == sb.private_dir


def test_private_dir_is_emptied_between_runs(sb: Sandbox) -> None:
    report = run(sb, "import os\nos.mkdir('d')\nopen('d/f', 'w').write('x')\nopen('g', 'w').write('y')")
    assert report.status is RunStatus.exited and report.exit_code == 0, report.output
    assert run(sb, "import os\nwrite(repr(os.listdir('.')))").result == b"[]"


def test_private_dir_is_a_small_tmpfs(sb: Sandbox) -> None:
    # Files are capped by RLIMIT_FSIZE, their number and total size by the tmpfs: no filling the disk.
    source = (
        "n = 0\n"
        "try:\n"
        "    while True:\n"
        "        with open(f'f{n}', 'wb') as f:\n"
        "            f.write(b'x' * 65536)\n"
        "        n += 1\n"
        "except OSError as e:\n"
        "    write(f'{n} {e.errno}')"
    )
    created, errno = map(int, run(sb, source).result.split())
    assert created < 1024 and errno == 28  # ENOSPC
    assert os.listdir(sb.private_dir) == []  # the tmpfs lives in the zygote's mount namespace only
    assert run(sb, "import os\nwrite(repr(os.listdir('.')))").result == b"[]"


@pytest.mark.parametrize(("source", "code"), [
    ("import os\nos._exit(3)", 3),
    ("import sys\nsys.exit(4)", 4),
    ("raise ValueError('boom')", 1),
])
def test_exit_codes(sb: Sandbox, source: str, code: int) -> None:
    report = run(sb, source)
    assert (report.status, report.exit_code, report.signal) == (RunStatus.exited, code, None)


def test_lazy_imports_of_stdlib_and_numpy_work(sb: Sandbox) -> None:
    source = (
        "import decimal, fractions, statistics, json, collections, itertools\n"
        "import numpy as np, numpy.linalg, numpy.fft, numpy.random\n"
        "x = np.random.default_rng(0).random((4, 4))\n"
        "write(json.dumps([float(np.linalg.det(x @ x.T)) > 0, str(decimal.Decimal(1) / 8)]))"
    )
    assert run(sb, source).result == b'[true, "0.125"]'


# ---------------------------------------------------------------------------------- limits


def test_infinite_loop_is_cpu_limit(sb: Sandbox) -> None:
    report = run(sb, "while True:\n    pass", CPU_LIMITS)
    assert report.status is RunStatus.cpu_limit, report
    assert report.signal == signal.SIGXCPU and 0.9 < report.cpu_s < 2


def test_cpu_burn_ignoring_sigxcpu_and_sigterm_is_cpu_limit(sb: Sandbox) -> None:
    source = (
        "import signal\n"
        "for s in (signal.SIGXCPU, signal.SIGTERM, signal.SIGINT):\n"
        "    signal.signal(s, signal.SIG_IGN)\n"
        "while True:\n"
        "    pass"
    )
    report = run(sb, source, CPU_LIMITS)
    assert report.status is RunStatus.cpu_limit, report
    assert report.signal == signal.SIGKILL  # the hard RLIMIT_CPU, one second after the ignored SIGXCPU


def test_sleep_is_wall_limit(sb: Sandbox) -> None:
    limits = Limits(cpu_time_limit_s=1, wall_time_limit_s=0.5, memory_limit_mib=256)
    report = run(sb, "import time\nprint('going to sleep')\ntime.sleep(3600)", limits)
    assert report.status is RunStatus.wall_limit, report
    assert 0.5 <= report.wall_s < 3 and report.cpu_s < 0.5
    assert report.output == b"going to sleep\n"  # output before the kill is kept (line-buffered)


def test_memory_bombs_fail_with_memory_error(sb: Sandbox) -> None:
    bytearrays = "hog = []\nwhile True:\n    hog.append(bytearray(32 << 20))"
    for source in (bytearrays, "import numpy as np\nnp.ones((1 << 40,))"):
        report = run(sb, source)
        assert (report.status, report.exit_code) == (RunStatus.exited, 1), report
        assert b"MemoryError" in report.output


def test_memory_limit_leaves_the_student_their_mebibytes(sb: Sandbox) -> None:
    limits = Limits(memory_limit_mib=768)
    reserve = "import numpy as np\nx = np.empty(({mib} << 20,), dtype=np.uint8)\nwrite('ok')"
    assert run(sb, reserve.format(mib=768), limits).result == b"ok"  # address space only: cheap
    # Touching 256 MiB costs about a second of page faults on a slow machine: this checks memory, so the CPU
    # limit is out of the way.
    roomy = dataclasses.replace(LIMITS, cpu_time_limit_s=10.0, wall_time_limit_s=20.0)
    touched = run(sb, "import numpy as np\nwrite(str(np.ones((256 << 20) // 8).sum()))", roomy)
    assert touched.status is RunStatus.exited and touched.result == str(float(256 << 17)).encode()
    too_much = run(sb, reserve.format(mib=768 + 256), limits)
    assert too_much.exit_code == 1 and b"MemoryError" in too_much.output


def test_200_megabytes_to_stdout_is_output_limit(sb: Sandbox) -> None:
    report = run(sb, "import sys\nchunk = 'x' * (1 << 20)\nfor _ in range(200):\n    sys.stdout.write(chunk)")
    assert report.status is RunStatus.output_limit and report.signal == signal.SIGXFSZ, report
    assert report.output == b"x" * (64 * 1024)


def test_results_over_their_cap_are_output_limit(sb: Sandbox) -> None:
    report = run(sb, "while True:\n    write(b'r' * (1 << 20))")
    assert report.status is RunStatus.output_limit, report
    assert report.result == b"r" * (1 << 20)


def test_segfault_is_signaled(sb: Sandbox) -> None:
    report = run(sb, "import ctypes\nctypes.string_at(0)")
    assert (report.status, report.signal) == (RunStatus.signaled, signal.SIGSEGV)


def test_signals_to_itself_still_work(sb: Sandbox) -> None:
    assert run(sb, "import os, signal\nos.kill(os.getpid(), signal.SIGTERM)").signal == signal.SIGTERM
    assert run(sb, "import os\nos.abort()").signal == signal.SIGABRT


def test_recursion_ends(sb: Sandbox) -> None:
    report = run(sb, "def f():\n    return f()\nf()")
    assert report.exit_code == 1 and b"RecursionError" in report.output
    deep = run(sb, "import sys\nsys.setrecursionlimit(10**9)\ndef f(n):\n    return f(n + 1) + 1\nf(0)",
               CPU_LIMITS)
    assert deep.status in (RunStatus.cpu_limit, RunStatus.signaled, RunStatus.exited), deep


# ---------------------------------------------------------------------------------- denied actions


def _try(action: str) -> str:
    """Source that attempts `action` and reports 'ALLOWED' or the exception's type name."""
    return f"try:\n    {action}\n    write('ALLOWED')\nexcept BaseException as e:\n    write(type(e).__name__)"


@pytest.mark.parametrize("action", [
    "__import__('os').fork()",
    "__import__('threading').Thread(target=print).start()",
    "__import__('subprocess').run(['/bin/true'])",
    "__import__('os').posix_spawn('/bin/true', ['true'], {})",
    "__import__('os').execv('/bin/sh', ['sh', '-c', 'id'])",
    "__import__('multiprocessing').Process(target=print).start()",
    "__import__('os').setsid()",
    "__import__('resource').setrlimit(__import__('resource').RLIMIT_CPU, (100, 100))",
    "__import__('resource').setrlimit(__import__('resource').RLIMIT_AS, (-1, -1))",
    "__import__('socket').socket(__import__('socket').AF_UNIX)",
    "__import__('ctypes').CDLL(None).unshare(0x40000000) == 0 or throw",
    "__import__('ctypes').CDLL(None).ptrace(16, 1, 0, 0) == 0 or throw",
])
def test_denied_actions(sb: Sandbox, action: str) -> None:
    report = run(sb, _try(action).replace("or throw", "or (_ for _ in ()).throw(PermissionError)"))
    assert report.status is RunStatus.exited, report
    assert report.result.decode() in DENIED, (action, report.result, report.output)


def test_fork_bomb_leaves_no_process(sb: Sandbox) -> None:
    source = (
        "import os\n"
        "forked = 0\n"
        "for _ in range(2000):\n"
        "    try:\n"
        "        if os.fork() == 0:\n"
        "            while True:\n"
        "                pass\n"
        "        forked += 1\n"
        "    except OSError:\n"
        "        pass\n"
        "write(f'{os.getpid()} {forked}')"
    )
    report = run(sb, source)
    pid, forked = map(int, report.result.split())
    assert forked == 0
    assert _processes(2, pid) == [] and _processes(3, pid) == []  # nothing in its group or session


def test_tcp_connect_to_a_local_listener_fails(sb: Sandbox) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.setblocking(False)
    port = listener.getsockname()[1]
    try:
        for action in (f"__import__('socket').create_connection(('127.0.0.1', {port}), timeout=1)",
                       "__import__('urllib.request').request.urlopen('http://example.com', timeout=1)"):
            report = run(sb, _try(action))
            assert report.result.decode() in (*DENIED, "URLError"), report
        with pytest.raises(BlockingIOError):
            listener.accept()  # nobody ever connected
    finally:
        listener.close()


def _read_attempts(zygote_pid: int, secret_file: Path) -> list[str]:
    return [
        str(secret_file), "/etc/shadow", "/etc/passwd", "/proc/1/environ", "/proc/self/environ",
        "/proc/self/mem", "/proc/self/maps", f"/proc/{zygote_pid}/environ", f"/proc/{os.getpid()}/environ",
        f"/proc/{os.getpid()}/cmdline", str(ROOT / "reference" / "rnn.py"), str(ROOT / "grader" / "runner.py"),
        str(ROOT / "pyproject.toml"), "/dev/shm", "/",
        str(ROOT), str(ROOT / "reference"), str(ROOT / ".venv" / "lib" / "python3.11" / "site-packages"),
    ]


def test_reading_outside_the_allowed_paths_is_denied(sb: Sandbox, tmp_path: Path) -> None:
    secret_file = tmp_path / "database.db"
    secret_file.write_text(MARKER)
    assert sb.zygote_pid is not None
    for path in _read_attempts(sb.zygote_pid, secret_file):
        action = (f"__import__('os').listdir({path!r})" if os.path.isdir(path)
                  else f"open({path!r}, 'rb').read(1)")
        report = run(sb, _try(action))
        assert report.result == b"PermissionError", (path, report.result, report.output)


def test_importing_the_reference_fails(sb: Sandbox) -> None:
    report = run(sb, _try("import reference.rnn"))
    assert report.result in (b"PermissionError", b"ModuleNotFoundError", b"ImportError"), report


def test_writing_outside_the_private_dir_is_denied(sb: Sandbox, tmp_path: Path) -> None:
    targets = [tmp_path / "pwned", Path("/tmp") / f"pwned-{secrets.token_hex(4)}", ROOT / "pwned"]
    for target in targets:
        report = run(sb, _try(f"open({str(target)!r}, 'w').write('x')"))
        assert report.result == b"PermissionError", (target, report.result)
        assert not target.exists()
    for action in ("__import__('os').symlink('/etc/shadow', 'link')", "__import__('os').mkfifo('fifo')"):
        assert run(sb, _try(action)).result == b"PermissionError", action


def test_signals_to_other_processes_are_denied(sb: Sandbox) -> None:
    zygote = sb.zygote_pid
    assert zygote is not None and sb.layers()["seccomp"] and sb.layers()["landlock_scope"]
    me = os.getpid()
    # kill(-1) as root would reach every process: probe with signal 0 first, send SIGKILL only if denied.
    probe = run(sb, _try("__import__('os').kill(-1, 0)"))
    assert probe.result == b"PermissionError", probe
    for action in [
        "__import__('os').kill(-1, 9)",
        "__import__('os').kill(__import__('os').getppid(), 9)",
        "__import__('os').killpg(__import__('os').getpgid(0), 9)",
        "__import__('os').killpg(0, 9)",
        f"__import__('os').killpg(__import__('os').getpgid({zygote}), 9)",
        f"__import__('os').kill({me}, 9)",
        f"__import__('os').killpg({os.getpgid(0)}, 9)",
        f"__import__('ctypes').CDLL(None).syscall(234, {me}, {me}, 9) == 0 or throw",  # tgkill
        f"__import__('fcntl').fcntl(3, __import__('fcntl').F_SETOWN, {me})",
        # F_SETOWN with upper bits set: the kernel reads a 32-bit command
        f"__import__('ctypes').CDLL(None).syscall(72, 3, __import__('ctypes').c_long((1 << 32) | 8), {me})"
        " == 0 or throw",
        f"__import__('ctypes').CDLL(None).syscall(200, {me}, 9) == 0 or throw",  # tkill
        "__import__('ctypes').CDLL(None).syscall(62, __import__('ctypes').c_long(0xFFFFFFFF), 0) == 0 or throw",
    ]:
        report = run(sb, _try(action).replace("or throw", "or (_ for _ in ()).throw(PermissionError)"))
        assert report.status is RunStatus.exited, (action, report)
        assert report.result.decode() in ("PermissionError", "ProcessLookupError", "OSError"), (action, report)
    assert sb.zygote_pid == zygote and _alive(zygote)


# ---------------------------------------------------------------------------------- secrets


def test_no_secret_and_no_payload_in_the_zygote(sb: Sandbox) -> None:
    zygote = sb.zygote_pid
    assert zygote is not None and os.environ["RNN_GRADER_SECRET"] == MARKER
    assert MARKER.encode() not in Path(f"/proc/{zygote}/environ").read_bytes()
    assert b"RNN_GRADER" not in Path(f"/proc/{zygote}/environ").read_bytes()
    hidden = "hidden-input-" + secrets.token_hex(8)  # what one run sees must not reach the next
    report = run(sb, f"import os\nwrite(repr(sorted(os.environ)) + {hidden!r})")
    assert report.result == f"[]{hidden}".encode()
    assert not _memory_contains(zygote, MARKER.encode())
    assert not _memory_contains(zygote, hidden.encode())
    assert _memory_contains(os.getpid(), MARKER.encode())  # the scan does find it where it is


# ---------------------------------------------------------------------------------- the zygote


def test_zygote_killed_between_runs_is_restarted() -> None:
    with _entries_sandbox() as sandbox:
        old = sandbox.zygote_pid
        assert old is not None
        os.kill(old, signal.SIGKILL)
        deadline = time.monotonic() + 5
        while _alive(old) and time.monotonic() < deadline:
            time.sleep(0.01)
        report = run(sandbox, "write('after restart')")
        assert report.status is RunStatus.exited and report.result == b"after restart"
        assert sandbox.zygote_pid not in (None, old)


# The run names itself (prctl PR_SET_NAME, which seccomp allows) once the student's code is running.
RUNNING_NAME = "run-under-way"


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def test_zygote_killed_during_a_run_is_internal_error() -> None:
    with _entries_sandbox() as sandbox:
        zygote = sandbox.zygote_pid
        assert zygote is not None
        orphans: list[int] = []

        def kill_zygote_once_the_run_is_under_way() -> None:
            wait_for(lambda: any(_comm(c) == RUNNING_NAME for c in _children(zygote)), 10, "the run to start")
            orphans.extend(_children(zygote))
            os.kill(zygote, signal.SIGKILL)

        killer = threading.Thread(target=kill_zygote_once_the_run_is_under_way)
        killer.start()
        report = run(sandbox, "import ctypes, time\n"
                              f"ctypes.CDLL(None).prctl(15, {RUNNING_NAME.encode()!r}, 0, 0, 0)\n"
                              "time.sleep(4)")
        killer.join()
        assert report.status is RunStatus.internal_error, report
        assert len(orphans) == 1
        wait_for(lambda: not _alive(orphans[0]), 2, "the child to die with its zygote")
        assert run(sandbox, "write('ok')").result == b"ok"


def test_close_stops_the_zygote_and_removes_its_directory() -> None:
    sandbox = _entries_sandbox()
    zygote, private = sandbox.zygote_pid, sandbox.private_dir
    assert zygote is not None and os.path.isdir(private)
    sandbox.close()
    sandbox.close()
    assert not _alive(zygote) and not os.path.exists(private)
    assert sandbox.run(b"pass", LIMITS).status is RunStatus.internal_error


def test_bad_entry_fails_at_construction() -> None:
    with pytest.raises(SandboxError, match="no_such_module"):
        Sandbox("no_such_module:main", ("numpy",))


def test_a_missing_required_layer_refuses_to_start() -> None:
    with pytest.raises(SandboxError, match="uid_switch"):
        Sandbox("sandbox_entries:run_source", ("sandbox_entries",), sys_path=[str(TESTS), *sys.path],
                required=("seccomp", "uid_switch"))


def test_the_zygote_does_not_outlive_its_server(tmp_path: Path) -> None:
    script = ("import sys, time\nfrom grader.sandbox import Sandbox\n"
              "sandbox = Sandbox('sandbox_entries:run_source', ('sandbox_entries',), sys_path=sys.argv[2:],"
              " work_dir=sys.argv[1])\n"
              "print(sandbox.zygote_pid, flush=True)\ntime.sleep(60)\n")
    with subprocess.Popen([sys.executable, "-c", script, str(tmp_path), str(TESTS), *sys.path],
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=ROOT) as server:
        try:
            assert server.stdout is not None
            zygote = int(server.stdout.readline())
            assert _alive(zygote)
        finally:
            server.kill()  # leaving the `with` waits for it and closes its stdout
    deadline = time.monotonic() + 5
    while _alive(zygote) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not _alive(zygote)


# ---------------------------------------------------------------------------------- spare children
# The zygote forks each run's child in advance (a spare: confined, warmed up, waiting for its job).


def test_the_spare_holds_nothing_of_the_previous_run(sb: Sandbox) -> None:
    hidden = "hidden-input-" + secrets.token_hex(8)
    leave = (
        "import builtins, os, sys, numpy as np\n"
        f"builtins.LEFT = {hidden!r}\n"
        f"sys.modules['left_behind'] = type(sys)({hidden!r})\n"
        f"np.LEFT = {hidden!r}\n"
        f"os.environ['LEFT'] = {hidden!r}\n"
        f"open('left.txt', 'w').write({hidden!r})\n"
        "write(str(os.getpid()))"
    )
    report = run(sb, leave)
    assert report.status is RunStatus.exited, report
    spare = sb.spare_pid()
    assert spare is not None and spare != int(report.result)  # forked after that run ended
    assert not _memory_contains(spare, hidden.encode())
    assert not _memory_contains(spare, MARKER.encode())
    look = ("import builtins, os, sys, numpy as np\n"
            "write(repr([hasattr(builtins, 'LEFT'), 'left_behind' in sys.modules, hasattr(np, 'LEFT'),"
            " 'LEFT' in os.environ, os.listdir('.'), os.getpid()]))")
    *seen, pid = eval(run(sb, look).result)
    assert seen == [False, False, False, False, []]
    assert pid == spare  # the run was the spare's


def test_the_warm_up_leaves_nothing_in_the_run(sb: Sandbox) -> None:
    report = run(sb, "import gc, sys\nwrite(repr(any(m.startswith('warm') for m in sys.modules)))")
    assert report.result == b"False" and report.output == b"", report  # its stdout and results went nowhere
    assert sandbox_entries.WARM_UP_MARK.encode() not in report.result + report.output
    assert 0 < report.setup_cpu_s < 0.5, report  # the spare's own CPU, reported apart from the run's


def test_a_waiting_spare_is_already_confined(sb: Sandbox) -> None:
    """Everything but the run's rlimits and the seccomp filter that locks them is in place before the
    job (and before the warm-up): capabilities, no_new_privs, Landlock, the seccomp deny-list."""
    spare = sb.spare_pid()
    assert spare is not None
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        status = dict(line.split(":", 1) for line in Path(f"/proc/{spare}/status").read_text().splitlines())
        if status["Seccomp_filters"].strip() == "1" and status["State"].split()[0] == "S":
            break
        time.sleep(0.01)
    assert status["NoNewPrivs"].strip() == "1" and status["Seccomp"].strip() == "2"
    assert status["Seccomp_filters"].strip() == "1"  # the deny-list; the rlimits lock comes with the job
    for caps in ("CapEff", "CapPrm", "CapInh", "CapAmb"):
        assert int(status[caps], 16) == 0, (caps, status[caps])
    assert os.getsid(spare) == spare
    assert os.readlink(f"/proc/{spare}/cwd") == sb.private_dir
    assert sorted(os.listdir(f"/proc/{spare}/fd")) == [str(fd) for fd in range(6)] + ["7"]  # 6: ruleset, closed


def test_a_spare_killed_while_waiting_is_replaced(sb: Sandbox, caplog: pytest.LogCaptureFixture) -> None:
    spare = sb.spare_pid()
    assert spare is not None
    os.kill(spare, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while spare in _children(sb.zygote_pid) and time.monotonic() < deadline:
        time.sleep(0.01)  # the zygote reaps it and forks another
    report = run(sb, "import os\nwrite(str(os.getpid()))")
    assert report.status is RunStatus.exited and int(report.result) != spare
    replacement = sb.spare_pid()
    assert replacement not in (None, spare) and _alive(replacement)
    assert any("ended before its job" in r.getMessage() for r in caplog.records), caplog.text


def test_the_run_gets_its_own_limits(sb: Sandbox) -> None:
    """The spare waits under its base limits; the job's limits replace them, and cannot be raised back."""
    source = (
        "import resource as r\n"
        "names = ['RLIMIT_CPU', 'RLIMIT_FSIZE', 'RLIMIT_NOFILE', 'RLIMIT_NPROC', 'RLIMIT_CORE', 'RLIMIT_AS']\n"
        "write(repr([r.getrlimit(getattr(r, n)) for n in names]))"
    )
    for cpu, output_kib in ((1, 64), (3, 128), (1, 64)):
        limits = Limits(cpu_time_limit_s=cpu, wall_time_limit_s=5, memory_limit_mib=256, output_limit_kib=output_kib)
        cpu_l, fsize, nofile, nproc, core, address_space = eval(run(sb, source, limits).result)
        assert cpu_l == (cpu, cpu + 1) and fsize == (output_kib * 1024,) * 2
        assert nofile == (64, 64) and nproc == core == (0, 0)
        assert address_space[0] == address_space[1] < 4 << 30
    raise_back = _try("__import__('resource').setrlimit(__import__('resource').RLIMIT_CPU, (1, 100))")
    assert run(sb, raise_back).result.decode() in DENIED


def test_cpu_limit_counts_the_spare_apart(sb: Sandbox) -> None:
    report = run(sb, "while True:\n    pass", CPU_LIMITS)
    assert report.status is RunStatus.cpu_limit and report.signal == signal.SIGXCPU, report
    assert 0 < report.setup_cpu_s < 0.1 and report.cpu_s > 0.5, report  # the warm-up is not the run's
    assert report.cpu_s + report.setup_cpu_s < 2 and report.minflt > 0


def test_without_prefork_children_are_forked_per_run() -> None:
    with Sandbox("sandbox_entries:run_source", ("numpy", "sandbox_entries"), sys_path=[str(TESTS), *sys.path],
                 prefork=False) as sandbox:
        assert sandbox.spare_pid() is None
        for _ in range(3):
            source = ("import os\nopen_fds = []\nfor fd in range(64):\n    try:\n        os.fstat(fd)\n"
                      "        open_fds.append(fd)\n    except OSError:\n        pass\nwrite(repr(open_fds))")
            report = run(sandbox, source)
            assert (report.status, report.result) == (RunStatus.exited, b"[0, 1, 2, 3]"), report
            assert _children(sandbox.zygote_pid) == [] and sandbox.spare_pid() is None
        with _entries_sandbox() as prefork:
            assert prefork.layers() == sandbox.layers()


@pytest.mark.parametrize("warm_up", ["sandbox_entries:failing_warm_up", "sandbox_entries:exiting_warm_up"])
def test_a_broken_warm_up_costs_speed_only(warm_up: str, caplog: pytest.LogCaptureFixture) -> None:
    with Sandbox("sandbox_entries:run_source", ("numpy", "sandbox_entries"), sys_path=[str(TESTS), *sys.path],
                 warm_up=warm_up) as sandbox:
        for _ in range(4):
            report = run(sandbox, "import os\nwrite(str(sum(range(10))))")
            assert (report.status, report.result, report.output) == (RunStatus.exited, b"45", b""), report
        spare = sandbox.spare_pid()  # also collects the zygote's notices
    if "failing" in warm_up:  # spares go on, without the warm-up
        assert spare is not None
        expected = "warm-up failed"
    else:  # spares that keep dying are given up
        assert spare is None
        expected = "children are now forked per run"
    assert sum(expected in r.getMessage() for r in caplog.records) == 1, caplog.text


def test_a_restarted_zygote_has_a_spare_again() -> None:
    with _entries_sandbox() as sandbox:
        old_zygote, old_spare = sandbox.zygote_pid, sandbox.spare_pid()
        assert old_zygote is not None and old_spare is not None
        os.kill(old_zygote, signal.SIGKILL)
        deadline = time.monotonic() + 5
        while (_alive(old_zygote) or _alive(old_spare)) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not _alive(old_spare)  # it went with its zygote (parent-death signal)
        assert run(sandbox, "write('ok')").result == b"ok"
        spare = sandbox.spare_pid()
        assert spare is not None and _children(sandbox.zygote_pid) == [spare]
