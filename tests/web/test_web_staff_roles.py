"""The teacher's pages by role, on SQLite and PostgreSQL: a TA's scoreboard offers no score override and the
server refuses a forged one (the request stays open); an instructor's offers it; the drill-down and the audit
page say who is signed in; the audit page shows each entry's role and filters like GET /api/v1/audit."""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import closing
from typing import Any

import pytest
from helpers import page_sign_in
from starlette.testclient import TestClient

from grader.result import Result
from server.grading.claims import write_result


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def _who(html: str) -> str:
    found = re.search(r'id="signed-in">([^<]*)<', html)
    assert found is not None, html[:300]
    return found.group(1)


@pytest.fixture
def course(api_client: TestClient, create_student: Callable[..., dict[str, str]],
           make_staff: Callable[..., dict[str, str]]) -> dict[str, Any]:
    student = create_student(api_client, "s1", "Ada")
    own = {"Authorization": student["authorization"]}
    sid = api_client.post("/api/v1/submissions", json={"exercise": "rnn", "source": "x = 1\n"},
                          headers=own).json()["id"]
    result = Result(exercise="rnn", score=40.0, max_score=100.0, parts=[], grader_version="g", grading_ms=1.0)
    assert write_result(api_client.app.state.ctx.engine, sid, "graded", result)  # type: ignore[attr-defined]
    request = api_client.post(f"/api/v1/submissions/{sid}/regrade-requests", json={"message": "look again"},
                              headers=own).json()
    tokens = {role: make_staff(api_client, f"{role}1", role, name=f"{role.upper()} One")["Authorization"]
              .removeprefix("Bearer ") for role in ("ta", "instructor")}
    return {"client": api_client, "request": request["id"], "submission": sid, "tokens": tokens}


def _signed_in(course: dict[str, Any], role: str) -> TestClient:
    browser = TestClient(course["client"].app)
    assert page_sign_in(browser, course["tokens"][role]).status_code == 303
    return browser


def test_a_ta_is_offered_no_override_and_a_forged_one_is_refused(course: dict[str, Any]) -> None:
    with closing(_signed_in(course, "ta")) as ta, closing(_signed_in(course, "instructor")) as instructor:
        page = ta.get("/scoreboard")
        assert _who(page.text) == "TA One · TA"
        form = re.search(r'<form method="post" action="/scoreboard/regrade-requests/(\d+)/resolve".*?</form>',
                         page.text, re.S)
        assert form is not None and form.group(1) == str(course["request"])
        assert 'value="reject"' in form.group(0) and 'value="regrade"' in form.group(0)
        assert 'value="override"' not in form.group(0) and 'name="score"' not in form.group(0)
        url = f"/scoreboard/regrade-requests/{course['request']}/resolve"
        forged = ta.post(url, data={"csrf": _csrf(page.text), "action": "override", "score": "100", "comment": "x"})
        assert forged.status_code == 403 and "needs an instructor" in forged.text
        state = course["client"].get(f"/api/v1/regrade-requests/{course['request']}",
                                     headers={"Authorization": f"Bearer {course['tokens']['ta']}"}).json()
        assert state["status"] == "open"

        page = instructor.get("/scoreboard")
        assert _who(page.text) == "INSTRUCTOR One · instructor"
        assert 'value="override"' in page.text and 'name="score"' in page.text
        done = instructor.post(url, data={"csrf": _csrf(page.text), "action": "override", "score": "100",
                                          "comment": "fair"}, follow_redirects=False)
        assert done.status_code == 303
        ta_headers = {"Authorization": f"Bearer {course['tokens']['ta']}"}
        assert course["client"].get("/api/v1/scoreboard", headers=ta_headers).json()[0]["scores"]["rnn"] == 100


def test_the_drill_down_and_the_audit_page_say_who_is_signed_in_and_show_roles(course: dict[str, Any]) -> None:
    client = course["client"]
    ta_headers = {"Authorization": f"Bearer {course['tokens']['ta']}"}
    client.put("/api/v1/extensions/s1/rnn", json={"deadline": "2999-01-01T00:00:00Z"}, headers=ta_headers)
    with closing(_signed_in(course, "ta")) as ta:
        drill_down = ta.get("/scoreboard/students/s1")
        assert drill_down.status_code == 200 and _who(drill_down.text) == "TA One · TA"
        audit = ta.get("/scoreboard/audit")
        assert _who(audit.text) == "TA One · TA"
        rows = re.findall(r'<tr data-audit="\d+">\s*<td>.*?</td>\s*<td class="mono">([^<]*)</td>\s*<td>([^<]*)</td>'
                          r'\s*<td class="mono">([^<]*)</td>', audit.text, re.S)
        assert rows == [("ta1", "TA", "extension.set"), ("admin", "instructor", "student.add")]
        only_ta = ta.get("/scoreboard/audit", params={"role": "ta"})
        assert re.findall(r'<tr data-audit="\d+">', only_ta.text) and "student.add" not in only_ta.text
        assert 'option value="ta" selected' in only_ta.text
        assert "extension.set" not in ta.get("/scoreboard/audit", params={"actor": "admin"}).text
        assert ta.get("/scoreboard/audit", params={"role": "nonsense", "actor": "x" * 500}).status_code == 200
        zh = ta.get("/scoreboard/audit", params={"lang": "zh"})
        assert "助教" in zh.text and "角色" in zh.text


def test_a_drill_down_of_an_id_no_student_can_have_is_a_404(course: dict[str, Any]) -> None:
    # A NUL in the path reached PostgreSQL, which refuses it (a 500); any id outside the pattern is nobody's.
    with closing(_signed_in(course, "ta")) as ta:
        for path in ("/scoreboard/students/%00", "/scoreboard/students/s1%00", "/scoreboard/students/%F0%9F%98%80",
                     "/scoreboard/students/" + "a" * 300):
            assert ta.get(path).status_code == 404, path
        assert ta.get("/scoreboard/students/s1").status_code == 200


def test_a_tas_audit_page_and_scoreboard_leave_out_the_staff_accounts_entries(course: dict[str, Any]) -> None:
    client = course["client"]
    instructor_headers = {"Authorization": f"Bearer {course['tokens']['instructor']}"}
    added = client.post("/api/v1/staff", json={"staff_id": "ta9", "name": "New TA", "role": "ta",
                                               "email": "new.ta@example.edu"}, headers=instructor_headers)
    assert added.status_code == 201
    with closing(_signed_in(course, "ta")) as ta, closing(_signed_in(course, "instructor")) as instructor:
        for path in ("/scoreboard/audit", "/scoreboard"):
            assert "staff.add" not in ta.get(path).text and "new.ta@example.edu" not in ta.get(path).text
            assert "staff.add" in instructor.get(path).text
