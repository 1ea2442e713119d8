"""The one session module (server.auth.sessions) for the teacher's and the student's pages: sessions end on the
server at sign-out, sign-in forms cannot be posted from another site, a planted session id is never used,
sessions expire, a new token or a disabled staff account ends them, and cookies are Secure over HTTPS."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from helpers import cookie_flags, page_sign_in, set_cookies
from policy_helpers import set_clock
from starlette.testclient import TestClient

from server.auth.models import Staff, WebSession
from server.tables import table_of

TEACHER = "teacher-token-for-tests-0123456789"  # tests/conftest.py
# kind -> (pages, session cookie, a page that needs the session, a data URL that needs it)
KINDS = {
    "staff": ("/scoreboard", "rnn_grader_session", "/scoreboard", "/scoreboard/state"),
    "student": ("/student", "rnn_grader_student", "/student/submissions", "/student/exercises/rnn/template"),
}
sessions_t = table_of(WebSession)


@pytest.fixture
def world(api_client: TestClient, create_student: Callable[..., dict[str, str]]) -> dict[str, Any]:
    student = create_student(api_client, "s1", "Ada")
    return {"client": api_client, "tokens": {"staff": TEACHER, "student": student["token"]}}


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def _signed_in(client: TestClient, kind: str) -> bool:
    _pages, _cookie, page, _data = KINDS[kind]
    return client.get(page, follow_redirects=False).status_code == 200


def _rows(client: TestClient) -> int:
    with client.app.state.ctx.engine.connect() as conn:  # type: ignore[attr-defined]
        return int(conn.execute(sa.select(sa.func.count()).select_from(sessions_t)).scalar_one())


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_sign_out_ends_the_session_on_the_server_so_a_copied_cookie_stops_working(world: dict[str, Any],
                                                                                 kind: str) -> None:
    client, pages, cookie_name = world["client"], KINDS[kind][0], KINDS[kind][1]
    assert page_sign_in(client, world["tokens"][kind], pages).status_code == 303
    copied = client.cookies.get(cookie_name, path=pages)
    assert copied and _signed_in(client, kind) and _rows(client) == 1
    csrf = _csrf(client.get(KINDS[kind][2]).text)
    out = client.post(f"{pages}/logout", data={"csrf": csrf}, follow_redirects=False)
    assert out.status_code == 303 and _rows(client) == 0
    client.cookies.set(cookie_name, copied, path=pages)  # the copy, put back
    assert not _signed_in(client, kind)
    assert client.get(KINDS[kind][3]).status_code == 401


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_sign_in_post_without_the_forms_own_csrf_value_opens_no_session(world: dict[str, Any], kind: str) -> None:
    client, pages, cookie_name = world["client"], KINDS[kind][0], KINDS[kind][1]
    token = world["tokens"][kind]
    bare = client.post(f"{pages}/login", data={"token": token}, follow_redirects=False)
    assert bare.status_code == 403 and cookie_name not in set_cookies(bare)
    assert "expired or was not sent from this site" in bare.text and 'name="csrf"' in bare.text
    other = client.post(f"{pages}/login", data={"token": token, "csrf": "x" * 32}, follow_redirects=False)
    assert other.status_code == 403 and cookie_name not in set_cookies(other)
    form = client.get(f"{pages}/login")
    value = _csrf(form.text)
    login_cookie = cookie_flags(set_cookies(form)[f"{cookie_name}_login"])
    assert login_cookie["samesite"].lower() == "samesite=strict" and "httponly" in login_cookie
    assert login_cookie["path"] == f"Path={pages}/login"
    client.cookies.clear()  # the form's value without its cookie (another browser's form)
    lost = client.post(f"{pages}/login", data={"token": token, "csrf": value}, follow_redirects=False)
    assert lost.status_code == 403 and _rows(client) == 0
    assert page_sign_in(client, token, pages).status_code == 303 and _signed_in(client, kind)


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("headers", [
    {"Origin": "https://evil.example"},
    {"Origin": "null"},
    {"Sec-Fetch-Site": "cross-site"},
    {"Sec-Fetch-Site": "same-site", "Origin": "https://sibling.testserver"},
])
def test_a_sign_in_from_another_site_is_refused_even_with_a_valid_token(world: dict[str, Any], kind: str,
                                                                        headers: dict[str, str]) -> None:
    client, pages, cookie_name = world["client"], KINDS[kind][0], KINDS[kind][1]
    value = _csrf(client.get(f"{pages}/login").text)
    planted = client.post(f"{pages}/login", data={"token": world["tokens"][kind], "csrf": value},
                          headers=headers, follow_redirects=False)
    assert planted.status_code == 403 and cookie_name not in set_cookies(planted) and _rows(client) == 0
    same = client.post(f"{pages}/login", data={"token": world["tokens"][kind], "csrf": value},
                       headers={"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"},
                       follow_redirects=False)
    assert same.status_code == 303 and _signed_in(client, kind)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_sign_out_from_another_site_is_ignored(world: dict[str, Any], kind: str) -> None:
    client, pages = world["client"], KINDS[kind][0]
    page_sign_in(client, world["tokens"][kind], pages)
    csrf = _csrf(client.get(KINDS[kind][2]).text)
    forged = client.post(f"{pages}/logout", data={"csrf": csrf}, headers={"Origin": "https://evil.example"},
                         follow_redirects=False)
    assert forged.status_code == 303 and _signed_in(client, kind) and _rows(client) == 1


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_cross_site_sign_out_that_carries_no_cookie_deletes_none(world: dict[str, Any], kind: str) -> None:
    """From another site the browser withholds the SameSite session cookie: the server sees no session, and
    must still not answer with a Set-Cookie that deletes it (a real browser applies it: the victim would be
    signed out; tests/web/test_browser_cross_origin.py shows it in chromium)."""
    client, pages, cookie_name = world["client"], KINDS[kind][0], KINDS[kind][1]
    page_sign_in(client, world["tokens"][kind], pages)
    withheld = TestClient(client.app)  # the same browser's request, as sent cross-site: no cookies
    forged = withheld.post(f"{pages}/logout", data={"csrf": "guess"}, follow_redirects=False,
                           headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"})
    assert forged.status_code == 303 and cookie_name not in set_cookies(forged)
    assert _signed_in(client, kind) and _rows(client) == 1


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_session_id_planted_before_sign_in_is_never_used(world: dict[str, Any], kind: str) -> None:
    client, pages, cookie_name = world["client"], KINDS[kind][0], KINDS[kind][1]
    planted = "planted-session-id-0123456789abcdefghijklmno"
    client.cookies.set(cookie_name, planted, domain="testserver.local", path=pages)
    assert not _signed_in(client, kind)
    page_sign_in(client, world["tokens"][kind], pages)
    assert client.cookies.get(cookie_name, path=pages) != planted and _signed_in(client, kind)
    client.cookies.set(cookie_name, planted, domain="testserver.local", path=pages)
    assert not _signed_in(client, kind)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_session_ends_after_twelve_hours(world: dict[str, Any], kind: str) -> None:
    client = world["client"]
    now = dt.datetime.now(dt.UTC)
    set_clock(client, now)
    page_sign_in(client, world["tokens"][kind], KINDS[kind][0])
    set_clock(client, now + dt.timedelta(hours=11, minutes=59))
    assert _signed_in(client, kind)
    set_clock(client, now + dt.timedelta(hours=12, seconds=1))
    assert not _signed_in(client, kind)


def test_a_new_student_token_ends_that_students_sessions(world: dict[str, Any], teacher_headers: dict[str, str],
                                                         create_student: Callable[..., dict[str, str]]) -> None:
    client = world["client"]
    bob = create_student(client, "s2", "Bob")
    page_sign_in(client, world["tokens"]["student"], "/student")
    other = TestClient(client.app)
    page_sign_in(other, bob["token"], "/student")
    assert client.post("/api/v1/students/s1/token", headers=teacher_headers).status_code == 200
    assert not _signed_in(client, "student") and _signed_in(other, "student")  # only s1 is signed out
    assert _rows(client) == 1


def test_a_ta_signs_in_with_their_own_token_is_named_and_a_disabled_account_ends_the_session(
        world: dict[str, Any], make_staff: Any) -> None:
    client = world["client"]
    headers = make_staff(client, "ta-wang", role="ta", name="Wang Fang")
    assert page_sign_in(client, headers["Authorization"][7:]).status_code == 303
    page = client.get("/scoreboard?lang=en")
    assert page.status_code == 200 and re.search(r'id="signed-in">Wang Fang · TA<', page.text)
    assert re.search(r'id="signed-in">Wang Fang · 助教<', client.get("/scoreboard?lang=zh").text)
    with client.app.state.ctx.engine.begin() as conn:  # type: ignore[attr-defined]
        conn.execute(sa.update(table_of(Staff)).where(table_of(Staff).c.staff_id == "ta-wang")
                     .values(disabled_at=dt.datetime.now(dt.UTC)))
    assert not _signed_in(client, "staff")
    refused = page_sign_in(client, headers["Authorization"][7:])
    assert refused.status_code == 401 and "rnn_grader_session" not in set_cookies(refused)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_cookies_are_secure_over_https_and_always_when_configured(world: dict[str, Any], kind: str,
                                                                  make_client: Callable[..., TestClient]) -> None:
    pages, cookie_name = KINDS[kind][0], KINDS[kind][1]
    https = TestClient(world["client"].app, base_url="https://testserver")
    form = https.get(f"{pages}/login")
    assert "secure" in cookie_flags(set_cookies(form)[f"{cookie_name}_login"])
    signed = page_sign_in(https, world["tokens"][kind], pages)
    assert "secure" in cookie_flags(set_cookies(signed)[cookie_name])
    plain = page_sign_in(world["client"], world["tokens"][kind], pages)
    assert "secure" not in cookie_flags(set_cookies(plain)[cookie_name])
    always = make_client(cookie_secure="always")
    if kind == "student":
        token = always.post("/api/v1/students", json={"student_id": "s9", "name": "N"},
                            headers={"Authorization": f"Bearer {TEACHER}"}).json()["token"]
    else:
        token = TEACHER
    # A Secure cookie is not sent back over plain HTTP, so this browser cannot sign in here: as it should be.
    form = always.get(f"{pages}/login")
    assert "secure" in cookie_flags(set_cookies(form)[f"{cookie_name}_login"])
    value = _csrf(form.text)
    signed = always.post(f"{pages}/login", data={"token": token, "csrf": value},
                         cookies={f"{cookie_name}_login": value}, follow_redirects=False)
    assert signed.status_code == 303 and "secure" in cookie_flags(set_cookies(signed)[cookie_name])
