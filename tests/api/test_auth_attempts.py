"""Unknown tokens per client address, with backoff (server.auth.attempts): the API's bearer tokens, the
uploads the ingress guard authenticates, both sign-in forms (429 page in en/zh), and the address behind a
trusted proxy as uvicorn's proxy-header handling gives it."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from helpers import assert_error
from starlette.testclient import TestClient
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from server.auth.attempts import AttemptLimiter, client_address
from server.auth.sessions import STAFF, STUDENT
from server.deps import AppContext

ME = "/api/v1/submissions"
WRONG = {"Authorization": "Bearer not-a-token-of-anyone-0123456789"}


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _ctx(client: TestClient) -> AppContext:
    ctx: AppContext = client.app.state.ctx  # type: ignore[attr-defined]
    return ctx


def _clocked(client: TestClient) -> FakeClock:
    clock = FakeClock()
    _ctx(client).attempts.clock = clock
    return clock


def _from(client: TestClient, host: str) -> TestClient:
    """Another client address on the same running app."""
    return TestClient(client.app, client=(host, 40000))


def test_addresses_are_counted_per_ipv4_address_and_per_ipv6_64() -> None:
    assert client_address({"client": ("203.0.113.7", 1)}) == "203.0.113.7"
    assert client_address({"client": ("2001:db8:1:2:aaaa::1", 1)}) == "2001:db8:1:2::/64"
    assert client_address({"client": ("2001:db8:1:2:bbbb::9", 1)}) == "2001:db8:1:2::/64"
    assert client_address({"client": ("2001:db8:1:3::1", 1)}) == "2001:db8:1:3::/64"
    assert client_address({"client": ("::ffff:198.51.100.4", 1)}) == "198.51.100.4"
    assert client_address({"client": None}) == "unknown"


def test_backoff_doubles_up_to_its_maximum_and_failures_are_forgotten_after_the_window() -> None:
    clock = FakeClock()
    limiter = AttemptLimiter(free=3, window_s=900, max_backoff_s=10, clock=clock)
    for _ in range(3):
        limiter.failed("a")
        assert limiter.retry_after("a") is None
    waits = []
    for _ in range(6):
        limiter.failed("a")
        waits.append(limiter.retry_after("a"))
        clock.now += waits[-1] or 0
    assert waits == [1, 2, 4, 8, 10, 10]
    assert limiter.retry_after("b") is None  # another address is not touched
    clock.now += 901  # a quiet window: forgotten
    limiter.failed("a")
    assert limiter.retry_after("a") is None
    off = AttemptLimiter(free=0, window_s=900, max_backoff_s=10, clock=clock)
    for _ in range(100):
        off.failed("a")
    assert off.retry_after("a") is None


def test_unknown_bearer_tokens_make_the_address_wait_before_any_token_is_checked(
    make_client: Callable[..., TestClient], create_student: Callable[..., dict[str, str]],
) -> None:
    client = make_client(auth_failures_free=2)
    clock = _clocked(client)
    student = {"Authorization": create_student(client)["authorization"]}
    for _ in range(10):  # no token at all is no guess: never counted
        assert_error(client.get(ME), 401, "Unauthorized")
    for _ in range(3):
        assert_error(client.get(ME, headers=WRONG), 401, "Unauthorized")
    refused = client.get(ME, headers=student)  # even the right token: the door is closed for now
    body = assert_error(refused, 429, "TooManyAuthFailures")
    assert refused.headers["retry-after"] == "1" and "1 s" in body["detail"]
    assert _from(client, "198.51.100.9").get(ME, headers=student).status_code == 200  # others are not affected
    clock.now += 1
    assert client.get(ME, headers=student).status_code == 200
    assert_error(client.get(ME, headers=WRONG), 401, "Unauthorized")
    assert client.get(ME, headers=student).headers["retry-after"] == "2"  # the next failure doubles it


def test_an_upload_with_an_unknown_token_counts_and_a_waiting_address_is_refused_before_its_body(
    make_client: Callable[..., TestClient], create_student: Callable[..., dict[str, str]],
) -> None:
    client = make_client(auth_failures_free=1)
    _clocked(client)
    student = {"Authorization": create_student(client)["authorization"]}
    payload = {"exercise": "rnn", "source": "def rnn_forward():\n    pass\n"}
    for _ in range(2):
        assert_error(client.post(ME, json=payload, headers=WRONG), 401, "Unauthorized")
    refused = client.post(ME, json=payload, headers=student)
    assert_error(refused, 429, "TooManyAuthFailures")
    assert refused.headers["connection"] == "close"  # the guard answered: nothing of the body was read


@pytest.mark.parametrize("pages", ["/scoreboard", "/student"])
def test_both_sign_in_forms_make_the_address_wait_with_a_page_in_its_language(
    make_client: Callable[..., TestClient], create_student: Callable[..., dict[str, str]],
    teacher_headers: dict[str, str], pages: str,
) -> None:
    client = make_client(auth_failures_free=1)
    clock = _clocked(client)
    right = (teacher_headers["Authorization"] if pages == "/scoreboard" else create_student(client)["authorization"])
    right = right.removeprefix("Bearer ")
    spec = STAFF if pages == "/scoreboard" else STUDENT

    def sign_in(token: str, lang: str = "en") -> Any:
        form = client.get(f"{pages}/login?lang={lang}")
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert csrf is not None
        return client.post(f"{pages}/login?lang={lang}", data={"token": token, "csrf": csrf.group(1)},
                           follow_redirects=False)

    assert sign_in("").status_code == 400  # no token: not a guess
    assert sign_in("wrong-token-0123456789abcdef").status_code == 401
    assert sign_in("wrong-token-0123456789abcdef").status_code == 401  # beyond the free one: the door closes
    refused = sign_in(right)
    assert refused.status_code == 429 and refused.headers["retry-after"] == "1"
    assert "Too many invalid tokens" in refused.text and "Try again in 1 s" in refused.text
    assert [c.split("=")[0] for c in refused.headers.get_list("set-cookie")] == [spec.login_cookie]  # no session
    refused_zh = sign_in(right, "zh")
    assert refused_zh.status_code == 429 and "无效令牌过多" in refused_zh.text and "1 秒后重试" in refused_zh.text
    clock.now += 1
    signed_in = sign_in(right)
    assert signed_in.status_code == 303 and signed_in.headers["location"] == pages


def test_behind_a_trusted_proxy_the_forwarded_address_is_the_one_that_waits(
    make_client: Callable[..., TestClient], create_student: Callable[..., dict[str, str]],
) -> None:
    """As `rnn-grader serve` runs it: uvicorn's ProxyHeadersMiddleware with RNN_GRADER_FORWARDED_ALLOW_IPS."""
    client = make_client(auth_failures_free=1)
    _clocked(client)
    student = {"Authorization": create_student(client)["authorization"]}
    proxied = ProxyHeadersMiddleware(client.app, trusted_hosts=["10.0.0.1"])  # type: ignore[arg-type]
    via_proxy = TestClient(proxied, client=("10.0.0.1", 40000))
    untrusted = TestClient(proxied, client=("192.0.2.50", 40000))

    def who(forwarded: str) -> dict[str, str]:
        return {"X-Forwarded-For": forwarded}

    for _ in range(2):
        assert via_proxy.get(ME, headers={**WRONG, **who("203.0.113.5")}).status_code == 401
    assert via_proxy.get(ME, headers={**student, **who("203.0.113.5")}).status_code == 429
    assert via_proxy.get(ME, headers={**student, **who("203.0.113.6")}).status_code == 200  # a different student
    assert via_proxy.get(ME, headers=student).status_code == 200  # the proxy itself was never counted
    # A client that is not the proxy cannot pick the address it is counted under.
    for _ in range(2):
        assert untrusted.get(ME, headers={**WRONG, **who("203.0.113.99")}).status_code == 401
    assert untrusted.get(ME, headers={**student, **who("203.0.113.98")}).status_code == 429
    assert via_proxy.get(ME, headers={**student, **who("203.0.113.99")}).status_code == 200
