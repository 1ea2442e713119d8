"""A file with nothing to grade is refused, 422 NothingToGrade, with one message that says what was wrong (no
code at all, a notebook without code, a notebook whose every cell was left out and why), in English and
Chinese, the same on the API (JSON and upload) and on the student's page; nothing is stored or counted.
(The CLI and the offline check: tests/cli/test_cli_nothing_to_grade.py.)"""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from helpers import assert_error, page_sign_in
from nothing_samples import IDS, NOTHING, expected
from starlette.testclient import TestClient

URL = "/api/v1/submissions"


@pytest.fixture
def student(api_client: TestClient, create_student: Any) -> dict[str, str]:
    return {"Authorization": create_student(api_client)["authorization"]}


@pytest.mark.parametrize(("name", "data", "words"), NOTHING, ids=IDS)
def test_the_api_refuses_a_file_with_nothing_to_grade_and_says_what_was_wrong(
        api_client: TestClient, student: dict[str, str], name: str, data: bytes, words: str) -> None:
    text = expected(name, data)
    assert words in text.en and "rnn_forward()" in text.en
    upload = api_client.post(URL, data={"exercise": "rnn"}, files={"file": (name, data, "application/octet-stream")},
                             headers=student)
    body = assert_error(upload, 422, "NothingToGrade")
    assert body["detail"] == text.en and "message" not in body  # English: the detail says it
    zh = api_client.post(URL + "?lang=zh", data={"exercise": "rnn"},
                         files={"file": (name, data, "application/octet-stream")}, headers=student)
    assert assert_error(zh, 422, "NothingToGrade")["message"] == text.zh and "没有可评测的内容" in text.zh
    if name.endswith(".py"):  # the JSON body says the same
        as_json = api_client.post(URL, json={"exercise": "rnn", "source": data.decode()},
                                  headers={**student, "Accept-Language": "zh-CN,zh;q=0.9"})
        body = assert_error(as_json, 422, "NothingToGrade")
        assert body["detail"] == text.en and body["message"] == text.zh
    assert api_client.get(URL, headers=student).json() == []  # nothing stored, nothing counted


def test_code_is_graded_however_little_and_a_syntax_error_too(api_client: TestClient, student: dict[str, str]) -> None:
    for source in ("x = 1\n", "def rnn_forward(:\n", "import numpy as np\n"):
        assert api_client.post(URL, json={"exercise": "rnn", "source": source}, headers=student).status_code == 202


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


@pytest.mark.parametrize(("name", "data", "words"), NOTHING, ids=IDS)
def test_the_page_shows_the_same_message_in_the_students_language(
        api_client: TestClient, create_student: Any, name: str, data: bytes, words: str) -> None:
    token = create_student(api_client, "s1")["token"]
    page_sign_in(api_client, token, "/student")
    text = expected(name, data)
    for lang, shown in (("en", text.en), ("zh", text.zh)):
        form = api_client.get(f"/student/exercises/rnn?lang={lang}")
        answer = api_client.post(f"/student/exercises/rnn/submit?lang={lang}", data={"csrf": _csrf(form.text)},
                                 files={"file": (name, data, "application/octet-stream")}, follow_redirects=False)
        assert answer.status_code == 422
        assert html.escape(shown) in answer.text  # what was wrong, not "Choose a file or paste your code."
        assert "Choose a file" not in answer.text and "请选择文件" not in answer.text
    pasted = api_client.post("/student/exercises/rnn/submit?lang=en", data={
        "csrf": _csrf(api_client.get("/student/exercises/rnn").text), "source": "# nothing yet\n"},
        files={"file": ("", b"", "text/plain")}, follow_redirects=False)
    assert pasted.status_code == 422 and html.escape(expected("x.py", b"# nothing yet\n").en) in pasted.text
    assert "# nothing yet" in pasted.text  # the pasted code stays in the form
    nothing = api_client.post("/student/exercises/rnn/submit?lang=en", data={
        "csrf": _csrf(api_client.get("/student/exercises/rnn").text)},
        files={"file": ("", b"", "text/plain")}, follow_redirects=False)
    assert nothing.status_code == 422 and "Choose a file or paste your code." in nothing.text
    headers = {"Authorization": f"Bearer {token}"}
    assert api_client.get(URL, headers=headers).json() == []
