"""Behind a reverse proxy (docs/security.md): a real `rnn-grader serve` trusts X-Forwarded-Proto/-For only
from RNN_GRADER_FORWARDED_ALLOW_IPS (uvicorn's proxy-header handling), so its cookies are Secure when the
trusted proxy says the browser came over HTTPS, and not when anyone else says so; with
RNN_GRADER_COOKIE_SECURE=always they are Secure whatever the headers say."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from helpers import cookie_flags, running_server, set_cookies

TEACHER = "teacher-token-for-proxy-tests-0123456789"
FROM_PROXY = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}


def _login_cookie(base: str, headers: dict[str, str]) -> dict[str, str]:
    form = httpx.get(f"{base}/student/login", headers=headers, timeout=30)
    assert form.status_code == 200, form.text
    return cookie_flags(set_cookies(form)["rnn_grader_student_login"])


@pytest.mark.parametrize(("trusted", "secure_when_forwarded"), [("127.0.0.1", True), ("10.9.9.9", False)])
def test_forwarded_https_counts_only_from_a_trusted_proxy(tmp_path: Path, trusted: str,
                                                          secure_when_forwarded: bool) -> None:
    with running_server(tmp_path, TEACHER, forwarded_allow_ips=trusted, log_level="INFO") as base:
        assert ("secure" in _login_cookie(base, FROM_PROXY)) is secure_when_forwarded
        assert "secure" not in _login_cookie(base, {})  # plain HTTP, nothing forwarded
    # The client address too: the access log names the browser only when the proxy is trusted.
    logged = [line for line in (tmp_path / "server.log").read_text().splitlines() if "/student/login 200" in line]
    assert len(logged) == 2, logged
    assert ("client=203.0.113.7" in logged[0]) is secure_when_forwarded and "client=127.0.0.1" in logged[1]


def test_cookie_secure_always_whatever_the_headers(tmp_path: Path) -> None:
    with running_server(tmp_path, TEACHER, cookie_secure="always", forwarded_allow_ips="10.9.9.9") as base:
        assert "secure" in _login_cookie(base, {})
        assert "secure" in _login_cookie(base, FROM_PROXY)
