"""The student's whole path in a fresh virtual environment (no access to this project's .venv or source):
install the client with the command a real `rnn-grader serve` hands out, then login, fetch, check, submit a
.py file and a notebook to 100/100; the answer key (`reference`) and the server are not importable there,
and the teacher commands do not exist. Nothing named `cli` or `grader` is installed: the student works in a
folder that holds their own `grader.py` and `cli.py`, and the client does not notice them."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path
from typing import Any

import httpx
import pytest
from helpers import EXPERIMENT_IMPORTS, TRAINING_CELL, clean_env, notebook_bytes, running_server
from wheelhouse import wheelhouse

pytestmark = pytest.mark.slow

TEACHER = "teacher-token-for-client-venv-tests-0123456789"


def _requirements(wheel_bytes: bytes, filename: str) -> list[str]:
    import io

    with zipfile.ZipFile(io.BytesIO(wheel_bytes)) as zf:
        meta = zf.read(f"{filename.split('-py3')[0]}.dist-info/METADATA").decode()
    return [line.split(": ", 1)[1] for line in meta.splitlines() if line.startswith("Requires-Dist: ")]


def test_install_from_the_server_then_a_whole_student_session(tmp_path: Path, solutions_dir: Path) -> None:
    with running_server(tmp_path, TEACHER) as url:
        info: dict[str, Any] = httpx.get(f"{url}/api/v1/client").json()
        wheel = httpx.get(url + info["url"]).content
        student = httpx.post(f"{url}/api/v1/students", json={"student_id": "s1", "name": "Li Hua"},
                             headers={"Authorization": f"Bearer {TEACHER}"}).json()

        # A fresh environment without pip of its own; this pip installs into it, offline except for the
        # server: the client's dependencies come from a local wheelhouse, the client from the install command.
        fresh = tmp_path / "fresh"
        venv.EnvBuilder(with_pip=False).create(fresh)
        python = fresh / "bin" / "python"
        command = shlex.split(info["install"])
        assert command[:2] == ["pip", "install"] and command[2].startswith(url)
        house = wheelhouse(_requirements(wheel, info["filename"]))
        installed = subprocess.run(
            [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-index",
             "--find-links", str(house), *command[2:]],
            capture_output=True, text=True, timeout=600,
        )
        assert installed.returncode == 0, installed.stderr

        work = tmp_path / "work"
        work.mkdir()
        env = clean_env(tmp_path)
        env.pop("PYTHONPATH", None)
        env["PATH"] = f"{fresh / 'bin'}:{env.get('PATH', '')}"

        def run(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(list(args), env=env, cwd=work, capture_output=True, text=True, timeout=300)

        def ok(*args: str) -> str:
            done = run(*args)
            assert done.returncode == 0, f"{args}: {done.stdout}\n{done.stderr}"
            return done.stdout

        rnn_grader = str(fresh / "bin" / "rnn-grader")
        # isolation: nothing of the server or the answer key, and no teacher commands
        for module in ("reference", "server", "cli", "grader", "rnn_grader_client.grader.sandbox",
                       "rnn_grader_client.grader.grade", "rnn_grader_client.grader.mutants",
                       "rnn_grader_client.cli.teacher", "rnn_grader_client.cli.staff",
                       "rnn_grader_client.cli.authoring"):
            probe = run(str(python), "-c", f"import {module}")
            assert probe.returncode == 1 and "ModuleNotFoundError" in probe.stderr, module
        ok(str(python), "-c", "import rnn_grader_client.cli.main, rnn_grader_client.grader.check, "
                              "rnn_grader_client.grader.notebook, rnn_grader_client.notebook")
        # From here on the student's folder also holds their own grader.py and cli.py (python -c puts the
        # folder first on sys.path, as Jupyter does): the client's modules are never these.
        for name in ("grader.py", "cli.py"):
            (work / name).write_text(f'raise RuntimeError("the student\'s own {name} was imported")\n')
        assert "own grader.py was imported" in run(str(python), "-c", "import grader").stderr
        ok(str(python), "-c", "from rnn_grader_client.notebook import check, submit, notebook_bytes; "
                              "assert notebook_bytes([('code', 'x = 1')])")
        usage = ok(rnn_grader, "--help")
        assert "submit" in usage and "check" in usage
        commands = set(re.findall(r"^│ (\w+) ", usage, re.MULTILINE))
        assert {"login", "exercises", "fetch", "check", "gradcheck", "submit", "status", "history"} <= commands
        teacher_commands = {"serve", "migrate", "worker", "scoreboard", "export", "regrade", "students", "similarity",
                            "regrades", "override", "audit", "extensions", "staff"}
        assert not commands & teacher_commands
        assert {"gradings", "requests"} <= commands  # a student asks for a regrade and reads the answer
        request_commands = set(re.findall(r"^│ (\w+) ", ok(rnn_grader, "requests", "--help"), re.MULTILINE))
        assert request_commands == {"list", "ask"}  # `requests resolve` is the teacher's

        ok(rnn_grader, "login", "--server", url, "--token", student["token"])
        ok(rnn_grader, "fetch", "rnn")
        template = work / "exercise_01_rnn.py"
        assert run(rnn_grader, "gradcheck", template.name).returncode == 2  # the template: not implemented yet
        shutil.copyfile(solutions_dir / "correct_rnn.py", template)
        assert json.loads(ok(rnn_grader, "gradcheck", template.name, "--json"))["ok"] is True
        checked = json.loads(ok(rnn_grader, "check", template.name, "--json"))
        assert checked["score"] == checked["max_score"] > 0
        submitted = json.loads(ok(rnn_grader, "submit", template.name, "--json"))
        assert submitted["status"] == "graded" and submitted["score"] == submitted["max_score"] == 100

        # the same functions in a notebook with plots and a training loop below them
        solution = (solutions_dir / "correct_rnn.py").read_text(encoding="utf-8")
        (work / "rnn.ipynb").write_bytes(notebook_bytes(EXPERIMENT_IMPORTS, solution, TRAINING_CELL))
        checked = json.loads(ok(rnn_grader, "check", "rnn.ipynb", "--examples", "public_examples.npz", "--json"))
        assert checked["score"] == checked["max_score"] and "Cell 3" in checked["feedback"]
        submitted = json.loads(ok(rnn_grader, "submit", "rnn.ipynb", "--exercise", "rnn", "--json"))
        assert submitted["score"] == 100 and [c["cell"] for c in submitted["notebook"]["skipped"]] == [1, 3]
        assert "100 / 100" in ok(rnn_grader, "status")

        # a regrade request from the client, and its answer once the teacher rejects it
        asked = json.loads(ok(rnn_grader, "requests", "ask", str(submitted["id"]), "please look again", "--json"))
        teacher = {"Authorization": f"Bearer {TEACHER}"}
        resolved = httpx.post(f"{url}/api/v1/regrade-requests/{asked['id']}/resolve", headers=teacher,
                              json={"action": "reject", "comment": "the grade stands"}, timeout=30)
        assert resolved.status_code == 200, resolved.text
        answers = json.loads(ok(rnn_grader, "requests", "list", "--json"))
        answered = [(a["id"], a["status"], a["comment"]) for a in answers]
        assert answered == [(asked["id"], "resolved", "the grade stands")]
        gradings = json.loads(ok(rnn_grader, "gradings", str(submitted["id"]), "--json"))
        assert [g["why"] for g in gradings] == ["submit"]
