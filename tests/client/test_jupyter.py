"""Inside Jupyter: a real notebook executed headless by a real IPython kernel (nbclient + ipykernel) checks
its own functions on the public examples, submits them to a real server and checks its gradients against
finite differences, each with one import and one call, and shows each result once, as a table.

The kernel runs the client wheel's own modules (unpacked on its PYTHONPATH, ahead of this project), in a
notebook folder that also holds the student's own `grader.py` and `cli.py`: the client still works, since
everything it has lives under `rnn_grader_client` (client/build_backend.py)."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path
from typing import Any

import httpx
import nbformat
import pytest
from helpers import running_server
from nbclient import NotebookClient

pytestmark = pytest.mark.slow

TEACHER = "teacher-token-for-jupyter-tests-0123456789"
ROOT = Path(__file__).resolve().parents[2]
# A kernel runs these for real: torch is there in the test environment but not in the sandbox.
TRAINING = """%time H = 8
rng = np.random.default_rng(0)
x, h0 = rng.normal(size=(6, 2, 3)), np.zeros((2, H))
W_xh, W_hh, b_h = rng.normal(size=(H, 3)) * 0.3, rng.normal(size=(H, H)) * 0.1, np.zeros(H)
W_hy, b_y = rng.normal(size=(2, H)) * 0.3, np.zeros(2)
for step in range(5):
    out = rnn_forward(x, h0, W_xh, W_hh, b_h, W_hy, b_y)
    print("step", step, float(np.sum(out[-1] ** 2)) if isinstance(out, tuple) else 0.0)
"""


# What a student may well have next to their notebook; imported instead of the client's modules, they say so.
OWN_FILES = {name: f'"""My own {name}."""\nraise RuntimeError("the student\'s own {name} was imported")\n'
             for name in ("grader.py", "cli.py")}
WHERE = """import importlib.util, rnn_grader_client
print("client:", rnn_grader_client.__file__)
print("grader:", importlib.util.find_spec("grader").origin)
print("cli:", importlib.util.find_spec("cli").origin)"""


def _html(cell: Any) -> str:
    return "".join(o.get("data", {}).get("text/html", "") for o in cell.outputs if o.output_type == "execute_result")


def _shown_once(cell: Any) -> None:
    """The result is the cell's one output (no second copy printed or displayed beside it)."""
    assert [o.output_type for o in cell.outputs] == ["execute_result"], cell.outputs


def test_check_and_submit_from_a_running_notebook(tmp_path: Path, solutions_dir: Path, client_wheel: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    work = tmp_path / "work"
    work.mkdir()
    shutil.copyfile(ROOT / "exercises" / "rnn" / "public_examples.npz", work / "public_examples.npz")
    for name, text in OWN_FILES.items():
        (work / name).write_text(text, encoding="utf-8")
    site = tmp_path / "site"  # the wheel, installed as pip would (a pure-Python wheel unpacks as it is)
    with zipfile.ZipFile(client_wheel) as zf:
        zf.extractall(site)
    solution = (solutions_dir / "correct_rnn.py").read_text(encoding="utf-8")
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# RNN from scratch"),
        nbformat.v4.new_code_cell("import numpy as np\nimport torch"),
        nbformat.v4.new_code_cell(solution),
        nbformat.v4.new_code_cell(TRAINING),
        nbformat.v4.new_code_cell('from rnn_grader_client.notebook import check\ncheck("rnn")'),
        nbformat.v4.new_code_cell('from rnn_grader_client.notebook import submit\nsubmit("rnn")'),
        nbformat.v4.new_code_cell('from rnn_grader_client.notebook import gradcheck\ngradcheck("rnn")'),
        nbformat.v4.new_code_cell(WHERE),
    ]
    with running_server(tmp_path, TEACHER) as url:
        student = httpx.post(f"{url}/api/v1/students", json={"student_id": "s1", "name": "Li Hua"},
                             headers={"Authorization": f"Bearer {TEACHER}"}).json()
        # The kernel inherits this environment: the student's login, private Jupyter/IPython directories.
        monkeypatch.setenv("RNN_GRADER_SERVER", url)
        monkeypatch.setenv("RNN_GRADER_TOKEN", student["token"])
        monkeypatch.setenv("PYTHONPATH", str(site))
        monkeypatch.setenv("LANG", "C.UTF-8")
        monkeypatch.delenv("LC_ALL", raising=False)
        for var, sub in (("XDG_CONFIG_HOME", "config"), ("XDG_CACHE_HOME", "cache"),
                         ("JUPYTER_RUNTIME_DIR", "jupyter"), ("IPYTHONDIR", "ipython")):
            monkeypatch.setenv(var, str(tmp_path / sub))
        NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(work)}}).execute()

        where = "".join(o.get("text", "") for o in nb.cells[7].outputs)
        assert f"client: {site / 'rnn_grader_client' / '__init__.py'}" in where
        assert f"grader: {work / 'grader.py'}" in where and f"cli: {work / 'cli.py'}" in where
        _shown_once(nb.cells[4])
        _shown_once(nb.cells[5])
        checked, submitted = _html(nb.cells[4]), _html(nb.cells[5])
        assert "rnn-grader-result" in checked and "Local check" in checked
        assert "rnn-grader-score'>100 / 100<" in checked
        # In [1] imported torch, In [3] trained: reported, not run; In [2] defined the functions.
        assert "Cell 1 was run in part; not run: imports of torch" in checked
        assert "Cell 3 was not run: IPython magics" in checked and "Cell 2 " not in checked
        assert "Submission #1" in submitted and "rnn-grader-score'>100 / 100<" in submitted
        # the backward defined in In [2] against finite differences of the forward defined there, offline
        gradchecked = _html(nb.cells[6])
        assert "rnn-grader-gradcheck" in gradchecked and "dL/dW_hh" in gradchecked
        assert "gradcheck passed: every gradient rnn_backward() returns agrees" in gradchecked

        stored = httpx.get(f"{url}/api/v1/submissions/1", headers={"Authorization": f"Bearer {TEACHER}"}).json()
        assert stored["score"] == 100 and [c["cell"] for c in stored["notebook"]["skipped"]] == [1, 3]
