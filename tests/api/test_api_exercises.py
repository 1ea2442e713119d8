"""Contract: /api/v1/exercises — list, one, template file, public examples file."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from helpers import assert_error
from starlette.testclient import TestClient

URL = "/api/v1/exercises"


@pytest.fixture
def student(api_client: TestClient, create_student: Callable[..., dict[str, str]]) -> dict[str, str]:
    return {"Authorization": create_student(api_client)["authorization"]}


def test_list_and_get_exercise(api_client: TestClient, student: dict[str, str], real_exercises: dict[str, Any]) -> None:
    listed = api_client.get(URL, headers=student)
    assert listed.status_code == 200
    assert [e["id"] for e in listed.json()] == sorted(real_exercises)
    one = api_client.get(f"{URL}/rnn", headers=student)
    assert one.status_code == 200
    body = one.json()
    spec = real_exercises["rnn"].spec
    assert body["id"] == "rnn" and body["max_score"] == spec.max_score == 100
    assert [(p["name"], p["points"]) for p in body["parts"]] == [(p.name, p.points) for p in spec.parts]
    assert {p["name"] for p in body["parts"]} == {"forward", "backward", "clip"}
    assert body["description"] and body["title"] and body["template_filename"] == spec.template_path.name
    assert body["limits"]["cpu_time_limit_s"] == spec.limits.cpu_time_limit_s
    assert "reference" not in body and "directory" not in body
    assert body in listed.json()
    zh = api_client.get(f"{URL}/rnn?lang=zh", headers=student).json()
    assert zh["title"] == spec.title.zh


def test_settings_override_deadline_and_limits(
    make_client: Callable[..., TestClient], create_student: Callable[..., dict[str, str]]
) -> None:
    client = make_client(deadlines={"rnn": "2027-01-15T12:00:00+08:00"}, limits={"rnn": {"cpu_time_limit_s": 3}})
    headers = {"Authorization": create_student(client)["authorization"]}
    body = client.get(f"{URL}/rnn", headers=headers).json()
    assert body["deadline"] == "2027-01-15T12:00:00+08:00"
    assert body["limits"]["cpu_time_limit_s"] == 3


def test_teacher_can_read_exercises_too(api_client: TestClient, teacher_headers: dict[str, str]) -> None:
    assert api_client.get(f"{URL}/rnn", headers=teacher_headers).status_code == 200


def test_template_download(api_client: TestClient, student: dict[str, str], real_exercises: dict[str, Any]) -> None:
    response = api_client.get(f"{URL}/rnn/template", headers=student)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/x-python")
    name = real_exercises["rnn"].spec.template_path.name
    assert f'filename="{name}"' in response.headers["content-disposition"]
    assert response.content == real_exercises["rnn"].spec.template_path.read_bytes()


def test_examples_download(api_client: TestClient, student: dict[str, str], real_exercises: dict[str, Any]) -> None:
    response = api_client.get(f"{URL}/rnn/examples", headers=student)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.content == real_exercises["rnn"].spec.public_examples_path.read_bytes()
    assert zipfile.is_zipfile(io.BytesIO(response.content))  # an .npz is a zip archive


def test_exercise_errors(api_client: TestClient, student: dict[str, str]) -> None:
    for path in ("", "/rnn", "/rnn/template", "/rnn/examples"):
        assert_error(api_client.get(f"{URL}{path}"), 401, "Unauthorized")
        assert_error(api_client.get(f"{URL}{path}", headers={"Authorization": "Bearer bad"}), 401, "Unauthorized")
    for path in ("/lstm", "/lstm/template", "/lstm/examples"):
        assert_error(api_client.get(f"{URL}{path}", headers=student), 404, "ExerciseNotFound")
    assert_error(api_client.get(f"{URL}/rnn?lang=de", headers=student), 422, "ValidationError")
