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
