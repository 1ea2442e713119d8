"""Assertions shared by the API and web tests (imported as `helpers`: tests/ is on sys.path via conftest)."""

from __future__ import annotations

from typing import Any

import httpx


def assert_error(response: httpx.Response, status: int, error: str) -> dict[str, Any]:
    """The project's error shape: the status, `{"error": <class name>, "detail": <non-empty text>}`."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["error"] == error, body
    assert isinstance(body["detail"], str) and body["detail"], body
    return body
