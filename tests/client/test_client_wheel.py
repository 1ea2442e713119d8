"""What a student installs: the client wheel holds the student commands and the offline check, byte for byte
the server's own files, and nothing of the answer key (no server, reference solutions, hidden-case
generators, mutants or reference outputs)."""

from __future__ import annotations

import ast
import hashlib
import re
import sys
import tomllib
import zipfile
from pathlib import Path

from cli.version import VERSION

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "client"))
import build_backend  # noqa: E402  (client/build_backend.py, the wheel's PEP 517 backend)

CODE_PACKAGES = ("cli/", "grader/", "rnn_grader_client/")
# The comparison and feedback code a student's offline check shares with the server.
SHARED_WITH_SERVER = ("grader/compare.py", "grader/messages.py", "grader/procedure.py", "grader/check.py",
                      "grader/casefile.py", "grader/notebook.py", "grader/result.py")
SERVER_DEPENDENCIES = {"fastapi", "uvicorn", "sqlmodel", "alembic", "psycopg", "procrastinate", "pyseccomp",
                       "itsdangerous", "jinja2", "pydantic-settings", "python-multipart", "prometheus-client"}


def _entries(wheel: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(wheel) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def test_the_wheel_holds_only_the_student_side(client_wheel: Path) -> None:
    entries = _entries(client_wheel)
    code = sorted(n for n in entries if not n.startswith("rnn_grader_client-"))
    assert all(n.startswith(CODE_PACKAGES) and n.endswith(".py") for n in code), code
    for forbidden in ("server/", "reference/", "exercises/", "grader/sandbox/", "tests/"):
        assert not any(n.startswith(forbidden) for n in entries), forbidden
    for forbidden_file in ("grader/grade.py", "grader/mutants.py", "grader/patterns.py", "cli/teacher.py",
                           "cli/staff.py"):
        assert forbidden_file not in entries
    assert not any(n.endswith((".npz", ".npy", ".toml")) for n in entries)
    assert {"cli/main.py", "grader/check.py", "grader/notebook.py", "rnn_grader_client/notebook.py"} <= set(code)


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
    assert {"reference/rnn_cases.py", "reference/rnn_mutants.py", "exercises/rnn/public_examples.npz"} <= set(leaks)


def test_the_offline_check_runs_the_servers_own_files(client_wheel: Path) -> None:
    entries = _entries(client_wheel)
    for name in SHARED_WITH_SERVER:
        assert hashlib.sha256(entries[name]).digest() == hashlib.sha256((ROOT / name).read_bytes()).digest(), name
    for name in entries:
        if name.startswith(CODE_PACKAGES):
            assert entries[name] == (ROOT / name).read_bytes(), name


def test_every_import_of_the_wheel_is_in_the_wheel(client_wheel: Path) -> None:
    entries = _entries(client_wheel)
    modules = {n[:-3].replace("/", ".").removesuffix(".__init__") for n in entries if n.endswith(".py")}
    own = ("cli", "grader", "rnn_grader_client", "server", "reference")
    for name, data in entries.items():
        if not name.endswith(".py"):
            continue
        for node in ast.walk(ast.parse(data)):
            targets = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for target in targets:
                if target.split(".")[0] in own:
                    # cli.main registers the teacher commands only where the server is installed.
                    assert target in modules or (name, target) == ("cli/main.py", "cli"), (name, target)


def test_metadata_depends_on_the_student_libraries_only(client_wheel: Path) -> None:
    entries = _entries(client_wheel)
    info = f"rnn_grader_client-{VERSION}.dist-info"
    metadata = entries[f"{info}/METADATA"].decode()
    deps = {re.split(r"[<>=!~ \[;]", line.split(": ", 1)[1])[0].lower()
            for line in metadata.splitlines() if line.startswith("Requires-Dist: ")}
    assert deps == {"numpy", "httpx", "typer", "rich", "pydantic", "nbformat"}
    assert not deps & SERVER_DEPENDENCIES
    assert f"Version: {VERSION}\n" in metadata and "Name: rnn-grader-client\n" in metadata
    assert entries[f"{info}/entry_points.txt"].decode() == "[console_scripts]\nrnn-grader = cli.main:app\n"
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
