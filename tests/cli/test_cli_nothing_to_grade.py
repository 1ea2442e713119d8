"""The CLI refuses a file with nothing to grade with the server's own words, in the language asked for: the
offline `check` before running anything, and `submit` with the server's 422 (nothing stored)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from nothing_samples import IDS, NOTHING, expected
from starlette.testclient import TestClient
from test_cli import (  # noqa: F401  (cli_env and database_url are fixtures this module uses too)
    assert_one_line_error,
    cli_env,
    database_url,
    login_as,
    run,
    use_app,
)


@pytest.mark.parametrize(("name", "data", "words"), NOTHING, ids=IDS)
def test_check_and_submit_refuse_it_in_english_and_chinese(
        monkeypatch: pytest.MonkeyPatch, api_client: TestClient, create_student: Any, real_exercises: Any,
        name: str, data: bytes, words: str) -> None:
    shutil.copyfile(real_exercises["rnn"].spec.public_examples_path, "public_examples.npz")
    Path(name).write_bytes(data)
    text = expected(name, data)
    assert_one_line_error(run("check", name), f"error: {name}: {text.en}")
    assert_one_line_error(run("check", name, "--lang", "zh"), f"error: {name}：{text.zh}")

    use_app(monkeypatch, api_client)
    token = create_student(api_client, "s1")["token"]
    login_as(token)
    assert_one_line_error(run("submit", name, "--exercise", "rnn"), f"error: {text.en} (HTTP 422 NothingToGrade)")
    assert_one_line_error(run("submit", name, "--exercise", "rnn", "--lang", "zh"),
                          f"error: {text.zh}（HTTP 422 NothingToGrade）")
    assert api_client.get("/api/v1/submissions", headers={"Authorization": f"Bearer {token}"}).json() == []
