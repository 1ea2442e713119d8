"""Assertions and waits shared by the tests (imported as `helpers`: tests/ is on sys.path via conftest)."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx


def assert_error(response: httpx.Response, status: int, error: str) -> dict[str, Any]:
    """The project's error shape: the status, `{"error": <class name>, "detail": <non-empty text>}`."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["error"] == error, body
    assert isinstance(body["detail"], str) and body["detail"], body
    return body


def page_sign_in(client: httpx.Client, token: str, pages: str = "/scoreboard", next: str | None = None,
                 follow_redirects: bool = False, lang: str | None = None) -> httpx.Response:
    """Sign in on a pages' form as a browser does: open the form (its CSRF value and cookie), then post it."""
    query = f"?lang={lang}" if lang else ""
    form = client.get(f"{pages}/login{query}")
    found = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert found is not None, form.text
    data = {"token": token, "csrf": found.group(1), **({"next": next} if next is not None else {})}
    return client.post(f"{pages}/login{query}", data=data, follow_redirects=follow_redirects)


def set_cookies(response: httpx.Response) -> dict[str, str]:
    """name -> the whole Set-Cookie header of each cookie a response sets."""
    return {header.split("=", 1)[0]: header for header in response.headers.get_list("set-cookie")}


def cookie_flags(cookie: str) -> dict[str, str]:
    """A Set-Cookie header's attributes by lower-case name: {"path": "Path=/x", "httponly": "HttpOnly", ...}."""
    return {part.strip().split("=")[0].lower(): part.strip() for part in cookie.split(";")}


def wait_for(predicate: Callable[[], bool], timeout: float, what: str, interval: float = 0.01) -> None:
    """Wait until `predicate()` holds: on the event itself, never on a guess of how long it takes. The
    timeout only bounds a test that would otherwise hang; it fails with `what` in the message."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out after {timeout} s waiting for {what}"
        time.sleep(interval)


def notebook_bytes(*cells: str | tuple[str, str]) -> bytes:
    """A real .ipynb (nbformat v4) with these cells: a string is a code cell, ("markdown", text) another kind."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    for cell in cells:
        kind, text = cell if isinstance(cell, tuple) else ("code", cell)
        nb.cells.append(nbformat.v4.new_code_cell(text) if kind == "code" else nbformat.v4.new_markdown_cell(text))
    data: bytes = nbformat.writes(nb).encode("utf-8")
    return data


# A student's notebook: plots and torch imports, the solution, then a small training run below it.
EXPERIMENT_IMPORTS = "import numpy as np\nimport matplotlib.pyplot as plt\nimport torch\n%matplotlib inline"
TRAINING_CELL = """H, T, B = 8, 5, 2
rng = np.random.default_rng(0)
W_xh, W_hh, W_hy = rng.normal(size=(H, 3)), rng.normal(size=(H, H)) * 0.1, rng.normal(size=(2, H))
losses = []
for step in range(20):
    x = rng.normal(size=(T, B, 3))
    print("step", step)
plt.plot(losses)
"""


SERVER_START_TIMEOUT_S = 90.0  # a ceiling: a loaded machine starts the graders slowly


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def clean_env(tmp_path: Path) -> dict[str, str]:
    """The environment without RNN_GRADER_* settings, a private config dir, English, wide output."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RNN_GRADER_")}
    env.update(XDG_CONFIG_HOME=str(tmp_path / "config"), LANG="C.UTF-8", COLUMNS="200")
    env.pop("LC_ALL", None)
    return env


def run_cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`rnn-grader ARGS` of the full install in a fresh process, from the repository root."""
    return subprocess.run([sys.executable, "-c", "from cli.main import app; app()", *args],
                          cwd=Path(__file__).resolve().parents[1], env=env, capture_output=True, text=True,
                          timeout=300, check=False)


@contextlib.contextmanager
def running_server(tmp_path: Path, teacher_token: str, **settings: str) -> Iterator[str]:
    """A real `rnn-grader serve` process on a free port with a data dir under tmp_path; yields its URL once
    /readyz answers, and stops it (SIGINT, then SIGKILL) afterwards."""
    with server_process(tmp_path, teacher_token, **settings) as (url, _process):
        yield url


@contextlib.contextmanager
def server_process(tmp_path: Path, teacher_token: str, log_name: str = "server.log",
                   **settings: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """running_server, also yielding the process (the API process: its grading processes are its children),
    logging to tmp_path / log_name."""
    script = Path(sys.executable).with_name("rnn-grader")
    assert script.exists(), f"{script} is missing: install the project (pip install -e .)"
    port = free_port()
    env = clean_env(tmp_path)
    env.update(RNN_GRADER_DATA_DIR=str(tmp_path / "data"), RNN_GRADER_ADMIN_TOKEN=teacher_token,
               RNN_GRADER_WORKERS="1", RNN_GRADER_RATE_LIMIT_PER_MINUTE="0", RNN_GRADER_LOG_LEVEL="WARNING")
    env.update({f"RNN_GRADER_{k.upper()}": v for k, v in settings.items()})
    log_path = tmp_path / log_name
    with log_path.open("wb") as log:
        proc = subprocess.Popen([str(script), "serve", "--host", "127.0.0.1", "--port", str(port)],
                                env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + SERVER_START_TIMEOUT_S
            while True:
                if proc.poll() is not None:
                    raise AssertionError(f"the server exited with {proc.returncode}:\n{log_path.read_text()}")
                with contextlib.suppress(httpx.TransportError):
                    if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                        break
                if time.monotonic() > deadline:
                    raise AssertionError(f"the server did not start:\n{log_path.read_text()}")
                time.sleep(0.1)
            yield url, proc
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def add_staff(engine: Any, staff_id: str, role: str = "ta", name: str | None = None) -> str:
    """A new staff member written straight into a database; returns their bearer token."""
    from sqlmodel import Session

    from server.auth.models import Staff
    from server.security import hash_token, new_token

    token = new_token()
    with Session(engine) as db:
        db.add(Staff(staff_id=staff_id, name=name or staff_id, role=role, token_hash=hash_token(token)))
        db.commit()
    return token


class SharedGrader:
    """One real Grader (one sandbox zygote) for a whole module; an app's close() leaves it running."""

    def __init__(self, grader: Any) -> None:
        self.grader = grader

    def grade(self, exercise_id: str, source: str, seed: int) -> Any:
        return self.grader.grade(exercise_id, source, seed)

    def has_diagnostics(self, exercise_id: str) -> bool:
        return bool(self.grader.has_diagnostics(exercise_id))

    def diagnose(self, exercise_id: str, source: str) -> Any:
        return self.grader.diagnose(exercise_id, source)

    def close(self) -> None:
        pass


class WithoutCharts:
    """For fake graders (queue mechanics): an exercise without optional diagnostics (server.grading.diagnostics)."""

    def has_diagnostics(self, exercise_id: str) -> bool:
        return False

    def diagnose(self, exercise_id: str, source: str) -> dict[str, object]:
        return {}
