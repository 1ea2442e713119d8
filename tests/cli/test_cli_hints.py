"""Hints that grow, in the CLI and the Jupyter table: `rnn-grader status` prints the hints of the level the
server stored (level 1 after the message, each higher level under its label, the level reached), `--json`
carries `hint_level`, `hints` and `consecutive`; the offline check has no history and stays at level 1."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from hint_samples import named_result, submit_graded
from starlette.testclient import TestClient
from typer.testing import CliRunner

import cli.transport
from cli import config as cfg
from cli.main import app
from cli.render import result_to_dict
from reference.rnn_mutants import BY_NAME
from rnn_grader_client.tables import SubmissionTable

SERVER = "http://testserver"
A = "backward.no_dh_next"
LEVELS = BY_NAME[A].hints


@pytest.fixture
def database_url(sqlite_template: Path, tmp_path: Path) -> Iterator[str]:
    """SQLite only: the CLI reads the API's JSON, which the API tests check on both databases."""
    path = tmp_path / "cli.db"
    shutil.copyfile(sqlite_template, path)
    yield f"sqlite:///{path}"


@pytest.fixture
def third(make_client: Callable[..., TestClient], create_student: Callable[..., dict[str, str]], database_url: str,
          tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[TestClient, str, int]:
    """A student logged in to the test app, whose third submission names the same mistake (level 3)."""
    client = make_client()
    student = create_student(client, "s1")
    headers = {"Authorization": student["authorization"]}
    ids = [submit_graded(client, headers, database_url, named_result(backward=[A])) for _ in range(3)]
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("COLUMNS", "400")
    for var in ("RNN_GRADER_SERVER", "RNN_GRADER_TOKEN", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(var, raising=False)

    def factory(server: str, timeout: float = 30.0) -> httpx.Client:
        return TestClient(client.app, base_url=server)

    monkeypatch.setattr(cli.transport, "client_factory", factory)
    cfg.save(cfg.Config(server=SERVER, token=student["token"]))
    return client, student["token"], ids[2]


def _flat(text: str) -> str:
    return " ".join(text.split())  # the table wraps long cells


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_status_prints_every_unlocked_level_with_its_label(third: tuple[TestClient, str, int], lang: str) -> None:
    _client, _token, submission_id = third
    result = CliRunner().invoke(app, ["status", str(submission_id), "--lang", lang])
    assert result.exit_code == 0, result.output
    flat = _flat(result.output)
    labels = {"en": ("Where: ", "Worked example (1x1): ", "Hint level 3; named in 3 graded submission(s) in a row."),
              "zh": ("出错的位置：", "手算小例子（1x1）：", "提示等级 3；连续 3 次评分的提交中出现。")}[lang]
    texts = [_flat(level.get(lang)) for level in LEVELS]
    assert flat.count(texts[0]) == 1
    assert _flat(labels[0] + texts[1]) in flat and _flat(labels[1] + texts[2]) in flat and labels[2] in flat


def test_status_json_and_the_jupyter_table_carry_the_level(third: tuple[TestClient, str, int]) -> None:
    _client, _token, submission_id = third
    result = CliRunner().invoke(app, ["status", str(submission_id), "--json", "--lang", "en"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    [mistake] = [m for p in data["parts"] for m in p["mistakes"]]
    assert (mistake["hint_level"], mistake["consecutive"]) == (3, 3)
    assert mistake["hints"] == [level.en for level in LEVELS] and mistake["hint"] == LEVELS[2].en
    html = SubmissionTable(data, "en", local=False)._repr_html_()
    assert "data-hint-level='3'" in html and "Where: " in html and "Worked example (1x1): " in html
    assert "Hint level 3; named in 3 graded submission(s) in a row." in html
    assert all(_flat(level.en).replace('"', "&quot;").split(".")[0] in html for level in LEVELS)


def test_the_offline_check_has_no_history_so_level_one() -> None:
    data = result_to_dict(named_result(backward=[A]), "en")
    [mistake] = [m for p in data["parts"] for m in p["mistakes"]]
    assert (mistake["hint_level"], mistake["hints"], mistake["consecutive"]) == (1, [LEVELS[0].en], 1)
    html = SubmissionTable(data, "en", local=True)._repr_html_()
    assert "data-hint-level='1'" in html and "Where: " not in html and "Hint level" not in html
