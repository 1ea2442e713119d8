"""`GET /api/v1/client`: the student client wheel, built from client/ on demand, served by the same server
with a pip command carrying the request's address; every response names the server's version."""

from __future__ import annotations

import hashlib
import io
import shutil
import zipfile
from pathlib import Path
from typing import Any

from helpers import assert_error
from starlette.testclient import TestClient

from cli.version import VERSION

ROOT = Path(__file__).resolve().parents[2]


def test_client_info_needs_no_token_and_points_at_the_wheel_on_this_server(api_client: TestClient) -> None:
    response = api_client.get("/api/v1/client")
    assert response.status_code == 200, response.text
    info = response.json()
    assert set(info) == {"filename", "url", "sha256", "version", "install"}
    assert info["version"] == VERSION == response.headers["X-RNN-Grader-Version"]
    assert info["filename"] == f"rnn_grader_client-{VERSION}-py3-none-any.whl"
    assert info["url"] == f"/api/v1/client/{info['filename']}"
    assert info["install"] == f'pip install "http://testserver{info["url"]}#sha256={info["sha256"]}"'
    wheel = api_client.get(info["url"])
    assert wheel.status_code == 200 and wheel.headers["content-type"] == "application/zip"
    assert hashlib.sha256(wheel.content).hexdigest() == info["sha256"]
    names = zipfile.ZipFile(io.BytesIO(wheel.content)).namelist()
    assert "rnn_grader_client/cli/main.py" in names and not any(n.startswith(("server/", "reference/", "cli/"))
                                                                for n in names)


def test_the_install_command_follows_the_address_the_student_used(api_client: TestClient) -> None:
    other = TestClient(api_client.app, base_url="https://grader.example.edu:8443")
    info = other.get("/api/v1/client").json()
    assert info["install"].startswith('pip install "https://grader.example.edu:8443/api/v1/client/')


def test_the_wheel_is_cached_until_its_sources_change(make_client: Any, tmp_path: Path) -> None:
    # A copy of the client sources, so the test can change one without touching the repository.
    copy = tmp_path / "repo"
    for name in ("client", "cli", "grader", "rnn_grader_client"):
        shutil.copytree(ROOT / name, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
    client = make_client(client_dir=copy / "client")
    first = client.get("/api/v1/client").json()
    assert client.get("/api/v1/client").json() == first
    built = list((tmp_path / "data" / "client").glob("*/*.whl"))
    assert len(built) == 1 and built[0].stat().st_size > 0
    with (copy / "grader" / "compare.py").open("a") as f:
        f.write("\n# changed\n")
    second = client.get("/api/v1/client").json()
    assert second["sha256"] != first["sha256"] and second["filename"] == first["filename"]
    assert hashlib.sha256(client.get(second["url"]).content).hexdigest() == second["sha256"]


def test_unknown_wheel_names_and_missing_sources_are_404(make_client: Any, tmp_path: Path) -> None:
    client = make_client()
    assert_error(client.get("/api/v1/client/rnn_grader-0.0.1-py3-none-any.whl"), 404, "ClientNotAvailable")
    broken = make_client(client_dir=tmp_path / "nowhere")
    body = assert_error(broken.get("/api/v1/client"), 404, "ClientNotAvailable")
    assert "RNN_GRADER_CLIENT_DIR" in body["detail"]


def test_every_response_names_the_server_version(api_client: TestClient) -> None:
    for path in ("/healthz", "/api/v1/exercises", "/api/v1/nothing-here"):
        assert api_client.get(path).headers["X-RNN-Grader-Version"] == VERSION
