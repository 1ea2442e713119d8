"""Students' optional email and SIS id, and the LMS grade files: scoreboard.csv?format=canvas|moodle."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

import pytest
from helpers import assert_error
from policy_helpers import DAY, DEADLINE, grade, set_clock, submit
from starlette.testclient import TestClient

STUDENTS = "/api/v1/students"


def _rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_email_and_sis_id_on_create_list_and_import(api_client: TestClient, teacher_headers: dict[str, str]) -> None:
    created = api_client.post(STUDENTS, json={"student_id": "s1", "name": "Li Hua", "email": "lihua@example.edu",
                                              "sis_id": "2025-001"}, headers=teacher_headers)
    assert created.status_code == 201, created.text
    assert (created.json()["email"], created.json()["sis_id"]) == ("lihua@example.edu", "2025-001")
    roster = "student_id,name,email,sis_id\ns2,王小明,wang@example.edu,\ns3,Bo,,S3\n"
    imported = api_client.post(f"{STUDENTS}/import", files={"file": ("r.csv", roster.encode(), "text/csv")},
                               headers=teacher_headers)
    assert imported.status_code == 201, imported.text
    listed = api_client.get(STUDENTS, headers=teacher_headers).json()
    assert listed == [
        {"student_id": "s1", "name": "Li Hua", "email": "lihua@example.edu", "sis_id": "2025-001"},
        {"student_id": "s2", "name": "王小明", "email": "wang@example.edu"},
        {"student_id": "s3", "name": "Bo", "sis_id": "S3"},
    ]


@pytest.mark.parametrize("email", ["no-at-sign", "two@@example.edu", "sp ace@example.edu"])
def test_bad_email_is_422(api_client: TestClient, teacher_headers: dict[str, str], email: str) -> None:
    response = api_client.post(STUDENTS, json={"student_id": "s1", "name": "A", "email": email},
                               headers=teacher_headers)
    assert_error(response, 422, "ValidationError")
    roster = f"student_id,name,email\ns1,A,{email}\n"
    body = assert_error(api_client.post(f"{STUDENTS}/import", files={"file": ("r.csv", roster.encode(), "text/csv")},
                                        headers=teacher_headers), 422, "InvalidInput")
    assert "line 2" in body["detail"] and "email" in body["detail"]


@pytest.fixture
def graded_class(
    make_client: Callable[..., TestClient], teacher_headers: dict[str, str], database_url: str
) -> TestClient:
    """Three students: Alice on time (24/100), Bob late by a started day (30 -> 27), Carol without a grade."""
    client = make_client(deadlines={"rnn": DEADLINE.isoformat()}, late_policy={"rnn": {"penalty_per_day": 0.1}})
    tokens = {}
    for student_id, name, email, sis in (("alice", "Alice Smith", "alice@example.edu", "A-1"),
                                         ("bob", "=Bob", "bob@example.edu", ""), ("carol", "Carol", "", "C-3")):
        body = {"student_id": student_id, "name": name, "email": email or None, "sis_id": sis or None}
        tokens[student_id] = client.post(STUDENTS, json=body, headers=teacher_headers).json()["token"]
    set_clock(client, DEADLINE)
    grade(database_url, submit(client, {"Authorization": f"Bearer {tokens['alice']}"}).json()["id"], 24.0)
    set_clock(client, DEADLINE + DAY / 2)
    grade(database_url, submit(client, {"Authorization": f"Bearer {tokens['bob']}"}).json()["id"], 30.0)
    return client


def test_canvas_layout_header_points_row_and_counted_scores(
    graded_class: TestClient, teacher_headers: dict[str, str]
) -> None:
    response = graded_class.get("/api/v1/scoreboard.csv", params={"format": "canvas"}, headers=teacher_headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="canvas-grades.csv"' in response.headers["content-disposition"]
    assert _rows(response.content) == [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "rnn", "rnn_gradients"],
        ["    Points Possible", "", "", "", "", "100", "100"],
        ["Alice Smith", "", "A-1", "alice@example.edu", "", "24", ""],
        ["'=Bob", "", "", "bob@example.edu", "", "27", ""],
        ["Carol", "", "C-3", "", "", "", ""],
    ]


def test_moodle_layout_identifies_by_id_number_or_email(
    graded_class: TestClient, teacher_headers: dict[str, str]
) -> None:
    response = graded_class.get("/api/v1/scoreboard.csv", params={"format": "moodle"}, headers=teacher_headers)
    assert response.status_code == 200
    assert _rows(response.content) == [
        ["Full name", "ID number", "Email address", "rnn", "rnn_gradients"],
        ["Alice Smith", "A-1", "alice@example.edu", "24", ""],
        ["'=Bob", "", "bob@example.edu", "27", ""],
        ["Carol", "C-3", "", "", ""],
    ]


def test_default_csv_is_unchanged_and_unknown_format_is_422(
    graded_class: TestClient, teacher_headers: dict[str, str]
) -> None:
    default = graded_class.get("/api/v1/scoreboard.csv", headers=teacher_headers)
    assert _rows(default.content) == [
        ["student_id", "name", "rnn", "rnn_gradients", "total", "late"],
        ["alice", "Alice Smith", "24", "", "24", "no"],
        ["bob", "'=Bob", "27", "", "27", "yes"],
        ["carol", "Carol", "", "", "0", "no"],
    ]
    assert graded_class.get("/api/v1/scoreboard.csv", params={"format": "default"},
                            headers=teacher_headers).content == default.content
    assert_error(graded_class.get("/api/v1/scoreboard.csv", params={"format": "excel"}, headers=teacher_headers),
                 422, "ValidationError")
