"""`/metrics` is off the public API port: there it needs a staff token; RNN_GRADER_METRICS_BIND serves it on a
listener of its own (for the Prometheus scrape of docs/deployment.md and docker-compose.yml)."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from helpers import assert_error
from pydantic import ValidationError
from starlette.testclient import TestClient


def test_the_api_ports_metrics_need_a_staff_token(
    api_client: TestClient, create_student: Callable[..., dict[str, str]], make_staff: Callable[..., dict[str, str]],
    teacher_headers: dict[str, str],
) -> None:
    assert_error(api_client.get("/metrics"), 401, "Unauthorized")
    student = {"Authorization": create_student(api_client)["authorization"]}
    assert_error(api_client.get("/metrics", headers=student), 403, "TeacherOnly")
    for staff in (teacher_headers, make_staff(api_client, "ta1", role="ta")):
        response = api_client.get("/metrics", headers=staff)
        assert response.status_code == 200 and "rnn_grader_queue_depth" in response.text


def test_metrics_bind_serves_them_without_a_token_on_a_listener_of_its_own(
    make_client: Callable[..., TestClient], create_student: Callable[..., dict[str, str]],
) -> None:
    client = make_client(metrics_bind="127.0.0.1:0")
    listener = client.app.state.metrics_listener  # type: ignore[attr-defined]
    headers = {"Authorization": create_student(client)["authorization"]}
    assert client.post("/api/v1/submissions", json={"exercise": "rnn", "source": "x=1"},
                       headers=headers).status_code == 202
    scraped = httpx.get(f"http://127.0.0.1:{listener.port}/metrics", timeout=10)
    assert scraped.status_code == 200
    assert "rnn_grader_queue_depth 1.0" in scraped.text
    assert 'rnn_grader_http_requests_total{method="POST",route="/api/v1/submissions",status="202"} 1.0' in scraped.text
    assert_error(client.get("/metrics"), 401, "Unauthorized")  # the public port is unchanged


def test_metrics_bind_is_host_and_port(make_settings: Callable[..., object]) -> None:
    assert make_settings(metrics_bind="0.0.0.0:9100").metrics_address == ("0.0.0.0", 9100)  # type: ignore[attr-defined]
    assert make_settings(metrics_bind="[::1]:9100").metrics_address == ("::1", 9100)  # type: ignore[attr-defined]
    assert make_settings().metrics_address is None  # type: ignore[attr-defined]
    for wrong in ("9100", "localhost", "host:port", "h:99999", "a b:1"):
        with pytest.raises(ValidationError):
            make_settings(metrics_bind=wrong)
