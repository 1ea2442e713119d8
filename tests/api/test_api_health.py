"""Health, readiness, metrics, OpenAPI and logging: the operational surface."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
from starlette.testclient import TestClient


def test_healthz(api_client: TestClient) -> None:
    for path in ("/api/v1/healthz", "/healthz"):
        response = api_client.get(path)
        assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_readyz_without_workers(api_client: TestClient) -> None:
    for path in ("/api/v1/readyz", "/readyz"):
        response = api_client.get(path)
        assert response.status_code == 200
        assert response.json() == {"status": "ok", "database": True, "graders": True, "workers": 0}


def test_readyz_is_503_without_database(api_client: TestClient) -> None:
    api_client.app.state.ctx.engine.dispose()  # type: ignore[attr-defined]
    ctx = api_client.app.state.ctx  # type: ignore[attr-defined]
    from server.db import create_db_engine

    # nothing listens on port 1: the database is "down"
    object.__setattr__(ctx, "engine", create_db_engine("postgresql+psycopg://postgres@127.0.0.1:1/none"))
    response = api_client.get("/api/v1/readyz")
    assert response.status_code == 503 and response.json()["database"] is False


def test_metrics(api_client: TestClient, create_student: Callable[..., dict[str, str]],
                 teacher_headers: dict[str, str]) -> None:
    headers = {"Authorization": create_student(api_client)["authorization"]}
    assert api_client.post("/api/v1/submissions", json={"exercise": "rnn", "source": "x=1"},
                           headers=headers).status_code == 202
    response = api_client.get("/metrics", headers=teacher_headers)  # on the API port: staff only
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert 'rnn_grader_submissions{status="queued"} 1.0' in text
    assert 'rnn_grader_submissions{status="graded"} 0.0' in text
    assert "rnn_grader_queue_depth 1.0" in text
    assert "rnn_grader_grading_seconds" in text
    assert 'rnn_grader_http_requests_total{method="POST",route="/api/v1/submissions",status="202"} 1.0' in text


def test_openapi_lists_error_responses(api_client: TestClient) -> None:
    schema = api_client.get("/openapi.json").json()
    paths = schema["paths"]
    post = paths["/api/v1/submissions"]["post"]
    assert {"200", "202", "401", "403", "404", "413", "415", "422", "429"} <= set(post["responses"])
    assert set(post["requestBody"]["content"]) == {"application/json", "multipart/form-data"}
    assert "Retry-After" in post["responses"]["429"]["headers"]
    assert {"401", "404", "422"} <= set(paths["/api/v1/submissions/{submission_id}"]["get"]["responses"])
    assert {"401", "403", "409", "422"} <= set(paths["/api/v1/students"]["post"]["responses"])
    assert {"401", "403"} <= set(paths["/api/v1/scoreboard"]["get"]["responses"])
    assert "text/csv" in paths["/api/v1/scoreboard.csv"]["get"]["responses"]["200"]["content"]
    assert "text/x-python" in paths["/api/v1/exercises/{exercise_id}/template"]["get"]["responses"]["200"]["content"]
    assert "503" in paths["/api/v1/readyz"]["get"]["responses"]
    assert api_client.get("/docs").status_code == 200


def test_one_log_line_per_request_without_secrets(
    api_client: TestClient, create_student: Callable[..., dict[str, str]], caplog: pytest.LogCaptureFixture
) -> None:
    student = create_student(api_client)
    source = "SECRET_SOURCE_MARKER = 1\n"
    with caplog.at_level(logging.INFO, logger="rnn_grader"):
        caplog.clear()
        api_client.post("/api/v1/submissions?lang=en", json={"exercise": "rnn", "source": source},
                        headers={"Authorization": student["authorization"]})
        api_client.get("/api/v1/submissions/1", headers={"Authorization": "Bearer not-a-real-token"})
    access = [r for r in caplog.records if r.name == "rnn_grader.access"]
    assert len(access) == 2
    assert access[0].getMessage().startswith("POST /api/v1/submissions 202 ")
    assert access[1].getMessage().startswith("GET /api/v1/submissions/1 401 ")
    everything = "\n".join(r.getMessage() for r in caplog.records)
    for secret in (student["token"], "not-a-real-token", "SECRET_SOURCE_MARKER", "teacher-token"):
        assert secret not in everything
