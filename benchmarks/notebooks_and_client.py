"""What a notebook upload and the client wheel cost: extraction time for notebooks up to the default
MAX_NOTEBOOK_KIB (2 MiB, mostly outputs), and building the client wheel from its sources.

    .venv/bin/python benchmarks/notebooks_and_client.py
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "client"))
import build_backend  # noqa: E402

from grader.notebook import extract_notebook  # noqa: E402

SOLUTION = (ROOT / "tests" / "solutions" / "correct_rnn.py").read_text(encoding="utf-8")
EXPERIMENT = "x = np.zeros(3)\nprint(x)\nfor step in range(3):\n    loss = float(x.sum())\n"


def notebook(cells: int, image_kib: int) -> bytes:
    nb = nbformat.v4.new_notebook()  # type: ignore[no-untyped-call]
    for i in range(cells):
        cell = nbformat.v4.new_code_cell(SOLUTION if i % 10 == 0 else EXPERIMENT)  # type: ignore[no-untyped-call]
        cell.outputs = [nbformat.v4.new_output(  # type: ignore[no-untyped-call]
            "display_data", data={"image/png": "A" * image_kib * 1024})]
        nb.cells.append(cell)
    return json.dumps(nb).encode()


def timed(fn: object, repeat: int = 5) -> float:
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()  # type: ignore[operator]
        runs.append((time.perf_counter() - started) * 1000)
    return statistics.median(runs)


def main() -> None:
    for cells, image_kib in ((20, 0), (50, 10), (200, 9)):
        data = notebook(cells, image_kib)
        ms = timed(lambda data=data: extract_notebook(data))
        print(f"notebook {len(data) // 1024:5d} KiB, {cells:3d} code cells: extract median {ms:7.1f} ms")
    with tempfile.TemporaryDirectory() as out:
        ms = timed(lambda: build_backend.build(Path(out)))
        print(f"client wheel build: median {ms:.1f} ms ({build_backend.wheel_name()})")
        ms = timed(lambda: build_backend.source_digest())
        print(f"client source digest (per GET /api/v1/client): median {ms:.2f} ms")


if __name__ == "__main__":
    main()
