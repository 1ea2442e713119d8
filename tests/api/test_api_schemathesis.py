"""An independent fuzzer against the published schema: schemathesis's own CLI, every check it has
(`--checks all`: no 5xx, every status code and body as declared, invalid data refused and valid data
accepted, `Allow` on 405, credentials required, resources usable after creation, ...) and all its phases
(examples, coverage, fuzzing, stateful), against a real `rnn-grader serve` process with one grading worker,
as an instructor, as a TA and as a student. Finishing with no failure is the test.

tests/api/schemathesis.toml names the one exception: uploads whose file content the schema can only call
bytes. Sized for a shared 2-core machine (MAX_EXAMPLES per operation, a fixed seed so a failure reproduces
with the command the test prints).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from helpers import add_staff, running_server
from sqlalchemy import create_engine

TEACHER = "teacher-token-for-schemathesis-0123456789"
SECRET = "schemathesis-seed-secret-0123456789abcdef"
CONFIG = Path(__file__).with_name("schemathesis.toml")
MAX_EXAMPLES = 20
SEED = 20
RUN_TIMEOUT_S = 600


@pytest.fixture
def api(tmp_path: Path, database_url: str) -> Iterator[dict[str, str]]:
    """A real server on this test's database, and a bearer token for each kind of caller."""
    with running_server(tmp_path, TEACHER, database_url=database_url, secret=SECRET) as base:
        created = httpx.post(f"{base}/api/v1/students", json={"student_id": "s1", "name": "Schema Student"},
                             headers={"Authorization": f"Bearer {TEACHER}"}, timeout=30)
        assert created.status_code == 201, created.text
        engine = create_engine(database_url)
        try:
            ta_token = add_staff(engine, "ta1", role="ta")
            add_staff(engine, "victim", role="ta")  # whom the staff actions act on (schemathesis.toml)
        finally:
            engine.dispose()
        yield {"base": base, "instructor": TEACHER, "ta": ta_token, "student": created.json()["token"]}


@pytest.mark.slow
@pytest.mark.parametrize("who", ["instructor", "ta", "student"])
def test_schemathesis_finds_nothing_with_all_checks(api: dict[str, str], who: str, tmp_path: Path) -> None:
    command = [
        str(Path(sys.executable).with_name("schemathesis")), "--no-color", "--config-file", str(CONFIG), "run",
        f"{api['base']}/openapi.json", "--checks", "all", "--max-examples", str(MAX_EXAMPLES), "--seed", str(SEED),
        "--workers", "1", "--request-timeout", "90", "--output-truncate", "true",
        "-H", f"Authorization: Bearer {api[who]}",
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=RUN_TIMEOUT_S, cwd=tmp_path)
    summary = done.stdout[done.stdout.find("SUMMARY"):] if "SUMMARY" in done.stdout else done.stdout[-3000:]
    print(f"schemathesis as {who}:\n{summary}")
    assert done.returncode == 0, f"schemathesis as {who} found failures:\n{done.stdout[-20000:]}\n{done.stderr}"
    assert "Tested: " in done.stdout and " passed" in done.stdout, done.stdout

