"""What a student installs: the client wheel holds the student commands and the offline check, the server's own
files byte for byte except for their imports (moved under the one top-level package `rnn_grader_client`), and
nothing of the answer key (no server, reference solutions, hidden-case generators, mutants or reference
outputs)."""

from __future__ import annotations

import ast
import hashlib
import re
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from cli.version import VERSION

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "client"))
import build_backend  # noqa: E402  (client/build_backend.py, the wheel's PEP 517 backend)

PACKAGE = "rnn_grader_client"
MOVED = ("cli", "grader")  # the repository's packages that the wheel holds under PACKAGE
# The comparison and feedback code a student's offline check shares with the server.
SHARED_WITH_SERVER = ("grader/compare.py", "grader/messages.py", "grader/procedure.py", "grader/check.py",
                      "grader/casefile.py", "grader/notebook.py", "grader/result.py")
# Undoes the one change the backend makes to a file (an import of a moved package), written independently of it.
_MOVED_IMPORT = re.compile(rf"^(\s*from\s+){PACKAGE}\.({'|'.join(MOVED)})\b", re.MULTILINE)
SERVER_DEPENDENCIES = {"fastapi", "uvicorn", "sqlmodel", "alembic", "psycopg", "procrastinate", "pyseccomp",
                       "itsdangerous", "jinja2", "pydantic-settings", "python-multipart", "prometheus-client"}


def _entries(wheel: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(wheel) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def _repository_path(entry: str) -> str:
    """The repository file a wheel entry was built from: rnn_grader_client/cli/x.py <- cli/x.py."""
    inner = entry.removeprefix(f"{PACKAGE}/")
    return inner if inner.split("/")[0] in MOVED else entry


def test_the_wheel_holds_only_the_student_side(client_wheel: Path) -> None:
    entries = _entries(client_wheel)
    code = sorted(n for n in entries if not n.startswith("rnn_grader_client-"))
    assert all(n.startswith(f"{PACKAGE}/") and n.endswith(".py") for n in code), code
    for forbidden in ("server/", "reference/", "exercises/", "grader/sandbox/", "tests/"):
        assert not any(n.startswith((forbidden, f"{PACKAGE}/{forbidden}")) for n in entries), forbidden
    for forbidden_file in ("grader/grade.py", "grader/mutants.py", "grader/patterns.py", "cli/teacher.py",
                           "cli/staff.py", "cli/authoring.py"):
        assert forbidden_file not in entries and f"{PACKAGE}/{forbidden_file}" not in entries
    assert not any(n.endswith((".npz", ".npy", ".toml")) for n in entries)
    assert {f"{PACKAGE}/cli/main.py", f"{PACKAGE}/grader/check.py", f"{PACKAGE}/grader/notebook.py",
            f"{PACKAGE}/notebook.py"} <= set(code)
    # One top-level package: nothing named cli or grader lands in a student's site-packages.
    assert entries[f"rnn_grader_client-{VERSION}.dist-info/top_level.txt"] == f"{PACKAGE}\n".encode()
    assert {n.split("/")[0] for n in code} == {PACKAGE}


def _interface_names() -> set[str]:
    """Names the generic grader declares for every exercise's trusted module (e.g. the ReferenceModule
    protocol's `hidden_cases`): a declaration is not the implementation."""
    names: set[str] = set()
    for path in (ROOT / "grader").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.ClassDef):
                names.add(node.name)
    return names


def _reference_fingerprints() -> set[str]:
    """Distinctive code lines and names of the trusted side: solutions, hidden cases, mutants, feedback."""
    interface = _interface_names()
    prints: set[str] = set()
    for path in sorted((ROOT / "reference").glob("*.py")):
        text = path.read_text(encoding="utf-8")
        for line in text.splitlines():
            stripped = line.strip()
            if len(stripped) >= 40 and not stripped.startswith(("#", '"', "'")):
                prints.add(stripped)
        for node in ast.walk(ast.parse(text)):
            if (isinstance(node, ast.FunctionDef | ast.ClassDef) and len(node.name) >= 8
                    and not node.name.startswith("_") and node.name not in interface):
                prints.add(f"def {node.name}(" if isinstance(node, ast.FunctionDef) else f"class {node.name}")
    prints |= {"rnn_cases", "rnn_mutants", "rnn_feedback", "reference.rnn", "import reference", "from reference"}
    return prints


def _leaks(wheel: Path) -> dict[str, list[str]]:
    fingerprints = _reference_fingerprints()
    leaks: dict[str, list[str]] = {}
    for name, data in _entries(wheel).items():
        found = sorted(f for f in fingerprints if f in data.decode("utf-8", "replace"))
        if b"\x93NUMPY" in data or data.startswith(b"PK"):  # arrays (reference outputs) or archives inside
            found.append("<binary>")
        if found:
            leaks[name] = found
    return leaks


def test_no_reference_code_hidden_cases_mutants_or_reference_outputs(client_wheel: Path) -> None:
    assert len(_reference_fingerprints()) > 100  # the trusted side really was read
    assert _leaks(client_wheel) == {}


def test_the_scan_would_see_a_leak(tmp_path: Path) -> None:
    """Control: a wheel that also packs the trusted files and the public examples is caught."""
    client_dir = tmp_path / "client"
    client_dir.mkdir()
    (client_dir / "build_backend.py").write_bytes((ROOT / "client" / "build_backend.py").read_bytes())
    config = (ROOT / "client" / "pyproject.toml").read_text(encoding="utf-8")
    extra = '    "reference/rnn_cases.py",\n    "reference/rnn_mutants.py",\n    "exercises/rnn/public_examples.npz",\n'
    (client_dir / "pyproject.toml").write_text(config.replace("files = [\n", "files = [\n" + extra))
    leaky = build_backend.build(tmp_path / "out", ROOT, client_dir)
    leaks = _leaks(leaky)
    assert {f"{PACKAGE}/reference/rnn_cases.py", f"{PACKAGE}/reference/rnn_mutants.py",
            f"{PACKAGE}/exercises/rnn/public_examples.npz"} <= set(leaks)


def test_the_offline_check_runs_the_servers_own_files(client_wheel: Path) -> None:
    """Each module is its repository file with only the module names of its moved imports changed."""
    entries = _entries(client_wheel)
    listed = build_backend.source_files()
    code = [n for n in entries if n.startswith(f"{PACKAGE}/")]
    assert sorted(_repository_path(n) for n in code) == sorted(listed)
    rewritten = 0
    for name in code:
        text, original = entries[name].decode("utf-8"), (ROOT / _repository_path(name)).read_text(encoding="utf-8")
        assert _MOVED_IMPORT.sub(r"\1\2", text) == original, name
        rewritten += len(_MOVED_IMPORT.findall(text))
    assert rewritten > 30  # the imports really were moved
    for name in SHARED_WITH_SERVER:
        text = entries[f"{PACKAGE}/{name}"].decode("utf-8")
        assert hashlib.sha256(_MOVED_IMPORT.sub(r"\1\2", text).encode()).digest() == \
            hashlib.sha256((ROOT / name).read_bytes()).digest(), name


def test_every_import_of_the_wheel_is_in_the_wheel_and_none_is_top_level_cli_or_grader(client_wheel: Path) -> None:
    entries = _entries(client_wheel)
    modules = {n[:-3].replace("/", ".").removesuffix(".__init__") for n in entries if n.endswith(".py")}
    for name, data in entries.items():
        if not name.endswith(".py"):
            continue
        for node in ast.walk(ast.parse(data)):
            if isinstance(node, ast.ImportFrom) and node.level:
                raise AssertionError(f"{name}: a relative import")
            targets = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for target in targets:
                top = target.split(".")[0]
                assert top not in ("cli", "grader", "server", "reference"), (name, target)
                if top == PACKAGE:
                    # cli.main registers the teacher commands only where they are installed (never in the wheel).
                    assert target in modules or (name, target) == (f"{PACKAGE}/cli/main.py", f"{PACKAGE}.cli"), \
                        (name, target)


def test_the_backend_refuses_an_import_it_cannot_move() -> None:
    moved = frozenset(MOVED)
    assert build_backend.rewrite_imports("from cli.base import fail  # x\nx = 'from cli'\n", moved, PACKAGE) == \
        f"from {PACKAGE}.cli.base import fail  # x\nx = 'from cli'\n"
    assert build_backend.rewrite_imports("def f():\n    from grader import notebook\n", moved, PACKAGE) == \
        f"def f():\n    from {PACKAGE}.grader import notebook\n"
    assert build_backend.rewrite_imports("from client import x\nfrom .cli import y\n", moved, PACKAGE) == \
        "from client import x\nfrom .cli import y\n"
    with pytest.raises(build_backend.BuildError, match="instead of `import`"):
        build_backend.rewrite_imports("import grader.notebook\n", moved, PACKAGE)


def test_metadata_depends_on_the_student_libraries_only(client_wheel: Path) -> None:
    entries = _entries(client_wheel)
    info = f"rnn_grader_client-{VERSION}.dist-info"
    metadata = entries[f"{info}/METADATA"].decode()
    deps = {re.split(r"[<>=!~ \[;]", line.split(": ", 1)[1])[0].lower()
            for line in metadata.splitlines() if line.startswith("Requires-Dist: ")}
    assert deps == {"numpy", "httpx", "typer", "rich", "pydantic", "nbformat"}
    assert not deps & SERVER_DEPENDENCIES
    assert f"Version: {VERSION}\n" in metadata and "Name: rnn-grader-client\n" in metadata
    assert entries[f"{info}/entry_points.txt"].decode() == \
        f"[console_scripts]\nrnn-grader = {PACKAGE}.cli.main:app\n"
    record = entries[f"{info}/RECORD"].decode().splitlines()
    assert len(record) == len(entries)


def test_one_version_everywhere_and_reproducible_builds(client_wheel: Path, tmp_path: Path) -> None:
    with (ROOT / "pyproject.toml").open("rb") as f:
        assert tomllib.load(f)["project"]["version"] == VERSION
    assert build_backend.version() == VERSION
    again = build_backend.build(tmp_path)
    assert again.name == client_wheel.name
    assert again.read_bytes() == client_wheel.read_bytes()  # the server's build is the very same wheel


def test_the_standard_build_frontend_builds_the_same_wheel(client_wheel: Path, tmp_path: Path) -> None:
    """`python -m build` (PEP 517, like pip) through the same backend: the same bytes."""
    import subprocess

    done = subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(tmp_path),
                           str(ROOT / "client")], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / client_wheel.name).read_bytes() == client_wheel.read_bytes()
