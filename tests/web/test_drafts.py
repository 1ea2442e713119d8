"""An expired session loses no typed text (server.web.drafts), on SQLite and PostgreSQL.

The student's pasted code and the teacher's answer to a regrade request, posted after the session ended:
nothing is done, the sign-in form carries the text (hidden fields, posted to <sign-in>/draft), and after
signing in the page of the form comes back with the text filled in, ready to send again. A wrong token on
the way keeps the text too. Another site can neither plant a draft nor have one kept; the plain sign-in
forms keep their few KiB. A teacher form of an earlier session (stale CSRF value) comes back filled in too.
The browser run of the student's case is tests/web/test_browser_drafts.py.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Callable
from typing import Any

import pytest
from helpers import assert_error, page_sign_in
from policy_helpers import set_clock
from starlette.testclient import TestClient

from server.auth.sessions import SESSION_MAX_AGE_S
from server.ingress.budgets import DEFAULT_BYTES

TEACHER = "teacher-token-for-tests-0123456789"  # tests/conftest.py
SAME_SITE = {"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}
CROSS_SITE = {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}
CODE = "import numpy as np\n\ndef rnn_forward(x, h0, Wx, Wh, b):\n    return '<b>中文</b> & \"quotes\"'\n"


def _csrf(text: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', text)
    assert found is not None, text
    return found.group(1)


def _hidden(text: str) -> dict[str, str]:
    return {m.group(1): html.unescape(m.group(2))
            for m in re.finditer(r'<input type="hidden" name="(draft_[a-z]+)" value="([^"]*)"', text)}


def _expire(client: TestClient) -> None:
    """The session ends while the page is open: the clock moves past its end."""
    set_clock(client, dt.datetime.now(dt.UTC) + dt.timedelta(seconds=SESSION_MAX_AGE_S + 60))


def _textarea(text: str) -> str:
    found = re.search(r'<textarea id="source"[^>]*>(.*?)</textarea>', text, re.S)
    assert found is not None, text
    return html.unescape(found.group(1))


@pytest.fixture
def student(api_client: TestClient, create_student: Callable[..., dict[str, str]]) -> dict[str, Any]:
    token = create_student(api_client, "s1", "Ada")["token"]
    page_sign_in(api_client, token, "/student")
    csrf = _csrf(api_client.get("/student/exercises/rnn").text)
    return {"client": api_client, "token": token, "csrf": csrf}


def _submit(client: TestClient, csrf: str, source: str, headers: dict[str, str] = SAME_SITE) -> Any:
    return client.post("/student/exercises/rnn/submit", data={"csrf": csrf, "source": source}, headers=headers,
                       files={"file": ("", b"")}, follow_redirects=False)


def _sign_in_with(client: TestClient, signin_page: str, token: str, pages: str = "/student") -> Any:
    form = {"token": token, "csrf": _csrf(signin_page), "next": pages, **_hidden(signin_page)}
    return client.post(f"{pages}/login/draft", data=form, headers=SAME_SITE, follow_redirects=False)


# ---------------------------------------------------------------- the student's pasted code
def test_pasted_code_survives_an_expired_session(student: dict[str, Any]) -> None:
    client = student["client"]
    _expire(client)
    asked = _submit(client, student["csrf"], CODE)
    assert asked.status_code == 401 and 'id="token"' in asked.text
    assert 'action="/student/login/draft"' in asked.text and 'id="login-notice"' in asked.text
    assert _hidden(asked.text) == {"draft_kind": "paste", "draft_target": "rnn", "draft_source": CODE}
    assert client.get("/api/v1/submissions", headers={"Authorization": f"Bearer {student['token']}"}).json() == []

    back = _sign_in_with(client, asked.text, student["token"])
    assert back.status_code == 200, back.text
    assert "rnn_grader_student" in back.headers.get("set-cookie", "")
    assert _textarea(back.text) == CODE and 'id="submit-notice"' in back.text
    assert '<meta name="rnn-grader-url" content="/student/exercises/rnn">' in back.text

    sent = _submit(client, _csrf(back.text), _textarea(back.text))  # the student checks it and submits
    assert sent.status_code == 303 and re.match(r"/student/submissions/\d+$", sent.headers["location"])
    mine = client.get("/api/v1/submissions", headers={"Authorization": f"Bearer {student['token']}"}).json()
    assert len(mine) == 1


def test_a_wrong_token_on_the_way_keeps_the_code(student: dict[str, Any]) -> None:
    client = student["client"]
    _expire(client)
    asked = _submit(client, student["csrf"], CODE)
    wrong = _sign_in_with(client, asked.text, "not-a-token-0123456789")
    assert wrong.status_code == 401 and _hidden(wrong.text)["draft_source"] == CODE
    expired_form = client.post("/student/login/draft", data={"token": student["token"], "csrf": "stale",
                                                             **_hidden(asked.text)}, headers=SAME_SITE)
    assert expired_form.status_code == 403 and _hidden(expired_form.text)["draft_source"] == CODE
    back = _sign_in_with(client, wrong.text, student["token"])
    assert back.status_code == 200 and _textarea(back.text) == CODE


def test_nothing_is_kept_from_another_site_or_beyond_the_limits(student: dict[str, Any],
                                                                 make_client: Callable[..., TestClient]) -> None:
    client = student["client"]
    _expire(client)
    forged = _submit(client, student["csrf"], CODE, headers=CROSS_SITE)
    assert forged.status_code == 303 and forged.headers["location"] == "/student/login?next=/student/exercises/rnn"
    empty = _submit(client, student["csrf"], "   \n")
    assert empty.status_code == 303
    too_long = _submit(client, student["csrf"], "x" * (64 * 1024 + 1))  # over RNN_GRADER_MAX_SOURCE_KIB
    assert too_long.status_code == 303
    too_many_bytes = _submit(client, student["csrf"], "中" * (64 * 1024 // 3 + 1))  # 3 bytes each in UTF-8
    assert too_many_bytes.status_code == 303
    # A draft posted straight to the sign-in form from another site: refused like any forged sign-in.
    planted = client.post("/student/login/draft", data={"token": student["token"], "csrf": "x", "draft_kind": "paste",
                                                        "draft_target": "rnn", "draft_source": "evil()"},
                          headers=CROSS_SITE)
    assert planted.status_code == 403 and "evil()" not in planted.text


def test_the_largest_draft_fits_its_sign_in_form(student: dict[str, Any]) -> None:
    """The most code a draft keeps, in the characters that grow most when URL-encoded, still signs in."""
    client = student["client"]
    _expire(client)
    largest = "中" * (64 * 1024 // 3)
    asked = _submit(client, student["csrf"], largest)
    assert asked.status_code == 401 and _hidden(asked.text)["draft_source"] == largest
    back = _sign_in_with(client, asked.text, student["token"])
    assert back.status_code == 200 and _textarea(back.text) == largest


def test_the_plain_sign_in_form_keeps_its_few_kib(api_client: TestClient) -> None:
    big = {"token": "x", "csrf": "y", "draft_kind": "paste", "draft_target": "rnn",
           "draft_source": "x" * (DEFAULT_BYTES + 1024)}
    assert_error(api_client.post("/student/login", data=big), 413, "PayloadTooLarge")
    assert api_client.post("/student/login/draft", data=big).status_code == 403  # read, then refused (CSRF)
    assert_error(api_client.post("/scoreboard/login", data=big), 413, "PayloadTooLarge")


# ---------------------------------------------------------------- the teacher's answer to a regrade request
@pytest.fixture
def open_request(api_client: TestClient, create_student: Callable[..., dict[str, str]],
                 teacher_headers: dict[str, str], database_url: str) -> dict[str, Any]:
    from grader.result import Result
    from server.db import create_db_engine
    from server.grading.claims import write_result

    alice = {"Authorization": create_student(api_client, "alice", "Alice")["authorization"]}
    sid = api_client.post("/api/v1/submissions", json={"exercise": "rnn", "source": "x = 1\n"}, headers=alice).json()
    engine = create_db_engine(database_url)
    try:
        assert write_result(engine, sid["id"], "graded", Result(exercise="rnn", score=40.0, max_score=100.0, parts=[],
                                                                grader_version="g", grading_ms=1.0))
    finally:
        engine.dispose()
    asked = api_client.post(f"/api/v1/submissions/{sid['id']}/regrade-requests", json={"message": "look"},
                            headers=alice)
    assert asked.status_code == 201, asked.text
    page_sign_in(api_client, TEACHER, "/scoreboard")
    csrf = _csrf(api_client.get("/scoreboard").text)
    return {"client": api_client, "id": asked.json()["id"], "csrf": csrf, "teacher": teacher_headers}


ANSWER = {"action": "override", "score": "72.5", "comment": "fair point: the sign convention <is> yours"}


def _resolve(world: dict[str, Any], csrf: str, headers: dict[str, str] = SAME_SITE) -> Any:
    return world["client"].post(f"/scoreboard/regrade-requests/{world['id']}/resolve",
                                data={"csrf": csrf, **ANSWER}, headers=headers, follow_redirects=False)


def _form_of(page: str, request_id: int) -> str:
    found = re.search(rf'<tr data-request="{request_id}">.*?</tr>', page, re.S)
    assert found is not None, page
    return found.group(0)


def _is_open(world: dict[str, Any]) -> bool:
    row = world["client"].get(f"/api/v1/regrade-requests/{world['id']}", headers=world["teacher"]).json()
    return bool(row["status"] == "open")


def test_the_teachers_answer_survives_an_expired_session(open_request: dict[str, Any]) -> None:
    world, client = open_request, open_request["client"]
    _expire(client)
    asked = _resolve(world, world["csrf"])
    assert asked.status_code == 401 and 'action="/scoreboard/login/draft"' in asked.text
    assert _hidden(asked.text) == {"draft_kind": "resolve", "draft_target": str(world["id"]), **{
        f"draft_{k}": v for k, v in ANSWER.items()}}
    assert _is_open(world)  # nothing was done

    back = _sign_in_with(client, asked.text, TEACHER, "/scoreboard")
    assert back.status_code == 200, back.text
    form = _form_of(back.text, world["id"])
    assert '<option value="override" selected>' in form and 'value="72.5"' in form
    assert html.escape(ANSWER["comment"]) in form and "autofocus" in form
    assert 'id="draft-notice"' in back.text and f"request {world['id']}" in back.text
    assert '<meta name="rnn-grader-url" content="/scoreboard">' in back.text

    done = _resolve(world, _csrf(back.text))
    assert done.status_code == 303 and not _is_open(world)


def test_a_teacher_form_of_an_earlier_session_comes_back_filled_in(open_request: dict[str, Any]) -> None:
    world = open_request
    stale = _resolve(world, "a-value-of-an-earlier-session")
    assert stale.status_code == 200 and 'id="draft-notice"' in stale.text
    assert 'value="72.5"' in _form_of(stale.text, world["id"]) and _is_open(world)
    forged = _resolve(world, "forged", headers=CROSS_SITE)
    assert forged.status_code == 303 and forged.headers["location"] == "/scoreboard" and _is_open(world)


def test_an_answer_to_a_request_resolved_meanwhile_is_shown_not_lost(open_request: dict[str, Any]) -> None:
    world, client = open_request, open_request["client"]
    _expire(client)
    asked = _resolve(world, world["csrf"])
    set_clock(client, dt.datetime.now(dt.UTC))
    other = client.post(f"/api/v1/regrade-requests/{world['id']}/resolve", json={"action": "reject", "comment": "no"},
                        headers=world["teacher"])
    assert other.status_code == 200, other.text
    back = _sign_in_with(client, asked.text, TEACHER, "/scoreboard")
    assert back.status_code == 200 and "no longer open" in back.text
    assert html.escape(ANSWER["comment"]) in back.text


@pytest.mark.parametrize("score", ["nan", "inf", "-inf"])
def test_a_non_finite_score_on_the_page_is_a_422_page(open_request: dict[str, Any], score: str) -> None:
    world = open_request
    page = world["client"].post(f"/scoreboard/regrade-requests/{world['id']}/resolve",
                                data={"csrf": world["csrf"], "action": "override", "score": score, "comment": "c"})
    assert page.status_code == 422 and _is_open(world)


@pytest.mark.parametrize("url", ["/student/submissions/1/charts", "/scoreboard/submissions/1/charts"])
def test_a_form_without_text_posted_without_a_session_comes_back_to_its_pages(api_client: TestClient,
                                                                              url: str) -> None:
    """Nothing to keep: to the sign-in form, which then leads to the pages' home (never to a GET of a route
    that only takes POST, which would be a 405)."""
    pages = "/" + url.split("/")[1]
    asked = api_client.post(url, data={"csrf": "x"}, headers=SAME_SITE, follow_redirects=False)
    assert asked.status_code == 303 and asked.headers["location"] == f"{pages}/login?next={pages}"


@pytest.mark.parametrize("target", ["\u00b2", "\u0663", "99999999999999999999999", "-1"])
def test_a_draft_for_a_request_that_is_no_number_is_shown_as_gone(open_request: dict[str, Any], target: str) -> None:
    # A superscript two passes str.isdigit() but not int(): it used to be a 500 after sign-in.
    world, client = open_request, open_request["client"]
    _expire(client)
    asked = _resolve(world, world["csrf"])
    form = {"token": TEACHER, "csrf": _csrf(asked.text), "next": "/scoreboard",
            **_hidden(asked.text), "draft_target": target}
    back = client.post("/scoreboard/login/draft", data=form, headers=SAME_SITE, follow_redirects=False)
    assert back.status_code == 200, back.text
    assert 'id="draft-notice"' in back.text and _is_open(world)
