"""A local wheelhouse of the client's dependencies, at exactly the versions this environment has, so a fresh
virtual environment installs offline (`pip install --no-index --find-links`): built once with pip's own
download (served from pip's cache and the configured indexes) and kept in the test environment."""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

WHEELHOUSE = Path(sys.prefix) / "client-wheelhouse"


def pinned_closure(requirements: list[str]) -> list[str]:
    """`name==version` for every installed distribution the requirements pull in (markers evaluated here)."""
    env = default_environment()
    seen: dict[str, str] = {}
    todo = [Requirement(r) for r in requirements]
    while todo:
        req = todo.pop()
        if req.marker is not None and not req.marker.evaluate({**env, "extra": ""}):
            continue
        name = canonicalize_name(req.name)
        if name in seen:
            continue
        dist = metadata.distribution(req.name)
        seen[name] = dist.version
        todo += [Requirement(r) for r in dist.requires or []]
    return sorted(f"{n}=={v}" for n, v in seen.items())


def wheelhouse(requirements: list[str]) -> Path:
    pins = pinned_closure(requirements)
    stamp = WHEELHOUSE / "pins.txt"
    if stamp.is_file() and stamp.read_text() == "\n".join(pins):
        return WHEELHOUSE
    WHEELHOUSE.mkdir(exist_ok=True)
    done = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-q", "-d", str(WHEELHOUSE),
         *pins],
        capture_output=True, text=True, timeout=600,
    )
    if done.returncode != 0:
        raise AssertionError(f"cannot build the client's wheelhouse (needs pip's cache or an index):\n{done.stderr}")
    stamp.write_text("\n".join(pins))
    return WHEELHOUSE
