"""Assertions and waits shared by the tests (imported as `helpers`: tests/ is on sys.path via conftest)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx


def assert_error(response: httpx.Response, status: int, error: str) -> dict[str, Any]:
    """The project's error shape: the status, `{"error": <class name>, "detail": <non-empty text>}`."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["error"] == error, body
    assert isinstance(body["detail"], str) and body["detail"], body
    return body


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
