"""Notebook uploads through `POST /api/v1/submissions`: the definitions are graded, the experiments are not
run, the skipped cells are reported in both languages and stored; broken notebooks are 422, big ones 413."""

from __future__ import annotations

import json
from typing import Any

import pytest
from helpers import EXPERIMENT_IMPORTS, TRAINING_CELL, assert_error, notebook_bytes, page_sign_in
from sqlmodel import Session
from starlette.testclient import TestClient

from server.db import create_db_engine
from server.models import Submission

URL = "/api/v1/submissions"


@pytest.fixture
def student(api_client: TestClient, create_student: Any) -> dict[str, str]:
    return {"Authorization": create_student(api_client)["authorization"]}


def _upload(client: TestClient, headers: dict[str, str], data: bytes, name: str = "work.ipynb",
            query: str = "") -> Any:
    return client.post(URL + query, data={"exercise": "rnn"}, files={"file": (name, data, "application/x-ipynb+json")},
                       headers=headers)


def test_a_notebook_with_plots_and_training_below_correct_functions_gets_full_marks(
    grading_client: TestClient, create_student: Any, correct_source: str, teacher_headers: dict[str, str],
    database_url: str,
) -> None:
    headers = {"Authorization": create_student(grading_client)["authorization"]}
    nb = notebook_bytes(("markdown", "# My RNN"), EXPERIMENT_IMPORTS, correct_source, TRAINING_CELL)
    response = _upload(grading_client, headers, nb, query="?wait=30")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "graded" and body["score"] == body["max_score"] == 100
    skipped = {c["cell"]: c for c in body["notebook"]["skipped"]}
    assert body["notebook"]["code_cells"] == 3 and set(skipped) == {2, 4}
    assert {r["reason"] for r in skipped[2]["reasons"]} == {"magic", "import"}
    assert skipped[2]["reasons"][1]["modules"] == ["matplotlib.pyplot", "torch"] and not skipped[2]["whole"]
    assert {r["reason"] for r in skipped[4]["reasons"]} == {"code", "assignment"}
    assert "Cell 4 was run in part" in skipped[4]["message"] and "Cell 2" in body["feedback"]

    zh = grading_client.get(f"{URL}/{body['id']}?lang=zh", headers=headers).json()
    assert "第 2 个单元格" in zh["feedback"] and "matplotlib.pyplot" in zh["notebook"]["skipped"][0]["message"]

    # Stored: the extracted definitions as the source, the report beside it; the teacher sees both.
    engine = create_db_engine(database_url)
    with Session(engine) as session:
        row = session.get(Submission, body["id"])
        assert row is not None and row.notebook is not None
        assert "def rnn_backward" in row.source and "plt" not in row.source and "torch" not in row.source
        assert [c["cell"] for c in row.notebook["skipped"]] == [2, 4]
    engine.dispose()
    teacher = grading_client.get(f"{URL}/{body['id']}", headers=teacher_headers).json()
    assert teacher["notebook"] == body["notebook"]
    page = page_sign_in(grading_client, teacher_headers["Authorization"][7:], follow_redirects=True)
    assert page.status_code == 200
    detail = grading_client.get(f"/scoreboard/students/{body['student_id']}?submission={body['id']}")
    assert detail.status_code == 200, detail.text
    assert 'id="skipped-cells"' in detail.text and "Cell 4 was run in part" in detail.text
    assert "definitions extracted from the notebook" in detail.text


def test_a_notebook_missing_its_functions_is_graded_not_rejected(grading_client: TestClient,
                                                                 create_student: Any) -> None:
    headers = {"Authorization": create_student(grading_client)["authorization"]}
    nb = notebook_bytes("import numpy as np", "print('hello')")
    body = _upload(grading_client, headers, nb, query="?wait=30").json()
    assert body["status"] == "graded" and body["score"] == 0
    assert body["notebook"]["skipped"][0]["cell"] == 2 and body["notebook"]["skipped"][0]["whole"] is True
    assert "rnn_forward" in body["feedback"]
    # With nothing but that experiment there is nothing to grade (tests/api/test_nothing_to_grade.py).
    assert _upload(grading_client, headers, notebook_bytes("print('hello')")).status_code == 422


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"not json at all", "not JSON"),
        (b'{"cells": []}', "not a Jupyter notebook"),
        (b'{"nbformat": 4, "nbformat_minor": 5, "cells": [], "metadata": {}, "extra": 1}', "valid Jupyter"),
        (b'{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"cell_type": "code"}]}', "valid"),
        (b'{"nbformat": 17, "nbformat_minor": 0, "metadata": {}, "cells": []}', "not supported"),
        (b"\xff\xfe{}", "UTF-8"),
        (b"[" * 100_000, "not JSON"),
    ],
)
def test_a_file_that_is_not_a_valid_notebook_is_422_with_the_reason(
    api_client: TestClient, student: dict[str, str], data: bytes, reason: str
) -> None:
    body = assert_error(_upload(api_client, student, data), 422, "InvalidInput")
    assert reason in body["detail"]


def test_notebook_and_source_limits_are_separate_413s(make_client: Any, create_student: Any) -> None:
    client = make_client(max_source_kib=4, max_notebook_kib=16)
    headers = {"Authorization": create_student(client)["authorization"]}
    # 10 KiB of outputs: over MAX_SOURCE_KIB but a notebook may be larger; its definitions are small.
    nb = json.loads(notebook_bytes("def f():\n    return 1\n"))
    nb["cells"][0]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "x" * 10_000}]
    response = _upload(client, headers, json.dumps(nb).encode())
    assert response.status_code == 202, response.text
    # the file itself over MAX_NOTEBOOK_KIB
    nb["cells"][0]["outputs"][0]["text"] = "x" * 20_000
    body = assert_error(_upload(client, headers, json.dumps(nb).encode()), 413, "PayloadTooLarge")
    assert "notebook" in body["detail"] and "16 KiB" in body["detail"]
    # small file, but its definitions over MAX_SOURCE_KIB
    big = "BIG = " + repr("y" * 6000) + "\n"
    body = assert_error(_upload(client, headers, notebook_bytes(big)), 413, "PayloadTooLarge")
    assert "extracted from the notebook" in body["detail"] and "4 KiB" in body["detail"]
    # a .py file keeps the .py limit even though notebooks may be bigger
    py = ("# " + "z" * 100 + "\n") * 60
    assert_error(client.post(URL, data={"exercise": "rnn"}, files={"file": ("a.py", py.encode(), "text/x-python")},
                             headers=headers), 413, "PayloadTooLarge")


def test_py_uploads_and_json_bodies_have_no_notebook_report(api_client: TestClient, student: dict[str, str]) -> None:
    by_file = api_client.post(URL, data={"exercise": "rnn"}, files={"file": ("a.py", b"x = 1\n", "text/x-python")},
                              headers=student).json()
    by_json = api_client.post(URL, json={"exercise": "rnn", "source": "x = 1\n", "notebook": {"skipped": []}},
                              headers=student).json()
    assert by_file["notebook"] is None and by_json["notebook"] is None
