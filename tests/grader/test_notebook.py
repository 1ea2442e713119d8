"""grader.notebook: which statements of a notebook are graded (definitions) and which are reported as
skipped, with reasons in both languages."""

from __future__ import annotations

import ast
import json

import pytest
from helpers import notebook_bytes

from grader.notebook import AVAILABLE_MODULES, NotebookError, extract_cells, extract_notebook


def _code(*cells: str) -> list[tuple[str, str]]:
    return [("code", c) for c in cells]


def test_definitions_are_kept_and_experiments_dropped() -> None:
    out = extract_cells(_code(
        "import numpy as np\nimport math, matplotlib\nfrom numpy.linalg import norm\nfrom torch import nn",
        '"""docs"""\nH = 16\nEPS = -1e-8 * 2\nSIZES = (H, 3)\nDT = np.float64\nrng = np.random.default_rng(0)\n'
        "x = np.zeros(3)\nA[0] = 1\npass",
        "@staticmethod\ndef f(x):\n    print(x)\n    return x\n\nclass C:\n    pass\n\nasync def g():\n    pass",
        "for i in range(3):\n    f(i)\nif __name__ == '__main__':\n    f(1)\nf(2)\nwith open('x') as fh:\n    pass",
    ))
    tree = ast.parse(out.source)
    kept = [ast.unparse(n).splitlines()[0] for n in tree.body]
    assert kept == ["import numpy as np", "import math", "from numpy.linalg import norm", "H = 16",
                    "EPS = -1e-08 * 2", "SIZES = (H, 3)", "DT = np.float64", "@staticmethod", "class C:",
                    "async def g():"]
    by_cell = {c.cell: c for c in out.skipped}
    assert by_cell[1].reasons == ({"reason": "import", "modules": ["matplotlib", "torch"]},) and not by_cell[1].whole
    assert by_cell[2].reasons == ({"reason": "assignment", "lines": [6, 7, 8]},)
    assert 3 not in by_cell  # docstrings and pass are not worth a report; the def cell is whole
    assert by_cell[4].whole and by_cell[4].reasons == ({"reason": "code", "lines": [1, 3, 5, 6]},)
    compile(out.source, "notebook", "exec")


def test_magics_shell_lines_and_broken_cells() -> None:
    out = extract_cells(_code(
        "%load_ext autoreload\n!pip install torch\ndef f():\n    return 1",
        "%%time\ndef g():\n    return 2",
        "def h(:\n    pass",
        "def k():\n    !ls\n    return 3",
        "a = 1; print(a)",
    ))
    assert "def f():" in out.source and "def g" not in out.source and "def h" not in out.source
    assert "def k():\n    pass\n    return 3" in out.source  # an indented shell line becomes `pass`
    assert "a = 1" in out.source and "print" not in out.source
    reasons = {c.cell: [r["reason"] for r in c.reasons] for c in out.skipped}
    assert reasons == {1: ["magic"], 2: ["magic"], 3: ["syntax"], 4: ["magic"], 5: ["code"]}
    assert [c.whole for c in out.skipped] == [False, True, True, False, False]


def test_cells_are_numbered_by_position_and_later_definitions_win() -> None:
    cells = [("markdown", "# title"), ("code", "def f():\n    return 1"), ("raw", "x"), ("code", ""),
             ("code", "def f():\n    return 2\nf()")]
    out = extract_cells(cells)
    assert out.code_cells == 2 and [c.cell for c in out.skipped] == [5]
    namespace: dict[str, object] = {}
    exec(compile(out.source, "nb", "exec"), namespace)  # noqa: S102 - our own test source
    assert namespace["f"]() == 2  # type: ignore[operator]


def test_constants_may_only_use_names_defined_above() -> None:
    out = extract_cells(_code("A = B\nB = 1\nC = B + 1\nD = undefined.attr\nE = int"))
    assert out.source.splitlines()[1:] == ["B = 1", "C = B + 1", "E = int"]


def test_the_available_modules_are_a_parameter() -> None:
    assert "numpy" in AVAILABLE_MODULES and "os" in AVAILABLE_MODULES and "torch" not in AVAILABLE_MODULES
    out = extract_cells(_code("import numpy\nimport torch"), available={"torch"})
    assert "import torch" in out.source and "import numpy" not in out.source


def test_feedback_is_bilingual_and_names_cells_and_reasons() -> None:
    out = extract_notebook(notebook_bytes("import numpy as np\nimport torch", "print(1)"))
    lines = out.feedback()
    assert lines[0].en.startswith("From your notebook only the definitions are graded")
    assert lines[1].en == "Cell 1 was run in part; not run: imports of torch, which the grader does not have."
    assert lines[2].en.startswith("Cell 2 was not run: code that runs something") and "line" in lines[2].en
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in t.zh) for t in lines)
    assert json.loads(json.dumps(out.report())) == out.report()
    assert extract_notebook(notebook_bytes("def f():\n    pass")).feedback() == []


@pytest.mark.parametrize("data", [b"", b"{", b"null", b'{"nbformat": "4"}', b'{"nbformat": 4}', b"\x00\x01",
                                  b'{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [7]}'])
def test_broken_notebooks_raise_notebook_error_with_a_one_line_reason(data: bytes) -> None:
    with pytest.raises(NotebookError) as err:
        extract_notebook(data)
    assert str(err.value) and "\n" not in str(err.value)


def test_an_old_v3_notebook_is_converted() -> None:
    v3 = {"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": [{"cells": [
        {"cell_type": "code", "input": "def f():\n    return 3\nprint(f())", "language": "python", "outputs": []}]}]}
    out = extract_notebook(json.dumps(v3).encode())
    assert "def f():" in out.source and [c.cell for c in out.skipped] == [1]


def test_future_imports_move_to_the_top() -> None:
    out = extract_cells(_code("def f() -> int:\n    return 1", "from __future__ import annotations\nX = 1"))
    assert out.source.startswith("from __future__ import annotations\n")
    compile(out.source, "nb", "exec")
    assert out.skipped == ()
