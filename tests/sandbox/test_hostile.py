"""Hostile submissions, graded through the real entry point (Grader + Sandbox) on the real exercise.

Each case asserts the outcome, that nothing leaked or escaped, and that the next honest submission still
gets full marks from the same grader (the same zygote). Secrets planted by the test (a database file, an
environment variable of the grading process) carry a random marker that must never come back.
"""

from __future__ import annotations

import os
import secrets
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader.exercise import DEFAULT_EXERCISES_DIR, load_exercises
from grader.grade import Grader
from grader.result import Outcome, Result

ROOT = Path(__file__).resolve().parents[2]
CORRECT = (ROOT / "tests" / "solutions" / "correct_rnn.py").read_text()
MARKER = "leak-" + secrets.token_hex(8)


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A stand-in for the server's database file, holding the marker."""
    db = tmp_path_factory.mktemp("data") / "rnn-grader.db"
    db.write_text(MARKER)
    return db


@pytest.fixture(scope="module")
def grader(planted: Path) -> Iterator[Grader]:
    os.environ["RNN_GRADER_SECRET"] = MARKER  # the grading process holds a secret; the zygote must not
    g = Grader(load_exercises(DEFAULT_EXERCISES_DIR))
    yield g
    g.close()
    os.environ.pop("RNN_GRADER_SECRET", None)


def _grade(grader: Grader, source: str) -> Result:
    result = grader.grade("rnn", source, seed=1234)
    assert not result.internal_error, [t.feedback_text("en") for p in result.parts for t in p.tests]
    blob = result.model_dump_json()
    assert MARKER not in blob, "a planted secret came back in the result"
    return result


def _honest_still_works(grader: Grader) -> None:
    result = _grade(grader, CORRECT)
    assert result.score == result.max_score


def _part(result: Result, name: str) -> list[Outcome]:
    return [t.outcome for p in result.parts if p.name == name for t in p.tests]


def _override(body: str) -> str:
    """The correct solution with `body` appended (later definitions win)."""
    return CORRECT + "\n\n" + body + "\n"


def _forward_calls(snippet: str) -> str:
    """rnn_forward runs `snippet` first, then answers correctly: full forward marks mean it got through."""
    indented = "\n".join("    " + line for line in snippet.strip().splitlines())
    return _override(
        "_correct_forward = rnn_forward\n"
        "def rnn_forward(*args):\n"
        f"{indented}\n"
        "    return _correct_forward(*args)\n"
    )


def _assert_forward_blocked(grader: Grader, snippet: str, outcomes: set[Outcome]) -> Result:
    result = _grade(grader, _forward_calls(snippet))
    got = set(_part(result, "forward"))
    assert got <= outcomes, got
    assert all(p.score == p.max_score for p in result.parts if p.name != "forward"), "other parts must not suffer"
    _honest_still_works(grader)
    return result


BLOCKED = {Outcome.runtime_error}


def test_honest_submission_full_marks_and_layers(grader: Grader) -> None:
    result = _grade(grader, CORRECT)
    assert result.score == result.max_score == 100
    for layer in ("rlimits", "landlock", "seccomp", "netns", "no_new_privs", "closed_fds", "scrubbed_env"):
        assert result.sandbox_layers.get(layer) is True, (layer, result.sandbox_layers)


def test_fork_bomb(grader: Grader) -> None:
    _assert_forward_blocked(grader, "import os\nwhile True:\n    os.fork()", BLOCKED)


def test_subprocess_and_execve_of_a_shell(grader: Grader) -> None:
    _assert_forward_blocked(grader, "import subprocess\nsubprocess.run(['/bin/sh', '-c', 'id'])", BLOCKED)
    _assert_forward_blocked(grader, "import os\nos.execv('/bin/sh', ['sh', '-c', 'id'])", BLOCKED)


def test_memory_bomb(grader: Grader) -> None:
    # Each call fills memory up to the limit, which takes CPU time too: later calls in the same child
    # may run out of the run's CPU budget first. The first one must be named a memory problem.
    result = _assert_forward_blocked(
        grader,
        "hog = []\nwhile True:\n    hog.append(bytearray(64 * 1024 * 1024))",
        {Outcome.memory_limit, Outcome.time_limit},
    )
    assert result.parts[0].tests[0].outcome is Outcome.memory_limit
    assert "MiB" in result.parts[0].tests[0].feedback_text("en")


def test_numpy_memory_bomb(grader: Grader) -> None:
    _assert_forward_blocked(grader, "import numpy as np\nnp.ones((1 << 40,))", {Outcome.memory_limit})


def test_infinite_loop_costs_only_its_part(grader: Grader) -> None:
    result = _assert_forward_blocked(grader, "while True:\n    pass", {Outcome.time_limit})
    assert result.score == 70


def test_cpu_burn_ignoring_sigterm_and_sigxcpu(grader: Grader) -> None:
    snippet = (
        "import signal\n"
        "for s in (signal.SIGTERM, signal.SIGXCPU, signal.SIGINT):\n"
        "    signal.signal(s, signal.SIG_IGN)\n"
        "while True:\n"
        "    pass"
    )
    _assert_forward_blocked(grader, snippet, {Outcome.time_limit})


def test_sleeping_past_the_wall_limit(grader: Grader) -> None:
    _assert_forward_blocked(grader, "import time\ntime.sleep(3600)", {Outcome.time_limit})


def test_tcp_connect_to_a_local_listener(grader: Grader) -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.5)
    port = server.getsockname()[1]
    accepted: list[object] = []

    def accept() -> None:
        try:
            accepted.append(server.accept())
        except OSError:
            pass

    thread = threading.Thread(target=accept)
    thread.start()
    snippet = f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=1).sendall(b'hi')"
    _assert_forward_blocked(grader, snippet, BLOCKED)
    thread.join()
    server.close()
    assert accepted == [], "the sandbox reached a listener on the host"


@pytest.mark.parametrize(
    "target",
    [
        "reference/rnn.py",
        "reference/rnn_cases.py",
        "exercises/rnn/spec.toml",
        "/etc/shadow",
        "/proc/1/environ",
    ],
)
def test_reading_answers_and_secrets(grader: Grader, target: str) -> None:
    path = target if target.startswith("/") else str(ROOT / target)
    _assert_forward_blocked(grader, f"open({path!r}, 'rb').read()", BLOCKED)


def test_reading_the_database_file(grader: Grader, planted: Path) -> None:
    _assert_forward_blocked(grader, f"print(open({str(planted)!r}).read())", BLOCKED)


def test_environment_of_every_process_holds_no_secret(grader: Grader) -> None:
    # Readable or not, no process the child can see may hold the marker.
    snippet = (
        "import os\n"
        "for pid in [p for p in os.listdir('/proc') if p.isdigit()]:\n"
        "    try:\n"
        "        data = open('/proc/%s/environ' % pid, 'rb').read()\n"
        "    except OSError:\n"
        "        continue\n"
        f"    assert {MARKER.encode()!r} not in data\n"
        f"assert {MARKER!r} not in str(os.environ)\n"
    )
    result = _grade(grader, _forward_calls(snippet))
    assert set(_part(result, "forward")) <= {Outcome.passed, Outcome.runtime_error}
    assert "AssertionError" not in result.model_dump_json()
    _honest_still_works(grader)


def test_writing_outside_the_private_directory(grader: Grader, tmp_path: Path) -> None:
    target = tmp_path / "pwned"
    _assert_forward_blocked(grader, f"open({str(target)!r}, 'w').write('x')", BLOCKED)
    _assert_forward_blocked(grader, "open('/tmp/pwned-by-student', 'w').write('x')", BLOCKED)
    assert not target.exists() and not Path("/tmp/pwned-by-student").exists()


def test_killing_the_parent_and_its_group(grader: Grader) -> None:
    snippet = "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)"
    _assert_forward_blocked(grader, snippet, BLOCKED)
    _assert_forward_blocked(grader, "import os, signal\nos.killpg(0, signal.SIGKILL)", BLOCKED)
    _assert_forward_blocked(grader, "import os, signal\nos.kill(-1, signal.SIGKILL)", BLOCKED)
    _assert_forward_blocked(grader, f"import os, signal\nos.kill({os.getpid()}, signal.SIGKILL)", BLOCKED)


def test_200_megabytes_to_stdout(grader: Grader) -> None:
    snippet = "import sys\nchunk = 'x' * (1 << 20)\nfor _ in range(200):\n    sys.stdout.write(chunk)"
    result = _assert_forward_blocked(grader, snippet, {Outcome.output_limit})
    assert len(result.output) <= 64 * 1024


def test_segfault_through_ctypes(grader: Grader) -> None:
    result = _assert_forward_blocked(grader, "import ctypes\nctypes.string_at(0)", BLOCKED)
    assert "SIGSEGV" in result.parts[0].tests[0].feedback_text("en")


@pytest.mark.parametrize("exit_call", ["import sys\nsys.exit(0)", "import os\nos._exit(0)"])
def test_exit_at_import(grader: Grader, exit_call: str) -> None:
    result = _grade(grader, exit_call + "\n" + CORRECT)
    assert result.score == 0
    assert {t.outcome for p in result.parts for t in p.tests} == {Outcome.runtime_error}
    _honest_still_works(grader)


@pytest.mark.parametrize(
    "snippet",
    ["import sys\nsys.exit(0)", "import os\nos._exit(0)", "raise BaseException('x')", "raise KeyboardInterrupt"],
)
def test_exit_or_base_exception_inside_a_function(grader: Grader, snippet: str) -> None:
    _assert_forward_blocked(grader, snippet, BLOCKED)


def test_infinite_recursion(grader: Grader) -> None:
    result = _assert_forward_blocked(grader, "def f(n):\n    return f(n + 1)\nf(0)", BLOCKED)
    assert "Recursion" in result.parts[0].tests[0].feedback_text("en")


def test_threads_that_outlive_the_call(grader: Grader) -> None:
    snippet = "import threading, time\nthreading.Thread(target=time.sleep, args=(60,), daemon=False).start()"
    _assert_forward_blocked(grader, snippet, BLOCKED)


def test_raising_rlimits(grader: Grader) -> None:
    snippet = "import resource\nresource.setrlimit(resource.RLIMIT_CPU, (10**6, 10**6))"
    _assert_forward_blocked(grader, snippet, BLOCKED)


def test_monkeypatching_numpy_comparisons_changes_nothing(grader: Grader) -> None:
    source = (
        "import numpy as np\n"
        "np.allclose = lambda *a, **k: True\nnp.testing.assert_allclose = lambda *a, **k: None\n"
        "np.isclose = lambda a, b, **k: np.ones(np.shape(a), bool)\n"
        "def rnn_forward(*a):\n    return np.zeros((1, 1, 1)), np.zeros((1, 1, 1))\n"
        "def rnn_backward(*a):\n    return {}\n"
        "def clip_grad_norm(g, m):\n    return g, 0.0\n"
    )
    result = _grade(grader, source)
    assert result.score == 0
    _honest_still_works(grader)


def test_array_subclasses_and_tricky_objects(grader: Grader) -> None:
    source = _override(
        "import numpy as np\n"
        "class Always(np.ndarray):\n"
        "    def __eq__(self, other): return np.ones(self.shape, bool)\n"
        "    def __array_finalize__(self, obj): pass\n"
        "class Fake:\n"
        "    def __array__(self, *a, **k): raise SystemExit\n"
        "    def __eq__(self, other): return True\n"
        "def rnn_forward(x, h0, W_xh, W_hh, b_h, W_hy, b_y):\n"
        "    T, B, _ = x.shape\n"
        "    return np.zeros((T, B, W_hy.shape[0])).view(Always), Fake()\n"
        "def clip_grad_norm(grads, max_norm):\n"
        "    return {k: np.array([object()]) for k in grads}, Fake()\n"
    )
    result = _grade(grader, source)
    assert set(_part(result, "forward")) == {Outcome.wrong_answer}
    assert set(_part(result, "clip")) == {Outcome.wrong_answer}
    assert all(t.outcome is Outcome.passed for p in result.parts if p.name == "backward" for t in p.tests)
    _honest_still_works(grader)


def test_a_billion_element_array(grader: Grader) -> None:
    source = _override(
        "import numpy as np\n"
        "def rnn_forward(*a):\n"
        "    return np.lib.stride_tricks.as_strided(np.zeros(1), shape=(10**9,), strides=(0,)), None\n"
    )
    result = _grade(grader, source)
    assert set(_part(result, "forward")) <= {Outcome.wrong_answer, Outcome.output_limit, Outcome.memory_limit}
    assert result.parts[0].score == 0
    _honest_still_works(grader)


def test_nan_and_inf(grader: Grader) -> None:
    source = _override(
        "import numpy as np\n_f = rnn_forward\n"
        "def rnn_forward(*a):\n"
        "    y, h = _f(*a)\n    y[...] = np.nan\n    h[...] = np.inf\n    return y, h\n"
    )
    result = _grade(grader, source)
    assert set(_part(result, "forward")) == {Outcome.wrong_answer}
    assert "NaN" in result.parts[0].tests[0].feedback_text("en")
    _honest_still_works(grader)


def test_hunting_expected_outputs_with_gc_and_inspect(grader: Grader) -> None:
    # If any reference output lived in the child, returning the matching array would score.
    source = _override(
        "import gc, inspect, numpy as np\n"
        "def rnn_forward(x, h0, W_xh, W_hh, b_h, W_hy, b_y):\n"
        "    T, B, _ = x.shape\n"
        "    want_y, want_h = (T, B, W_hy.shape[0]), (T, B, W_hh.shape[0])\n"
        "    ys = [o for o in gc.get_objects() if isinstance(o, np.ndarray) and o.shape == want_y]\n"
        "    hs = [o for o in gc.get_objects() if isinstance(o, np.ndarray) and o.shape == want_h]\n"
        "    for fr in inspect.stack():\n"
        "        for v in fr.frame.f_locals.values():\n"
        "            if isinstance(v, np.ndarray) and v.shape == want_y: ys.append(v)\n"
        "    return (ys[-1] if ys else np.zeros(want_y)), (hs[-1] if hs else np.zeros(want_h))\n"
    )
    result = _grade(grader, source)
    assert result.parts[0].score == 0
    _honest_still_works(grader)
