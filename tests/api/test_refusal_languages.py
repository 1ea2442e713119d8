"""Every refusal a student can meet exists in English and Chinese: each error class has its Chinese default,
the refusal catalogue is complete, the modules a student's request goes through raise no English-only error,
and the error body's `message` is in the request's language (`detail` stays English; an English request
gets exactly `{"error", "detail"}` as before). On SQLite and PostgreSQL."""

from __future__ import annotations

import importlib
import json
import pkgutil
from typing import Any

import pytest
from helpers import assert_error, notebook_bytes, page_sign_in
from language_checks import REPO, assert_bilingual, english_only_raises, is_chinese
from starlette.testclient import TestClient

import server
from server.errors import AppError
from server.refusals import REFUSALS

URL = "/api/v1/submissions"
# The modules a student's request (API, pages, client download) goes through: no English-only refusal there.
STUDENT_PATHS = [
    "server/deps.py", "server/errors.py", "server/catalog.py", "server/client_dist.py",
    "server/auth/permissions.py", "server/auth/sessions.py", "server/ingress/guard.py",
    "server/submissions/body.py", "server/submissions/notebook.py", "server/submissions/service.py",
    "server/policies/deadlines.py", "server/regrades/requests.py",
    "server/routes/submissions.py", "server/routes/exercises.py", "server/routes/regrade_requests.py",
    "server/routes/gradings.py", "server/routes/client.py",
    "server/web/student_routes.py", "server/web/uploads.py", "server/web/gradescope.py", "server/web/signin.py",
]
# In regrades/requests.py only resolving a request is the staff's (English-only is allowed there).
STAFF_ONLY_CALLS = {("server/regrades/requests.py", name) for name in ("RequestAlreadyResolved()", "InvalidInput()")}


def _error_classes() -> list[type[AppError]]:
    for module in pkgutil.walk_packages(server.__path__, "server."):
        if not module.name.endswith(("__main__", ".migrations")) and ".migrations." not in module.name:
            importlib.import_module(module.name)
    found: list[type[AppError]] = []
    todo = [AppError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo += cls.__subclasses__()
    return found


def test_every_error_class_says_its_default_in_chinese_too() -> None:
    classes = _error_classes()
    assert len(classes) > 25
    for cls in classes:
        if "default_detail" in vars(cls):
            assert "default_zh" in vars(cls), f"{cls.__name__} has an English default only"
            assert is_chinese(cls.default_zh), cls.__name__


def test_the_refusal_catalogue_is_complete_in_both_languages() -> None:
    assert len(REFUSALS) > 30
    assert_bilingual(REFUSALS)


def test_no_english_only_refusal_where_a_students_request_goes() -> None:
    names = {cls.__name__ for cls in _error_classes()}
    found = english_only_raises([REPO / p for p in STUDENT_PATHS], names)
    left = [f for f in found if (f.split(":")[0], f.split(" ")[1]) not in STAFF_ONLY_CALLS]
    assert left == []
    # the scan does see one (control): an English-only raise in a staff-only module
    assert english_only_raises([REPO / "server/routes/students.py"], names)


@pytest.fixture
def student(api_client: TestClient, create_student: Any) -> dict[str, str]:
    return {"Authorization": create_student(api_client)["authorization"]}


def _upload(client: TestClient, headers: dict[str, str], name: str, data: bytes, lang: str = "zh") -> Any:
    return client.post(f"{URL}?lang={lang}", data={"exercise": "rnn"},
                       files={"file": (name, data, "application/octet-stream")}, headers=headers)


def test_the_api_says_each_refusal_in_the_requests_language(api_client: TestClient,
                                                          student: dict[str, str]) -> None:
    zh = {**student, "Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}
    cases = [
        (api_client.get(URL, headers={"Authorization": "Bearer nope", "Accept-Language": "zh"}), 401,
         "Unauthorized", "服务器不认识这个令牌"),
        (api_client.get(f"{URL}/999999", headers=zh), 404, "SubmissionNotFound", "没有编号为 999999 的提交"),
        (api_client.post(URL, json={"exercise": "nope", "source": "x = 1"}, headers=zh), 404, "ExerciseNotFound",
         "没有练习 'nope'"),
        (_upload(api_client, student, "rnn.py", b"\xff\xfe"), 422, "InvalidInput", "文件不是 UTF-8 文本"),
        (_upload(api_client, student, "rnn.py", b"#" * (64 * 1024 + 1)), 413, "PayloadTooLarge", "源代码最多 64 KiB"),
        (_upload(api_client, student, "rnn.ipynb", b'{"cells": ['), 422, "InvalidInput", "不是有效的 JSON"),
        (api_client.post(URL, json={"exercise": "rnn"}, headers=zh), 422, "ValidationError", "请求无效"),
        (api_client.get("/api/v1/no-such-route", headers=zh), 404, "NotFound", "未找到"),
        # refused by the ingress guard, before the application reads the upload
        (api_client.post(URL, data={"exercise": "rnn"}, files={"file": ("rnn.py", b"x = 1")},
                         headers={"Authorization": "Bearer nope", "Accept-Language": "zh"}), 401, "Unauthorized",
         "服务器不认识这个令牌"),
        (api_client.post(URL + "?lang=zh", content=b"{}", headers={**student, "Content-Type": "application/json",
                                                                    "Content-Length": str(50 * 2**20)}),
         413, "PayloadTooLarge", "请求内容最多"),
    ]
    for response, status, error, words in cases:
        body = assert_error(response, status, error)
        assert is_chinese(body["message"]) and not is_chinese(body["detail"]), body
        if words:
            assert words in body["message"], body
    english = assert_error(api_client.get(f"{URL}/999999", headers=student), 404, "SubmissionNotFound")
    assert english == {"error": "SubmissionNotFound", "detail": "no submission 999999"}


def test_an_invalid_notebook_is_one_readable_sentence_naming_the_cell_or_field(
        api_client: TestClient, student: dict[str, str]) -> None:
    cell = {"cell_type": "code", "metadata": {}, "source": "x = 1", "execution_count": None}
    notebook = {"nbformat": 4, "nbformat_minor": 4, "metadata": {},
                "cells": [{"cell_type": "markdown", "metadata": {}, "source": "# RNN"}, cell]}
    body = assert_error(_upload(api_client, student, "rnn.ipynb", json.dumps(notebook).encode()), 422, "InvalidInput")
    assert body["detail"] == ("not a valid Jupyter notebook: cell 2 (a code cell) is missing the required field "
                              "'outputs'")
    assert body["message"] == "不是有效的 Jupyter 笔记本：第 2 个单元格（代码单元格）缺少必需的字段 'outputs'"
    odd = {**notebook, "cells": [{"cell_type": "python", "metadata": {}, "source": "x"}]}
    body = assert_error(_upload(api_client, student, "rnn.ipynb", json.dumps(odd).encode(), "en"), 422,
                        "InvalidInput")
    assert body["detail"] == ("not a valid Jupyter notebook: cell 1 has the unknown cell type 'python' "
                              "(a cell is code, markdown or raw)")
    assert "{" not in body["detail"] and "is not valid under any of the given schemas" not in body["detail"]
    # a notebook that is fine but for its experiments is not refused for its form
    assert _upload(api_client, student, "ok.ipynb", notebook_bytes("import numpy as np")).status_code == 202


def test_the_students_page_shows_each_refusal_in_chinese(api_client: TestClient, create_student: Any) -> None:
    import html
    import re

    page_sign_in(api_client, create_student(api_client, "s1")["token"], "/student")

    def submit(name: str, data: bytes, csrf: str | None = None) -> str:
        form = api_client.get("/student/exercises/rnn?lang=zh").text
        found = re.search(r'name="csrf" value="([^"]+)"', form)
        assert found is not None
        answer = api_client.post("/student/exercises/rnn/submit?lang=zh", data={"csrf": csrf or found.group(1)},
                                 files={"file": (name, data, "application/octet-stream")}, follow_redirects=False)
        assert answer.status_code in (413, 422), answer.status_code
        return html.unescape(answer.text)

    pages = {
        "'work.txt' 既不是 .py 文件也不是 .ipynb 文件": submit("work.txt", b"x = 1"),
        "不是有效的 JSON": submit("rnn.ipynb", b'{"cells": ['),
        "文件不是 UTF-8 文本": submit("rnn.py", b"\xff\xfe"),
        "表单已过期：请刷新页面后重新提交": submit("rnn.py", b"x = 1", csrf="forged"),
    }
    for chinese, page in pages.items():
        assert chinese in page
        for english in ("neither a .py nor", "not JSON", "the form expired", "not UTF-8"):
            assert english not in page, (chinese, english)
