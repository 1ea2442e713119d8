"""PEP 517 backend for the student client wheel (`rnn-grader-client`), standard library only.

It packs the repository files listed in client/pyproject.toml ([tool.rnn-grader-client] files) into a
pure-Python wheel whose only top-level package is `rnn_grader_client` (the `package` setting): a listed file
outside that package goes in under it (`cli/main.py` -> `rnn_grader_client/cli/main.py`), and every absolute
import of those moved packages is rewritten to match (`from cli.base import x` -> `from
rnn_grader_client.cli.base import x`), in every listed file. Nothing else changes, byte for byte, so the
student's offline check runs the very code the server runs; and nothing named `cli` or `grader` is installed
into a student's environment, where a student's own `cli.py` or `grader.py` would shadow it (docs/client.md).

The wheel is reproducible (sorted entries, fixed timestamps and modes): the same sources give the same bytes and
sha256, which is how the server caches it. `pip wheel client/` and `python -m build --wheel client/` call
build_wheel(); the server calls build() directly.
"""

from __future__ import annotations

import ast
import base64
import hashlib
import io
import os
import re
import tokenize
import tomllib
import zipfile
from pathlib import Path
from typing import Any

CLIENT_DIR = Path(__file__).resolve().parent
ROOT = CLIENT_DIR.parent
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
_VERSION_RE = re.compile(r'^VERSION\s*=\s*"([^"]+)"', re.MULTILINE)


class BuildError(RuntimeError):
    """A listed file cannot go into the wheel as it is written (the message says which and why)."""


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


def package_name(client_dir: Path = CLIENT_DIR) -> str:
    return str(_config(client_dir)["tool"]["rnn-grader-client"]["package"])


def wheel_path(name: str, package: str) -> str:
    """Where a listed repository file goes in the wheel: under the one top-level package."""
    return name if name.split("/")[0] == package else f"{package}/{name}"


def moved_packages(files: list[str], package: str) -> frozenset[str]:
    """The repository's top-level packages that the wheel moves under `package` (e.g. cli, grader)."""
    return frozenset(name.split("/")[0] for name in files if "/" in name and name.split("/")[0] != package)


def rewrite_imports(text: str, moved: frozenset[str], package: str, name: str = "<file>") -> str:
    """`from cli.x import y` -> `from <package>.cli.x import y` for every absolute import of a moved package;
    nothing else changes. `import cli.x` cannot be moved that way (the name it binds would change): refused."""
    tree = ast.parse(text, filename=name)
    lines = text.splitlines(keepends=True)
    starts: set[tuple[int, int]] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(a.name.split(".")[0] in moved for a in node.names):
            raise BuildError(f"{name}:{node.lineno}: write `from ... import ...` instead of `import` for modules "
                             f"of {', '.join(sorted(moved))} (the wheel moves them under {package})")
        if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] in moved:
            # ast counts the column in UTF-8 bytes, tokenize in characters.
            column = len(lines[node.lineno - 1].encode("utf-8")[: node.col_offset].decode("utf-8"))
            starts.add((node.lineno, column))
    names: list[tuple[int, int]] = []
    after_from = False
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type == tokenize.NAME and token.string == "from" and token.start in starts:
            after_from = True
        elif after_from and token.type == tokenize.NAME:
            names.append(token.start)
            after_from = False
    if len(names) != len(starts):
        raise BuildError(f"{name}: could not find the module name of every import to rewrite")
    for row, column in sorted(names, reverse=True):
        line = lines[row - 1]
        lines[row - 1] = f"{line[:column]}{package}.{line[column:]}"
    return "".join(lines)


def wheel_files(root: Path = ROOT, client_dir: Path = CLIENT_DIR) -> list[tuple[str, bytes]]:
    """(path in the wheel, bytes) of every listed file, moved and rewritten as above."""
    files = source_files(root, client_dir)
    package = package_name(client_dir)
    moved = moved_packages(files, package)
    out: dict[str, bytes] = {}
    for name in files:
        data = (root / name).read_bytes()
        if name.endswith(".py"):
            data = rewrite_imports(data.decode("utf-8"), moved, package, name).encode("utf-8")
        target = wheel_path(name, package)
        if target in out:
            raise BuildError(f"two listed files go to {target} in the wheel")
        out[target] = data
    return sorted(out.items())


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
    entries = wheel_files(root, client_dir)
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
