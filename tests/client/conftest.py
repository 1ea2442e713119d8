"""The student client wheel, built once per session the standard way (`pip wheel client/`, no network:
its build backend needs nothing but the standard library)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def client_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("client-wheel")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-index", "-q", "-w", str(out), str(ROOT / "client")],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    wheels = list(out.glob("*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]
