"""PEP 517 backend for the student client wheel (`rnn-grader-client`), standard library only.

It packs the repository files listed in client/pyproject.toml ([tool.rnn-grader-client] files) unchanged into
a pure-Python wheel, so the student's offline check runs the very files the server runs. The wheel is
reproducible (sorted entries, fixed timestamps and modes): the same sources give the same bytes and sha256,
which is how the server caches it. `pip wheel client/` and `python -m build --wheel client/` call
build_wheel(); the server calls build() directly.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import re
import tomllib
import zipfile
from pathlib import Path
from typing import Any

CLIENT_DIR = Path(__file__).resolve().parent
ROOT = CLIENT_DIR.parent
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
_VERSION_RE = re.compile(r'^VERSION\s*=\s*"([^"]+)"', re.MULTILINE)


def _config(client_dir: Path) -> dict[str, Any]:
    with (client_dir / "pyproject.toml").open("rb") as f:
        return tomllib.load(f)


def version(root: Path = ROOT) -> str:
    found = _VERSION_RE.search((root / "cli" / "version.py").read_text(encoding="utf-8"))
    if not found:
        raise RuntimeError("cli/version.py has no VERSION")
    return found.group(1)


def source_files(root: Path = ROOT, client_dir: Path = CLIENT_DIR) -> list[str]:
    return sorted(str(f) for f in _config(client_dir)["tool"]["rnn-grader-client"]["files"])


def source_digest(root: Path = ROOT, client_dir: Path = CLIENT_DIR) -> str:
    """A hash of everything that decides the wheel's bytes: this backend, its config and the listed files."""
    h = hashlib.sha256()
    for path in (client_dir / "build_backend.py", client_dir / "pyproject.toml"):
        h.update(path.read_bytes())
    for name in source_files(root, client_dir):
        h.update(name.encode() + b"\0" + (root / name).read_bytes() + b"\0")
    return h.hexdigest()


def wheel_name(root: Path = ROOT, client_dir: Path = CLIENT_DIR) -> str:
    name = str(_config(client_dir)["project"]["name"]).replace("-", "_")
    return f"{name}-{version(root)}-py3-none-any.whl"


def _metadata(project: dict[str, Any], ver: str) -> str:
    lines = [
        "Metadata-Version: 2.1",
        f"Name: {project['name']}",
        f"Version: {ver}",
        f"Summary: {project.get('description', '')}",
        f"Requires-Python: {project.get('requires-python', '>=3.11')}",
    ]
    lines += [f"Requires-Dist: {dep}" for dep in project.get("dependencies", [])]
    return "\n".join(lines) + "\n"


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def build(out_dir: Path, root: Path = ROOT, client_dir: Path = CLIENT_DIR) -> Path:
    """Write the wheel into `out_dir` and return its path."""
    project = _config(client_dir)["project"]
    ver = version(root)
    dist_info = f"{str(project['name']).replace('-', '_')}-{ver}.dist-info"
    entries: list[tuple[str, bytes]] = [(name, (root / name).read_bytes()) for name in source_files(root, client_dir)]
    scripts = "".join(f"{k} = {v}\n" for k, v in sorted(project.get("scripts", {}).items()))
    entries += [
        (f"{dist_info}/METADATA", _metadata(project, ver).encode()),
        (f"{dist_info}/WHEEL", b"Wheel-Version: 1.0\nGenerator: rnn-grader build_backend\n"
                               b"Root-Is-Purelib: true\nTag: py3-none-any\n"),
        (f"{dist_info}/entry_points.txt", f"[console_scripts]\n{scripts}".encode()),
        (f"{dist_info}/top_level.txt", "".join(sorted({n.split('/')[0] + "\n" for n, _ in entries})).encode()),
    ]
    record = "\n".join(_record_line(n, d) for n, d in entries) + f"\n{dist_info}/RECORD,,\n"
    entries.append((f"{dist_info}/RECORD", record.encode()))
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / wheel_name(root, client_dir)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.write_bytes(buf.getvalue())
    tmp.replace(target)
    return target


# ---------------------------------------------------------------- PEP 517 hooks
def get_requires_for_build_wheel(config_settings: dict[str, Any] | None = None) -> list[str]:
    return []


def build_wheel(wheel_directory: str, config_settings: dict[str, Any] | None = None,
                metadata_directory: str | None = None) -> str:
    return build(Path(wheel_directory)).name
