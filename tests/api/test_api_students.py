"""Contract: /api/v1/students (teacher only): create, import a roster, list, new token."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from helpers import assert_error
from starlette.testclient import TestClient

URL = "/api/v1/students"


def test_create_student_returns_token_once_and_token_works(
    api_client: TestClient, teacher_headers: dict[str, str]
) -> None:
    response = api_client.post(URL, json={"student_id": "s2025001", "name": "李华"}, headers=teacher_headers)
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"student_id", "name", "token"}
    assert body["student_id"] == "s2025001" and body["name"] == "李华"
    assert len(body["token"]) >= 32
    # the token authenticates the student, and is never shown again
    mine = api_client.get("/api/v1/submissions", headers={"Authorization": f"Bearer {body['token']}"})
    assert mine.status_code == 200 and mine.json() == []
    listed = api_client.get(URL, headers=teacher_headers)
    assert listed.status_code == 200
    assert listed.json() == [{"student_id": "s2025001", "name": "李华"}]


def test_token_is_stored_hashed(api_client: TestClient, teacher_headers: dict[str, str]) -> None:
    from sqlmodel import Session, select

    from server.models import Student

    token = api_client.post(URL, json={"student_id": "s1", "name": "A"}, headers=teacher_headers).json()["token"]
    ctx = api_client.app.state.ctx  # type: ignore[attr-defined]
    with Session(ctx.engine) as session:
        stored = session.exec(select(Student)).one()
    assert token not in stored.token_hash and len(stored.token_hash) == 64


def test_create_student_without_token_is_401(api_client: TestClient) -> None:
    response = api_client.post(URL, json={"student_id": "s1", "name": "A"})
    assert_error(response, 401, "Unauthorized")
    assert response.headers["www-authenticate"] == "Bearer"


def test_create_student_with_bad_token_is_401(api_client: TestClient) -> None:
    response = api_client.post(URL, json={"student_id": "s1", "name": "A"}, headers={"Authorization": "Bearer nope"})
    assert_error(response, 401, "Unauthorized")
    response = api_client.post(URL, json={"student_id": "s1", "name": "A"}, headers={"Authorization": "Basic eDp5"})
    assert_error(response, 401, "Unauthorized")


def test_student_token_cannot_use_teacher_routes(
    api_client: TestClient, create_student: Callable[..., dict[str, str]]
) -> None:
    student = create_student(api_client)
    headers = {"Authorization": student["authorization"]}
    assert_error(api_client.post(URL, json={"student_id": "s9", "name": "X"}, headers=headers), 403, "TeacherOnly")
    assert_error(api_client.get(URL, headers=headers), 403, "TeacherOnly")
    assert_error(api_client.post(f"{URL}/s1/token", headers=headers), 403, "TeacherOnly")


def test_duplicate_student_is_409(api_client: TestClient, teacher_headers: dict[str, str]) -> None:
    assert api_client.post(URL, json={"student_id": "s1", "name": "A"}, headers=teacher_headers).status_code == 201
    response = api_client.post(URL, json={"student_id": "s1", "name": "B"}, headers=teacher_headers)
    assert_error(response, 409, "StudentExists")


def test_bad_student_payloads_are_422(api_client: TestClient, teacher_headers: dict[str, str]) -> None:
    for payload in (
        {},
        {"student_id": "s1"},
        {"student_id": "", "name": "A"},
        {"student_id": "has space", "name": "A"},
        {"student_id": "s1", "name": ""},
        {"student_id": "s1", "name": "bad\u0000name"},
        {"student_id": 5, "name": "A"},
        {"student_id": "s1", "name": "x" * 201},
    ):
        response = api_client.post(URL, json=payload, headers=teacher_headers)
        assert_error(response, 422, "ValidationError")
        assert response.json()["errors"], payload
    json_headers = {**teacher_headers, "Content-Type": "application/json"}
    response = api_client.post(URL, content=b"{not json", headers=json_headers)
    assert_error(response, 422, "ValidationError")
    # a lone surrogate (valid JSON, not storable text) is a 422, not a 500
    response = api_client.post(
        URL, content=b'{"student_id": "s1", "name": "a\\ud800"}',
        headers={**teacher_headers, "Content-Type": "application/json"},
    )
    assert_error(response, 422, "ValidationError")


def test_import_roster(api_client: TestClient, teacher_headers: dict[str, str]) -> None:
    csv_bytes = "\ufeffstudent_id,name\ns1,Ada Lovelace\ns2,王小明\n\n s3 , Grace \n".encode()
    response = api_client.post(
        f"{URL}/import", files={"file": ("roster.csv", csv_bytes, "text/csv")}, headers=teacher_headers
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert [(r["student_id"], r["name"]) for r in body] == [("s1", "Ada Lovelace"), ("s2", "王小明"), ("s3", "Grace")]
    assert len({r["token"] for r in body}) == 3
    for row in body:
        check = api_client.get("/api/v1/submissions", headers={"Authorization": f"Bearer {row['token']}"})
        assert check.status_code == 200


def test_import_roster_duplicates_are_409_and_nothing_is_created(
    api_client: TestClient, teacher_headers: dict[str, str]
) -> None:
    def upload(text: str) -> httpx.Response:
        return api_client.post(
            f"{URL}/import", files={"file": ("r.csv", text.encode(), "text/csv")}, headers=teacher_headers
        )

    assert_error(upload("student_id,name\ns1,A\ns1,B\n"), 409, "StudentExists")
    assert api_client.get(URL, headers=teacher_headers).json() == []
    assert api_client.post(URL, json={"student_id": "s2", "name": "B"}, headers=teacher_headers).status_code == 201
    assert_error(upload("student_id,name\ns1,A\ns2,B\n"), 409, "StudentExists")
    assert [s["student_id"] for s in api_client.get(URL, headers=teacher_headers).json()] == ["s2"]


def test_import_roster_bad_files(api_client: TestClient, teacher_headers: dict[str, str]) -> None:
    def upload(data: bytes) -> httpx.Response:
        return api_client.post(f"{URL}/import", files={"file": ("r.csv", data, "text/csv")}, headers=teacher_headers)

    assert_error(upload(b"id,fullname\ns1,A\n"), 422, "InvalidInput")
    assert_error(upload(b"student_id,name\n"), 422, "InvalidInput")
    assert_error(upload(b"student_id,name\nbad id,A\n"), 422, "InvalidInput")
    assert_error(upload("student_id,name\ns1,Ä\n".encode("latin-1")), 422, "InvalidInput")
    assert_error(upload(b"student_id,name\n" + b"s1,A\n" * 300_000), 413, "PayloadTooLarge")
    # no file at all
    assert_error(api_client.post(f"{URL}/import", headers=teacher_headers), 422, "ValidationError")
    assert_error(api_client.post(f"{URL}/import", files={"file": ("r.csv", b"x", "text/csv")}), 401, "Unauthorized")


def test_new_token_replaces_the_old_one(
    api_client: TestClient, teacher_headers: dict[str, str], create_student: Callable[..., dict[str, str]]
) -> None:
    student = create_student(api_client)
    response = api_client.post(f"{URL}/s1/token", headers=teacher_headers)
    assert response.status_code == 200
    new = response.json()["token"]
    assert new != student["token"]
    old = api_client.get("/api/v1/submissions", headers={"Authorization": student["authorization"]})
    assert_error(old, 401, "Unauthorized")
    assert api_client.get("/api/v1/submissions", headers={"Authorization": f"Bearer {new}"}).status_code == 200
    assert_error(api_client.post(f"{URL}/nobody/token", headers=teacher_headers), 404, "StudentNotFound")
