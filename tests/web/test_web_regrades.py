"""The scoreboard page's regrade sections, on SQLite and PostgreSQL: open regrade requests resolved from
the page (CSRF-checked, errors shown, a second resolve refused), regrade batches with their report
(HTML and CSV) and the audit log."""

from __future__ import annotations

import re
from typing import Any

from starlette.testclient import TestClient
from test_web_pages import board, login, make_result  # noqa: F401  (board is a fixture)

from server.db import create_db_engine
from server.grading.claims import write_result


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def _ask(client: TestClient, student: str, message: str) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {client.tokens[student]}"}  # type: ignore[attr-defined]
    sid = client.get("/api/v1/submissions", headers=headers).json()[0]["id"]
    response = client.post(f"/api/v1/submissions/{sid}/regrade-requests", json={"message": message}, headers=headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_resolve_a_request_on_the_page_then_read_the_report_and_the_audit_log(
    board: Any, database_url: str,  # noqa: F811  (the fixture imported above)
) -> None:
    client = board([("s1", "Ada", [make_result(30, 20)]), ("s2", "Bo", [make_result(10)])])
    assert login(client).status_code == 303
    first = _ask(client, "s1", "forward <is> right")
    second = _ask(client, "s2", "please look again")
    page = client.get("/scoreboard")
    assert page.status_code == 200
    assert re.findall(r'<tr data-request="(\d+)"', page.text) == [str(first["id"]), str(second["id"])]
    assert "forward &lt;is&gt; right" in page.text  # escaped
    csrf = _csrf(page.text)
    url = f"/scoreboard/regrade-requests/{first['id']}/resolve"

    forged = client.post(url, data={"csrf": "forged", "action": "reject"}, follow_redirects=False)
    assert forged.status_code == 303
    too_high = client.post(url, data={"csrf": csrf, "action": "override", "score": "101", "comment": "x"})
    assert too_high.status_code == 422 and "between 0 and 100" in too_high.text
    not_a_number = client.post(url, data={"csrf": csrf, "action": "override", "score": "lots", "comment": "x"})
    assert not_a_number.status_code == 422
    done = client.post(url, data={"csrf": csrf, "action": "override", "score": "72.5", "comment": "fair point"},
                       follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/scoreboard#requests"
    again = client.post(url, data={"csrf": csrf, "action": "reject", "comment": "no"})
    assert again.status_code == 409

    teacher = {"Authorization": "Bearer teacher-token-for-tests-0123456789"}
    scores = {r["student_id"]: r["scores"]["rnn"] for r in client.get("/api/v1/scoreboard", headers=teacher).json()}
    assert scores == {"s1": 72.5, "s2": 10.0}
    answered = client.get("/api/v1/regrade-requests", headers={"Authorization": f"Bearer {client.tokens['s1']}"})
    assert [(r["action"], r["comment"]) for r in answered.json()] == [("override", "fair point")]

    regrade = client.post(f"/scoreboard/regrade-requests/{second['id']}/resolve",
                          data={"csrf": csrf, "action": "regrade", "comment": "rechecking"}, follow_redirects=False)
    assert regrade.status_code == 303
    page = client.get("/scoreboard").text
    assert 'id="no-requests"' in page
    batches = re.findall(r'<tr data-batch="(\d+)"', page)
    assert len(batches) == 1
    report = client.get(f"/scoreboard/regrades/{batches[0]}")
    assert report.status_code == 200 and 'data-change="pending"' in report.text
    engine = create_db_engine(database_url)
    try:
        assert write_result(engine, second["submission_id"], "graded", make_result(25))
    finally:
        engine.dispose()
    report = client.get(f"/scoreboard/regrades/{batches[0]}")
    assert '<tr data-student="s2" data-change="up">' in report.text and "1 up" in report.text
    csv_file = client.get(f"/scoreboard/regrades/{batches[0]}.csv")
    assert csv_file.status_code == 200 and "s2,Bo,rnn,10,25,up,1,0" in csv_file.content.decode("utf-8-sig")
    assert client.get("/scoreboard/regrades/987654").status_code == 404

    audit = client.get("/scoreboard/audit").text
    assert re.findall(r'<td class="mono">(regrade_request\.resolve|override|regrade)</td>', audit) == [
        "regrade_request.resolve", "regrade", "regrade_request.resolve", "override"]
    assert "fair point" in audit
    client.cookies.clear()
    assert client.get(f"/scoreboard/regrades/{batches[0]}", follow_redirects=False).status_code == 303
    assert client.get(f"/scoreboard/regrades/{batches[0]}.csv").status_code == 401
    assert client.get("/scoreboard/audit", follow_redirects=False).status_code == 303
