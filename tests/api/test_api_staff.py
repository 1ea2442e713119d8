"""Staff accounts through the API (an instructor's): add (the token shown once), list, disable, enable,
rotate; `admin` is the bootstrap instructor (reserved; `disable admin` retires its token); disabling or a
new token ends the person's browser sessions; the course always keeps an enabled instructor; every change
is audited with its actor and role and never with a token. On SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import closing
from typing import Any

import httpx
import pytest
from helpers import assert_error, page_sign_in
from starlette.testclient import TestClient

URL = "/api/v1/staff"
TEACHER = "teacher-token-for-tests-0123456789"  # tests/conftest.py: the bootstrap instructor `admin`


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def add(client: TestClient, by: dict[str, str], staff_id: str, role: str, **extra: str) -> dict[str, Any]:
    response = client.post(URL, json={"staff_id": staff_id, "name": f"Name of {staff_id}", "role": role, **extra},
                           headers=by)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def whoami(client: TestClient, token: str) -> int:
    """200 if the token is a working staff token (the staff-only scoreboard), else its status."""
    return client.get("/api/v1/scoreboard", headers=bearer(token)).status_code


def signed_in_page(client: TestClient) -> bool:
    return client.get("/scoreboard", follow_redirects=False).status_code == 200


def audit(client: TestClient, **params: str) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = client.get("/api/v1/audit", params=params, headers=bearer(TEACHER)).json()
    return entries


def test_an_instructor_adds_staff_whose_tokens_work_with_their_role(api_client: TestClient,
                                                                    teacher_headers: dict[str, str]) -> None:
    ta = add(api_client, teacher_headers, "ta-li", "ta")
    assert set(ta) == {"staff_id", "name", "role", "token"} and ta["role"] == "ta"
    prof = add(api_client, teacher_headers, "prof-wu", "instructor", email="wu@example.edu")
    assert prof["email"] == "wu@example.edu" and prof["token"] != ta["token"]
    assert whoami(api_client, ta["token"]) == 200
    # The TA's own token: a TA may not add staff or list them; the new instructor may.
    assert_error(api_client.post(URL, json={"staff_id": "x", "name": "X", "role": "ta"}, headers=bearer(ta["token"])),
                 403, "InstructorOnly")
    listed = api_client.get(URL, headers=bearer(prof["token"]))
    assert listed.status_code == 200
    assert [(s["staff_id"], s["role"], s.get("bootstrap", False)) for s in listed.json()] == [
        ("admin", "instructor", True), ("prof-wu", "instructor", False), ("ta-li", "ta", False)]
    assert not any("token" in s or "token_hash" in s for s in listed.json())


@pytest.mark.parametrize(("body", "status", "error"), [
    ({"staff_id": "admin", "name": "A", "role": "instructor"}, 409, "StaffExists"),
    ({"staff_id": "ta 1", "name": "A", "role": "ta"}, 422, "ValidationError"),
    ({"staff_id": "ta1", "name": "A", "role": "admin"}, 422, "ValidationError"),
    ({"staff_id": "ta1", "name": "", "role": "ta"}, 422, "ValidationError"),
    ({"staff_id": "ta1", "name": "A", "role": "ta", "email": "no-at-sign"}, 422, "ValidationError"),
])
def test_bad_staff_are_refused_with_the_reason(api_client: TestClient, teacher_headers: dict[str, str],
                                               body: dict[str, str], status: int, error: str) -> None:
    assert_error(api_client.post(URL, json=body, headers=teacher_headers), status, error)


def test_an_existing_staff_id_is_refused_and_nobody_else_may_manage_staff(
    api_client: TestClient, teacher_headers: dict[str, str], create_student: Callable[..., dict[str, str]],
) -> None:
    add(api_client, teacher_headers, "ta1", "ta")
    assert_error(api_client.post(URL, json={"staff_id": "ta1", "name": "B", "role": "instructor"},
                                 headers=teacher_headers), 409, "StaffExists")
    student = bearer(create_student(api_client, "s1")["token"])
    for method, path in (("POST", URL), ("GET", URL), ("POST", f"{URL}/ta1/disable"), ("POST", f"{URL}/ta1/token"),
                         ("POST", f"{URL}/ta1/enable")):
        assert_error(api_client.request(method, path, headers=student), 403, "TeacherOnly")
        assert_error(api_client.request(method, path), 401, "Unauthorized")
    for path in (f"{URL}/nobody/disable", f"{URL}/nobody/token", f"{URL}/nobody/enable"):
        assert_error(api_client.post(path, headers=teacher_headers), 404, "StaffNotFound")


def test_disabling_ends_the_token_and_the_browser_sessions_and_enabling_issues_a_new_token(
    api_client: TestClient, teacher_headers: dict[str, str],
) -> None:
    ta = add(api_client, teacher_headers, "ta1", "ta")
    with closing(TestClient(api_client.app)) as browser:
        assert page_sign_in(browser, ta["token"]).status_code == 303 and signed_in_page(browser)
        disabled = api_client.post(f"{URL}/ta1/disable", headers=teacher_headers)
        assert disabled.status_code == 200 and disabled.json()["disabled_at"]
        assert not signed_in_page(browser)
        assert page_sign_in(browser, ta["token"]).status_code == 401
    assert_error(api_client.get("/api/v1/scoreboard", headers=bearer(ta["token"])), 401, "Unauthorized")
    again = api_client.post(f"{URL}/ta1/disable", headers=teacher_headers)  # nothing changes
    assert again.status_code == 200 and again.json()["disabled_at"] == disabled.json()["disabled_at"]
    assert_error(api_client.post(f"{URL}/ta1/token", headers=teacher_headers), 409, "StaffDisabled")
    enabled = api_client.post(f"{URL}/ta1/enable", headers=teacher_headers)
    assert enabled.status_code == 200 and set(enabled.json()) == {"staff_id", "name", "role", "token"}
    assert whoami(api_client, enabled.json()["token"]) == 200 and whoami(api_client, ta["token"]) == 401
    assert_error(api_client.post(f"{URL}/ta1/enable", headers=teacher_headers), 409, "StaffExists")
    assert [(e["action"], e["actor"], e["role"]) for e in audit(api_client, target="staff:ta1")] == [
        ("staff.enable", "admin", "instructor"), ("staff.disable", "admin", "instructor"),
        ("staff.add", "admin", "instructor")]


def test_a_new_token_replaces_the_old_one_and_ends_its_sessions(api_client: TestClient,
                                                                teacher_headers: dict[str, str]) -> None:
    prof = add(api_client, teacher_headers, "prof", "instructor")
    with closing(TestClient(api_client.app)) as browser:
        assert page_sign_in(browser, prof["token"]).status_code == 303
        rotated = api_client.post(f"{URL}/prof/token", headers=bearer(prof["token"]))  # their own
        assert rotated.status_code == 200 and rotated.json()["token"] != prof["token"]
        assert not signed_in_page(browser)
    assert whoami(api_client, prof["token"]) == 401 and whoami(api_client, rotated.json()["token"]) == 200
    assert_error(api_client.post(f"{URL}/admin/token", headers=teacher_headers), 409, "BootstrapAccount")
    assert_error(api_client.post(f"{URL}/admin/enable", headers=teacher_headers), 409, "BootstrapAccount")
    [entry] = audit(api_client, action="staff.token")
    assert (entry["actor"], entry["role"], entry["target"]) == ("prof", "instructor", "staff:prof")
    assert prof["token"] not in str(audit(api_client)) and rotated.json()["token"] not in str(audit(api_client))


def test_the_course_keeps_an_instructor_and_the_bootstrap_token_can_be_retired(
    make_client: Callable[..., TestClient], teacher_headers: dict[str, str],
) -> None:
    client = make_client()
    # `admin` alone: it cannot be retired.
    assert_error(client.post(f"{URL}/admin/disable", headers=teacher_headers), 409, "LastInstructor")
    first = add(client, teacher_headers, "prof-a", "instructor")
    # While `admin` works, the only named instructor may be disabled (and enabled again).
    assert client.post(f"{URL}/prof-a/disable", headers=teacher_headers).status_code == 200
    first = client.post(f"{URL}/prof-a/enable", headers=teacher_headers).json()
    with closing(TestClient(client.app)) as browser:
        assert page_sign_in(browser, TEACHER).status_code == 303
        retired = client.post(f"{URL}/admin/disable", headers=bearer(first["token"]))
        assert retired.status_code == 200 and retired.json()["bootstrap"] and retired.json()["disabled_at"]
        assert not signed_in_page(browser)  # the bootstrap instructor's sessions end with it
    assert whoami(client, TEACHER) == 401
    assert client.get(URL, headers=bearer(first["token"])).json()[0]["disabled_at"] == retired.json()["disabled_at"]
    # Now prof-a is the last instructor: not even prof-a may disable prof-a.
    assert_error(client.post(f"{URL}/prof-a/disable", headers=bearer(first["token"])), 409, "LastInstructor")
    second = add(client, bearer(first["token"]), "prof-b", "instructor")
    assert client.post(f"{URL}/prof-a/disable", headers=bearer(second["token"])).status_code == 200
    assert_error(client.post(f"{URL}/prof-b/disable", headers=bearer(second["token"])), 409, "LastInstructor")
    # A TA never counts: disabling one is always fine.
    add(client, bearer(second["token"]), "ta1", "ta")
    assert client.post(f"{URL}/ta1/disable", headers=bearer(second["token"])).status_code == 200
    # Whoever runs the server brings `admin` back with a new RNN_GRADER_ADMIN_TOKEN (the way out of a lock-out).
    renewed = make_client(admin_token="a-new-bootstrap-token-0123456789")
    assert whoami(renewed, "a-new-bootstrap-token-0123456789") == 200 and whoami(renewed, TEACHER) == 401
    admin = bearer("a-new-bootstrap-token-0123456789")
    assert not renewed.get(URL, headers=admin).json()[0]["disabled_at"]
    assert renewed.post(f"{URL}/prof-b/disable", headers=admin).status_code == 200  # `admin` counts again
    assert_error(renewed.post(f"{URL}/admin/disable", headers=admin), 409, "LastInstructor")
    assert [(e["action"], e["actor"], e["role"]) for e in renewed.get(
        "/api/v1/audit", params={"target": "staff:"}, headers=admin).json()] == []  # exact targets only
    assert [(e["action"], e["actor"], e["target"]) for e in renewed.get(
        "/api/v1/audit", params={"action": "staff.disable"}, headers=admin).json()] == [
        ("staff.disable", "admin", "staff:prof-b"), ("staff.disable", "prof-b", "staff:ta1"),
        ("staff.disable", "prof-b", "staff:prof-a"), ("staff.disable", "prof-a", "staff:admin"),
        ("staff.disable", "admin", "staff:prof-a")]


def test_two_instructors_disabling_each_other_at_once_leave_one(
    make_client: Callable[..., TestClient], teacher_headers: dict[str, str],
) -> None:
    client = make_client()
    a = add(client, teacher_headers, "prof-a", "instructor")
    b = add(client, teacher_headers, "prof-b", "instructor")
    assert client.post(f"{URL}/admin/disable", headers=bearer(a["token"])).status_code == 200
    start = threading.Barrier(2)
    answers: dict[str, httpx.Response] = {}

    def disable(who: dict[str, Any], other: str) -> None:
        with closing(TestClient(client.app)) as own:
            start.wait()
            answers[other] = own.post(f"{URL}/{other}/disable", headers=bearer(who["token"]))

    threads = [threading.Thread(target=disable, args=(a, "prof-b")), threading.Thread(target=disable,
                                                                                      args=(b, "prof-a"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Whichever came second was refused (or found its own token disabled first): one instructor is left.
    assert sorted(r.status_code for r in answers.values()) in ([200, 401], [200, 409]), answers
    enabled = [s for s in client.get(URL, headers=bearer(a["token"] if answers["prof-a"].status_code != 200
                                                          else b["token"])).json()
               if s["role"] == "instructor" and not s.get("disabled_at")]
    assert len(enabled) == 1
