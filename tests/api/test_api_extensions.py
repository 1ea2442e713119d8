"""Contract: /api/v1/extensions (PUT, DELETE, GET with filters, CSV import), teacher only."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from helpers import assert_error
from starlette.testclient import TestClient

URL = "/api/v1/extensions"


@pytest.fixture
def client(api_client: TestClient, create_student: Callable[..., dict[str, str]]) -> TestClient:
    create_student(api_client, "alice", "Alice")
    create_student(api_client, "bob", "Bob")
    return api_client


def test_put_stores_and_returns_the_extension_in_utc(client: TestClient, teacher_headers: dict[str, str]) -> None:
    response = client.put(f"{URL}/alice/rnn", json={"deadline": "2026-12-27T23:59:00+08:00"}, headers=teacher_headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["student_id"], body["exercise"]) == ("alice", "rnn")
    assert dt.datetime.fromisoformat(body["deadline"]) == dt.datetime(2026, 12, 27, 15, 59, tzinfo=dt.UTC)
    assert body["exercise_deadline"] is not None and body["updated_at"]
    # A second PUT replaces it.
    again = client.put(f"{URL}/alice/rnn", json={"deadline": "2026-12-30T00:00:00Z"}, headers=teacher_headers)
    assert dt.datetime.fromisoformat(again.json()["deadline"]) == dt.datetime(2026, 12, 30, tzinfo=dt.UTC)
    listed = client.get(URL, headers=teacher_headers).json()
    assert [(e["student_id"], e["deadline"]) for e in listed] == [("alice", again.json()["deadline"])]


@pytest.mark.parametrize(
    "deadline",
    ["2026-12-27T23:59:00", "next friday", "", None, "9999-12-31T23:59:59+00:00", "0001-01-01T00:00:00+01:00"],
)
def test_a_deadline_without_offset_or_unreadable_is_422(
    client: TestClient, teacher_headers: dict[str, str], deadline: str | None
) -> None:
    response = client.put(f"{URL}/alice/rnn", json={"deadline": deadline}, headers=teacher_headers)
    assert_error(response, 422, "ValidationError")
    assert client.get(URL, headers=teacher_headers).json() == []


def test_unknown_student_or_exercise_is_404(client: TestClient, teacher_headers: dict[str, str]) -> None:
    body = {"deadline": "2026-12-27T23:59:00+08:00"}
    assert_error(client.put(f"{URL}/nobody/rnn", json=body, headers=teacher_headers), 404, "StudentNotFound")
    assert_error(client.put(f"{URL}/alice/nope", json=body, headers=teacher_headers), 404, "ExerciseNotFound")


def test_delete_then_absent_is_404(client: TestClient, teacher_headers: dict[str, str]) -> None:
    client.put(f"{URL}/alice/rnn", json={"deadline": "2026-12-27T23:59:00+08:00"}, headers=teacher_headers)
    response = client.delete(f"{URL}/alice/rnn", headers=teacher_headers)
    assert response.status_code == 204 and response.content == b""
    assert_error(client.delete(f"{URL}/alice/rnn", headers=teacher_headers), 404, "ExtensionNotFound")
    assert client.get(URL, headers=teacher_headers).json() == []


def test_list_filters_by_student_and_exercise(client: TestClient, teacher_headers: dict[str, str]) -> None:
    for student in ("alice", "bob"):
        client.put(f"{URL}/{student}/rnn", json={"deadline": "2026-12-27T23:59:00+08:00"}, headers=teacher_headers)
    assert [e["student_id"] for e in client.get(URL, headers=teacher_headers).json()] == ["alice", "bob"]
    only_bob = client.get(URL, params={"student_id": "bob"}, headers=teacher_headers).json()
    assert [e["student_id"] for e in only_bob] == ["bob"]
    assert client.get(URL, params={"exercise": "other"}, headers=teacher_headers).json() == []
    assert len(client.get(URL, params={"exercise": "rnn", "student_id": "alice"}, headers=teacher_headers).json()) == 1


def test_students_cannot_touch_extensions(
    api_client: TestClient, create_student: Callable[..., dict[str, str]]
) -> None:
    alice = {"Authorization": create_student(api_client, "alice", "Alice")["authorization"]}
    body = {"deadline": "2999-12-27T23:59:00+08:00"}
    assert_error(api_client.put(f"{URL}/alice/rnn", json=body, headers=alice), 403, "TeacherOnly")
    assert_error(api_client.get(URL, headers=alice), 403, "TeacherOnly")
    assert_error(api_client.delete(f"{URL}/alice/rnn", headers=alice), 403, "TeacherOnly")
    assert_error(api_client.get(URL), 401, "Unauthorized")


def _upload(client: TestClient, headers: dict[str, str], text: str) -> object:
    files = {"file": ("extensions.csv", text.encode("utf-8"), "text/csv")}
    return client.post(f"{URL}/import", files=files, headers=headers)


def test_csv_import_sets_every_row(client: TestClient, teacher_headers: dict[str, str]) -> None:
    text = "\ufeffstudent_id,exercise,deadline\nalice,rnn,2026-12-27T23:59:00+08:00\n\nbob,rnn,2026-12-28T10:00:00Z\n"
    response = _upload(client, teacher_headers, text)
    assert response.status_code == 200, response.text  # type: ignore[attr-defined]
    assert response.json()["imported"] == 2  # type: ignore[attr-defined]
    listed = client.get(URL, headers=teacher_headers).json()
    assert [(e["student_id"], dt.datetime.fromisoformat(e["deadline"])) for e in listed] == [
        ("alice", dt.datetime(2026, 12, 27, 15, 59, tzinfo=dt.UTC)),
        ("bob", dt.datetime(2026, 12, 28, 10, 0, tzinfo=dt.UTC)),
    ]


def test_csv_import_reports_every_bad_row_by_line_and_imports_nothing(
    client: TestClient, teacher_headers: dict[str, str]
) -> None:
    text = ("student_id,exercise,deadline\n"
            "alice,rnn,2026-12-27T23:59:00+08:00\n"
            "carol,rnn,2026-12-27T23:59:00+08:00\n"
            "bob,nope,2026-12-27T23:59:00+08:00\n"
            "bob,rnn,2026-12-27 23:59\n"
            "alice,rnn,2026-12-29T00:00:00Z\n")
    body = assert_error(_upload(client, teacher_headers, text), 422, "InvalidInput")  # type: ignore[arg-type]
    detail = body["detail"]
    assert "line 3: unknown student 'carol'" in detail
    assert "line 4: unknown exercise 'nope'" in detail
    assert "line 5: deadline '2026-12-27 23:59'" in detail
    assert "line 6: alice/rnn already given on line 2" in detail
    assert "line 2:" not in detail  # the good row is not reported
    assert client.get(URL, headers=teacher_headers).json() == []


@pytest.mark.parametrize(
    ("text", "message"),
    [("student,deadline\nalice,2026-12-27T23:59:00Z\n", "header row"), ("student_id,exercise,deadline\n", "no ext")],
)
def test_csv_import_needs_the_header_and_rows(
    client: TestClient, teacher_headers: dict[str, str], text: str, message: str
) -> None:
    body = assert_error(_upload(client, teacher_headers, text), 422, "InvalidInput")  # type: ignore[arg-type]
    assert message in body["detail"]


def test_setting_and_removing_an_extension_is_audited(client: TestClient, teacher_headers: dict[str, str],
                                                      make_staff: Any) -> None:
    # The audit log names the authenticated staff member (a TA may grant extensions); X-Actor is ignored.
    headers = {**make_staff(client, "prof-li", role="ta"), "X-Actor": "someone-else"}
    client.put(f"{URL}/alice/rnn", json={"deadline": "2026-12-27T23:59:00+08:00"}, headers=headers)
    assert client.delete(f"{URL}/alice/rnn", headers=headers).status_code == 204
    entries = [e for e in client.get("/api/v1/audit", headers=teacher_headers).json()
               if e["action"].startswith("extension.")]
    assert [(e["action"], e["actor"], e["target"]) for e in entries] == [
        ("extension.remove", "prof-li", "alice/rnn"), ("extension.set", "prof-li", "alice/rnn")]
