"""Sessions nobody can plant or end from another site, proven in a real browser (Debian's chromium through
playwright) against a real server process.

A victim signs in as themselves (the student Ada; the instructor). Then they open a page of another origin
that auto-submits a form to this server, the way a hostile site would:
- a sign-in form (/student/login, /scoreboard/login) with the attacker's own valid token, and the
  attacker's own pre-session CSRF value, fetched from the real sign-in form;
- a sign-out form (/student/logout, /scoreboard/logout).
Two attacking origins: another host (127.0.0.2: cross-site, the browser sends no SameSite cookie) and another
port of the same host (127.0.0.1: same-site, the session cookie IS sent, so only the CSRF value and the
origin checks stand in the way). Afterwards the victim's browser is still signed in as the victim: never as
the attacker, never signed out.
"""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from browser_support import chromium_page, free_port, running_server
from helpers import add_staff

pytestmark = pytest.mark.browser

TEACHER = "browser-test-teacher-token-cross-origin-0123"
ATTACKER_HOSTS = ["127.0.0.2", "127.0.0.1"]


class _AttackPages:
    """Another origin's web server: GET /<name> is a page whose form posts itself to this server on load."""

    def __init__(self, host: str) -> None:
        self.pages: dict[str, str] = {}
        pages = self.pages

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (the http.server API)
                body = pages.get(self.path.lstrip("/"), "").encode()
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer((host, free_port()), Handler)
        self.base = f"http://{host}:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def add(self, name: str, action: str, fields: dict[str, str]) -> str:
        inputs = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                         for k, v in fields.items())
        self.pages[name] = (f'<!doctype html><html><body><form id="f" method="post" action="{html.escape(action)}">'
                            f'{inputs}</form><script>document.getElementById("f").submit()</script></body></html>')
        return f"{self.base}/{name}"

    def __enter__(self) -> _AttackPages:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("browser-cross-origin")
    with running_server(tmp, TEACHER, workers="0") as base:
        teacher = {"Authorization": f"Bearer {TEACHER}"}
        tokens = {}
        for sid, name in (("s1", "Ada Victim"), ("s666", "Mallory Attacker")):
            created = httpx.post(f"{base}/api/v1/students", json={"student_id": sid, "name": name}, headers=teacher,
                                 timeout=30)
            assert created.status_code == 201, created.text
            tokens[sid] = created.json()["token"]
        engine = sa.create_engine(f"sqlite:///{tmp / 'data' / 'rnn-grader.db'}")
        try:
            attacker_ta = add_staff(engine, "ta666", role="ta", name="Mallory TA")
        finally:
            engine.dispose()
        yield {"base": base, "victim": tokens["s1"], "attacker": tokens["s666"], "attacker_ta": attacker_ta}


def _attackers_login_csrf(base: str, pages: str) -> str:
    """What an attacker can get: the CSRF value of a sign-in form they opened themselves."""
    form = httpx.get(f"{base}{pages}/login", timeout=30)
    found = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert found is not None, form.text
    return found.group(1)


def _sign_in(page: Any, base: str, pages: str, token: str) -> None:
    page.goto(f"{base}{pages}/login")
    page.fill("#token", token)
    page.click("#sign-in")
    page.wait_for_url(re.compile(rf".*{pages}/?(\?.*)?$"))


def _attack(page: Any, url: str, base: str) -> None:
    """Open the hostile page and wait until its form has landed on this server (whatever it answered)."""
    page.goto(url)
    page.wait_for_url(re.compile(rf"^{re.escape(base)}/"))
    page.wait_for_load_state()


@pytest.mark.parametrize("attacker_host", ATTACKER_HOSTS)
def test_another_origin_can_neither_plant_nor_end_a_student_session(server: dict[str, Any],
                                                                    attacker_host: str) -> None:
    base = server["base"]
    with _AttackPages(attacker_host) as evil, chromium_page() as page:
        _sign_in(page, base, "/student", server["victim"])
        assert "Ada Victim" in page.text_content(".crumb")

        plant = evil.add("plant", f"{base}/student/login", {
            "token": server["attacker"], "csrf": _attackers_login_csrf(base, "/student"), "next": "/student"})
        _attack(page, plant, base)
        page.goto(f"{base}/student")
        crumb = page.text_content(".crumb") or ""
        assert "Ada Victim" in crumb and "Mallory" not in crumb, crumb

        sign_out = evil.add("sign-out", f"{base}/student/logout", {"csrf": "guessed"})
        _attack(page, sign_out, base)
        page.goto(f"{base}/student")
        assert "Ada Victim" in (page.text_content(".crumb") or ""), "the victim was signed out"
        assert page.locator("#token").count() == 0


@pytest.mark.parametrize("attacker_host", ATTACKER_HOSTS)
def test_another_origin_can_neither_plant_nor_end_a_teacher_session(server: dict[str, Any],
                                                                    attacker_host: str) -> None:
    """The victim is the instructor; the attacker is a TA with a valid token of their own."""
    base = server["base"]
    with _AttackPages(attacker_host) as evil, chromium_page() as page:
        _sign_in(page, base, "/scoreboard", TEACHER)
        page.wait_for_selector("#signed-in")
        me = page.text_content("#signed-in") or ""
        session_before = _cookie(page, base, "rnn_grader_session")

        plant = evil.add("plant", f"{base}/scoreboard/login", {
            "token": server["attacker_ta"], "csrf": _attackers_login_csrf(base, "/scoreboard"),
            "next": "/scoreboard"})
        _attack(page, plant, base)
        assert _cookie(page, base, "rnn_grader_session") == session_before, "another site replaced the session"
        page.goto(f"{base}/scoreboard")
        assert page.text_content("#signed-in") == me and "Mallory" not in me, me

        sign_out = evil.add("sign-out", f"{base}/scoreboard/logout", {"csrf": "guessed"})
        _attack(page, sign_out, base)
        page.goto(f"{base}/scoreboard")
        page.wait_for_selector("#signed-in")
        assert page.locator("#token").count() == 0, "the victim was signed out"
        assert _cookie(page, base, "rnn_grader_session") == session_before


def _cookie(page: Any, base: str, name: str) -> str | None:
    return next((c["value"] for c in page.context.cookies(base) if c["name"] == name), None)
