"""An expired session loses no typed text, in a real browser (Debian's chromium through playwright) against a
real server process (server.web.drafts).

The student pastes code, the session ends (its row's end moves into the past, as twelve hours would), the
student presses Submit: the sign-in form comes, saying so; after signing in, the exercise page is back at
its own address with the code in the paste box, and submitting it stores exactly that code.
The teacher types an answer to a regrade request; the session ends: the live page does not reload the typed
answer away, and pressing Resolve, signing in again, brings the scoreboard back with the answer in its form.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from browser_support import SHOTS, axe_violations, chromium_page, running_server

from grader.result import Result
from server.auth.models import WebSession
from server.grading.claims import write_result
from server.tables import table_of

pytestmark = pytest.mark.browser

TEACHER = "browser-test-teacher-token-drafts-012345"
CODE = ("import numpy as np\n\n\ndef rnn_forward(x, h0, Wx, Wh, b):\n"
        "    # 前向传播 <b>&amp;</b> \"quoted\"\n    return np.tanh(x @ Wx + h0 @ Wh + b), None\n")
ANSWER = "The sign convention is yours: full marks for forward."


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("browser-drafts")
    with running_server(tmp, TEACHER, workers="0") as base:
        created = httpx.post(f"{base}/api/v1/students", json={"student_id": "s1", "name": "Ada Lovelace"},
                             headers={"Authorization": f"Bearer {TEACHER}"}, timeout=30)
        assert created.status_code == 201, created.text
        engine = sa.create_engine(f"sqlite:///{tmp / 'data' / 'rnn-grader.db'}")
        try:
            yield {"base": base, "token": created.json()["token"], "engine": engine}
        finally:
            engine.dispose()


def _end_sessions(engine: sa.Engine) -> None:
    """Every browser session ends now, as it would twelve hours after sign-in."""
    sessions = table_of(WebSession)
    with engine.begin() as conn:
        conn.execute(sa.update(sessions).values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)))


def _sources(server: dict[str, Any]) -> list[str]:
    headers = {"Authorization": f"Bearer {TEACHER}"}
    listed = httpx.get(f"{server['base']}/api/v1/submissions", headers=headers, timeout=30).json()
    with server["engine"].connect() as conn:
        return [conn.execute(sa.text("SELECT source FROM submissions WHERE id = :i"), {"i": s["id"]}).scalar_one()
                for s in listed]


def test_pasted_code_survives_an_expired_session(server: dict[str, Any]) -> None:
    base = server["base"]
    with chromium_page() as page:
        page.goto(f"{base}/student")
        page.fill("#token", server["token"])
        page.click("#sign-in")
        page.wait_for_selector("table#exercises")
        page.goto(f"{base}/student/exercises/rnn")
        page.fill("#source", CODE)

        _end_sessions(server["engine"])
        page.click("#paste-submit")
        page.wait_for_selector("#login-notice")
        assert "code was not submitted" in (page.text_content("#login-notice") or "")
        assert _sources(server) == []
        assert not axe_violations(page)
        page.screenshot(path=str(SHOTS / "drafts-01-sign-in-again.png"), full_page=True)

        page.fill("#token", server["token"])
        page.click("#sign-in")
        page.wait_for_selector("#submit-notice")
        assert page.input_value("#source") == CODE
        page.wait_for_url(f"{base}/student/exercises/rnn")  # its own address again (a reload is a GET)
        assert not axe_violations(page)
        page.screenshot(path=str(SHOTS / "drafts-02-code-back.png"), full_page=True)

        page.click("#paste-submit")
        page.wait_for_url(re.compile(r".*/student/submissions/\d+$"))
    assert [s.replace("\r\n", "\n") for s in _sources(server)] == [CODE]


def _open_request(server: dict[str, Any]) -> int:
    student = {"Authorization": f"Bearer {server['token']}"}
    sub = httpx.post(f"{server['base']}/api/v1/submissions", json={"exercise": "rnn", "source": "x = 1\n"},
                     headers=student, timeout=30).json()
    result = Result(exercise="rnn", score=40.0, max_score=100.0, parts=[], grader_version="g", grading_ms=1.0)
    assert write_result(server["engine"], sub["id"], "graded", result)
    asked = httpx.post(f"{server['base']}/api/v1/submissions/{sub['id']}/regrade-requests",
                       json={"message": "please look at forward"}, headers=student, timeout=30)
    assert asked.status_code == 201, asked.text
    return int(asked.json()["id"])


def test_the_teachers_typed_answer_survives_an_expired_session(server: dict[str, Any]) -> None:
    base = server["base"]
    request_id = _open_request(server)
    row = f'tr[data-request="{request_id}"]'
    with chromium_page() as page:
        page.goto(f"{base}/scoreboard/login")
        page.fill("#token", TEACHER)
        page.click("#sign-in")
        page.wait_for_selector(row)
        page.evaluate("() => { window.__sameDocument = true; }")
        page.select_option(f'{row} select[name="action"]', "override")
        page.fill(f'{row} input[name="score"]', "90")
        page.fill(f'{row} input[name="comment"]', ANSWER)

        # The live refresh learns that the session ended; it must not reload the typed answer away.
        with page.expect_response(lambda r: r.url.endswith("/scoreboard/state") and r.status == 401,
                                  timeout=30_000):
            _end_sessions(server["engine"])
        page.wait_for_selector("#live-status.off")
        assert page.evaluate("() => window.__sameDocument === true")
        assert page.input_value(f'{row} input[name="comment"]') == ANSWER

        page.click(f"{row} button[type=submit]")
        page.wait_for_selector("#login-notice")
        page.fill("#token", TEACHER)
        page.click("#sign-in")
        page.wait_for_selector("#draft-notice")
        page.wait_for_url(f"{base}/scoreboard")
        assert page.input_value(f'{row} input[name="comment"]') == ANSWER
        assert page.input_value(f'{row} input[name="score"]') == "90"
        assert page.input_value(f'{row} select[name="action"]') == "override"
        assert not axe_violations(page)
        page.screenshot(path=str(SHOTS / "drafts-03-answer-back.png"), full_page=True)

        page.click(f"{row} button[type=submit]")
        page.wait_for_url(re.compile(r".*/scoreboard(#requests)?$"))
    resolved = httpx.get(f"{base}/api/v1/regrade-requests/{request_id}",
                         headers={"Authorization": f"Bearer {TEACHER}"}, timeout=30).json()
    assert resolved["status"] == "resolved" and resolved["comment"] == ANSWER and resolved["score"] == 90

