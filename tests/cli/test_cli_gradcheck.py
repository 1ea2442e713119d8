"""`rnn-grader gradcheck FILE`: offline (the network is never touched), exit status 0 when every gradient agrees,
1 when one disagrees, 2 when nothing could be compared; a table or `--json`; English or Chinese."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from helpers import notebook_bytes
from typer.testing import CliRunner, Result

import cli.transport
from cli.main import app
from grader.exercise import load_exercises
from grader.mutant_patches import replace_functions
from reference import gradients_mutants, rnn_mutants

EXERCISES = load_exercises()


@pytest.fixture(autouse=True)
def offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A work folder with both exercises' public examples side by side, English, no network at all."""
    def no_network(server: str, timeout: float = 30.0) -> object:
        raise AssertionError("gradcheck must not touch the network")

    monkeypatch.setattr(cli.transport, "client_factory", no_network)
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.setenv("COLUMNS", "250")
    monkeypatch.chdir(tmp_path)
    for exercise in EXERCISES.values():
        shutil.copyfile(exercise.spec.public_examples_path, exercise.spec.public_examples_path.name)


def run(*args: str) -> Result:
    return CliRunner().invoke(app, ["gradcheck", *args])


def test_a_correct_solution_exits_0_with_a_table_and_a_verdict() -> None:
    Path("exercise_01_rnn.py").write_text(rnn_mutants.BASE_SOURCE)
    result = run("exercise_01_rnn.py")
    assert result.exit_code == 0, result.output
    for needle in ("dL/dW_hh", "(H, H)", "agrees", "3 random cases", "gradcheck passed"):
        assert needle in result.stdout
    body = json.loads(run("exercise_01_rnn.py", "--json").stdout)
    assert body["ok"] is True and body["status"] == "passed" and body["exercise"] == "rnn"
    assert [t["name"] for t in body["tensors"]] == ["x", "h0", "W_xh", "W_hh", "b_h", "W_hy", "b_y"]
    assert all(t["ok"] and t["max_rel_error"] < 1e-9 for t in body["tensors"])


def test_exercise_02_is_found_by_its_file_name_among_two_examples_files() -> None:
    Path("exercise_02_gradients.py").write_text(gradients_mutants.BASE_SOURCE)
    body = json.loads(run("exercise_02_gradients.py", "--json").stdout)
    assert body["ok"] is True and body["exercise"] == "rnn_gradients"
    assert (body["forward"], body["backward"]) == ("rnn_states", "truncated_bptt")
    assert [t["name"] for t in body["tensors"]] == ["a", "h0", "W_hh"]


def test_a_wrong_backward_exits_1_and_names_the_first_wrong_step_in_chinese() -> None:
    variant = rnn_mutants.BY_NAME["backward.no_dh_next"].variants[0]
    Path("mine.py").write_text(replace_functions(rnn_mutants.BASE_SOURCE, {variant.function: variant.source}))
    result = run("mine.py", "--examples", "public_examples.npz", "--lang", "zh")
    assert result.exit_code == 1, result.output
    assert "不一致" in result.stdout and "梯度检验未通过" in result.stdout and "时间步 t =" in result.stdout
    body = json.loads(run("mine.py", "--examples", "public_examples.npz", "--json").stdout)
    assert body["ok"] is False and body["status"] == "failed"
    assert {t["name"] for t in body["tensors"] if not t["ok"]} == {"x", "h0", "W_xh", "W_hh", "b_h"}
    assert body["first_disagreement"]["tensor"] == "x" and body["first_disagreement"]["step"] >= 1


def test_the_template_exits_2_and_still_prints_json() -> None:
    template = EXERCISES["rnn_gradients"].spec.template_path
    shutil.copyfile(template, template.name)
    result = run(template.name)
    assert result.exit_code == 2 and "rnn_states() is not implemented yet" in result.stdout
    body = json.loads(run(template.name, "--json").stdout)
    assert body["ok"] is False and body["status"] == "error" and body["tensors"] == []


def test_files_that_cannot_be_checked_are_one_error_line_and_exit_2() -> None:
    def error(result: Result, needle: str) -> None:
        assert result.exit_code == 2, result.output
        assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1 and needle in result.stderr

    error(run("missing.py"), "file not found: missing.py")
    Path("mine.py").write_text("x = 1\n")
    error(run("mine.py"), "several .npz files")
    error(run("mine.py", "--examples", "nope.npz"), "cannot read nope.npz")
    Path("bad.npz").write_bytes(b"not an npz")
    error(run("mine.py", "--examples", "bad.npz"), "not a public examples file")
    tiny = Path(__file__).resolve().parents[1] / "fixtures" / "tiny" / "public_examples.npz"
    error(run("mine.py", "--examples", str(tiny)), "declares no forward/backward pair")
    # With --json a script still gets its document (and the error line on stderr); in the language asked for.
    scripted = run("mine.py", "--examples", "nope.npz", "--json")
    error(scripted, "cannot read nope.npz")
    assert json.loads(scripted.stdout) == {"ok": False, "status": "error", "error": scripted.stderr[7:].strip(),
                                           "tensors": []}
    assert "没有声明" in run("mine.py", "--examples", str(tiny), "--lang", "zh").stderr


def test_a_notebook_is_checked_on_its_definitions() -> None:
    Path("work.ipynb").write_bytes(notebook_bytes(rnn_mutants.BASE_SOURCE, "print(rnn_forward)\nraise SystemExit(3)"))
    body = json.loads(run("work.ipynb", "--examples", "public_examples.npz", "--json").stdout)
    assert body["ok"] is True and body["exercise"] == "rnn"
