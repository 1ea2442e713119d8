"""Faults lose nothing (issue 19), on real `rnn-grader serve` processes:
- the API process of the embedded default is killed (SIGKILL) in the middle of a burst of submissions: after a
  restart every submission that got a 2xx is graded exactly once, and the ones whose answer was lost are there
  once when the client retries with its Idempotency-Key (SQLite and PostgreSQL);
- the data directory's filesystem fills up (a tmpfs mounted by the test): submissions get a clear 507, nothing
  is half-written, and the server works again once space returns (SQLite: the data directory is its disk);
- a copy of the live database file and its WAL, taken while the server writes, is never accepted as a backup,
  while `rnn-grader backup` taken at the same moment restores.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import signal
import subprocess
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from helpers import assert_error, run_cli, server_process, wait_for

from server.sqlite_library import sqlite_module

pytestmark = pytest.mark.slow
TEACHER = "faults-teacher-token-0123456789abcdef"
SECRET = "faults-seed-secret-0123456789abcdef"
TEACHER_HEADERS = {"Authorization": f"Bearer {TEACHER}"}


def add_student(url: str, student_id: str) -> dict[str, str]:
    created = httpx.post(f"{url}/api/v1/students", json={"student_id": student_id, "name": student_id},
                         headers=TEACHER_HEADERS, timeout=30)
    assert created.status_code == 201, created.text
    return {"Authorization": f"Bearer {created.json()['token']}"}


def submit(url: str, headers: dict[str, str], source: str, key: str | None = None) -> httpx.Response:
    extra = {"Idempotency-Key": key} if key else {}
    return httpx.post(f"{url}/api/v1/submissions", json={"exercise": "rnn", "source": source},
                      headers={**headers, **extra}, timeout=30)


def graded_once(url: str, submission_id: int) -> bool:
    """Graded, with exactly one grading in its history."""
    done = httpx.get(f"{url}/api/v1/submissions/{submission_id}?wait=30", headers=TEACHER_HEADERS, timeout=40)
    if done.json()["status"] != "graded":
        return False
    history = httpx.get(f"{url}/api/v1/submissions/{submission_id}/gradings", headers=TEACHER_HEADERS, timeout=30)
    assert history.status_code == 200, history.text
    return [g["status"] for g in history.json()] == ["graded"]


def all_submissions(url: str) -> list[dict[str, Any]]:
    listed = httpx.get(f"{url}/api/v1/submissions?limit=200", headers=TEACHER_HEADERS, timeout=30)
    assert listed.status_code == 200, listed.text
    subs: list[dict[str, Any]] = listed.json()
    return subs


def children_of(pid: int) -> list[int]:
    with contextlib.suppress(OSError):
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    return []


def gone(pids: list[int]) -> bool:
    return not any(Path(f"/proc/{p}").exists() and "zombie" not in _state(p) for p in pids)


def _state(pid: int) -> str:
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/status").read_text().split("State:")[1].splitlines()[0].lower()
    return "zombie"


# ---------------------------------------------------------------- kill -9 in the middle of a burst
def test_kill_9_of_the_api_mid_burst_loses_nothing_and_grades_each_once(
    database_url: str, tmp_path: Path, correct_source: str,
) -> None:
    settings = {"database_url": database_url, "secret": SECRET, "workers": "2", "lease_seconds": "2",
                "sweep_seconds": "0.5", "backup_interval": "0"}
    keys = [f"burst-{uuid.uuid4().hex}" for _ in range(40)]
    answers: dict[str, int] = {}  # key -> submission id, for every 2xx
    lost: list[str] = []  # keys whose request got no answer (connection refused or reset)
    lock = threading.Lock()

    with server_process(tmp_path, TEACHER, log_name="first.log", **settings) as (url, api):
        students = [add_student(url, f"s{i}") for i in range(4)]

        def burst(index: int) -> None:
            for key in keys[index::4]:
                try:
                    response = submit(url, students[index], correct_source, key)
                except httpx.TransportError:
                    with lock:
                        lost.append(key)
                    continue
                assert response.is_success, response.text
                with lock:
                    answers[key] = int(response.json()["id"])

        threads = [threading.Thread(target=burst, args=(i,)) for i in range(4)]
        for thread in threads:
            thread.start()
        wait_for(lambda: len(answers) >= 12, 120, "a dozen accepted submissions", interval=0.005)
        graders = children_of(api.pid)
        os.kill(api.pid, signal.SIGKILL)  # the API process only: its grading processes notice and finish up
        api.wait(timeout=30)
        for thread in threads:
            thread.join(timeout=120)
        wait_for(lambda: gone(graders), 60, "the killed server's grading processes to exit")
    assert len(answers) + len(lost) == len(keys) and lost, (len(answers), len(lost))
    first_answers = dict(answers)

    with server_process(tmp_path, TEACHER, log_name="second.log", **settings) as (url, _api):
        for index, key in enumerate(keys):
            if key in lost:  # the client retries with the same key: one submission, whatever happened before
                response = submit(url, students[index % 4], correct_source, key)
                assert response.is_success, response.text
                answers[key] = int(response.json()["id"])
        again = submit(url, students[0], correct_source, keys[0])  # a retry of an answered request
        assert again.is_success and int(again.json()["id"]) == answers[keys[0]]
        assert all(first_answers[k] == answers[k] for k in first_answers)
        for key in keys:
            assert graded_once(url, answers[key]), key
        stored = all_submissions(url)
    assert sorted(int(s["id"]) for s in stored) == sorted(answers.values())  # no duplicate, nothing extra


# ---------------------------------------------------------------- the disk fills up
@contextlib.contextmanager
def small_filesystem(path: Path, size_mib: int) -> Iterator[Path]:
    """A tmpfs of `size_mib` mounted at `path` for the test (needs root, which the test machines are)."""
    if os.geteuid() != 0:
        pytest.fail("this test mounts a tmpfs: run it as root (CI and the development machines are)")
    path.mkdir(parents=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_mib}m,mode=0700", "tmpfs", str(path)], check=True)
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def fill(directory: Path) -> Path:
    """Write a file until the filesystem has no block left."""
    filler = directory / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        for chunk in (b"\0" * (1 << 20), b"\0" * (1 << 12), b"\0"):
            with contextlib.suppress(OSError):
                while os.write(fd, chunk):
                    pass
    finally:
        os.close(fd)
    assert shutil.disk_usage(directory).free < (64 << 10), shutil.disk_usage(directory)
    return filler


def test_a_full_disk_refuses_submissions_cleanly_and_the_server_recovers(tmp_path: Path, correct_source: str) -> None:
    big = correct_source + "\n# " + "x" * (60 << 10) + "\n"  # near the 64 KiB limit: every row is a real write
    with small_filesystem(tmp_path / "data", 24) as data:
        settings = {"data_dir": str(data), "workers": "1", "lease_seconds": "2", "sweep_seconds": "0.5",
                    "backup_interval": "0"}
        accepted: list[int] = []
        with server_process(tmp_path, TEACHER, **settings) as (url, _api):
            student = add_student(url, "s1")
            first = submit(url, student, correct_source)
            assert first.status_code == 202
            accepted.append(int(first.json()["id"]))
            assert graded_once(url, accepted[0])

            filler = fill(data)
            refused = None
            for _ in range(300):  # the WAL may still have room for a few rows
                response = submit(url, student, big)
                if response.status_code != 202:
                    refused = response
                    break
                accepted.append(int(response.json()["id"]))
            assert refused is not None, "the full disk never refused a submission"
            body = assert_error(refused, 507, "StorageFull")
            assert "nothing was stored" in body["detail"] and refused.headers["Retry-After"]
            assert all_submissions(url)  # reading still works

            filler.unlink()  # space returns
            again = submit(url, student, big)
            assert again.status_code == 202, again.text
            accepted.append(int(again.json()["id"]))
            for submission_id in accepted:
                assert graded_once(url, submission_id), submission_id
            assert sorted(int(s["id"]) for s in all_submissions(url)) == sorted(accepted)
        log = (tmp_path / "server.log").read_text()
        assert "storage full" in log and "Traceback" not in log.split("storage full")[0][-2000:]
        connection = sqlite_module().connect(f"file:{data / 'rnn-grader.db'}?mode=ro", uri=True)
        try:
            assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            rows = connection.execute("SELECT id, status FROM submissions ORDER BY id").fetchall()
        finally:
            connection.close()
        assert rows == [(i, "graded") for i in sorted(accepted)]


def test_enospc_is_recognised_whatever_reports_it() -> None:
    from server.errors import is_storage_full

    assert is_storage_full(OSError(errno.ENOSPC, "No space left on device"))
    assert is_storage_full(sqlite_module().OperationalError("database or disk is full"))
    assert not is_storage_full(sqlite_module().OperationalError("database is locked"))


# ---------------------------------------------------------------- a live copy is not a backup
def test_a_copy_of_the_live_database_is_never_a_backup(tmp_path: Path, correct_source: str) -> None:
    settings = {"workers": "1", "backup_interval": "0"}
    with server_process(tmp_path, TEACHER, **settings) as (url, _api):
        student = add_student(url, "s1")
        ids = [int(submit(url, student, correct_source).json()["id"]) for _ in range(6)]
        live = tmp_path / "data" / "rnn-grader.db"
        copies = tmp_path / "copied"
        copies.mkdir()
        shutil.copy(live, copies / "rnn-grader.db")  # what a naive `cp` does while the server writes
        if live.with_name("rnn-grader.db-wal").exists():
            shutil.copy(live.with_name("rnn-grader.db-wal"), copies / "rnn-grader.db-wal")
        env = {**os.environ, "RNN_GRADER_DATA_DIR": str(tmp_path / "data")}
        env.pop("RNN_GRADER_DATABASE_URL", None)
        made = run_cli(["backup", "--out", str(tmp_path / "real.db")], env)
        assert made.returncode == 0, made.stderr
        for submission_id in ids:
            assert graded_once(url, submission_id)
    refused = run_cli(["restore", str(copies / "rnn-grader.db"), "--database-url",
                       f"sqlite:///{tmp_path / 'from-copy.db'}"], env)
    assert refused.returncode == 1 and "copy of a live WAL-mode database" in refused.stderr, refused.stderr
    assert not (tmp_path / "from-copy.db").exists()
    restored = run_cli(["restore", str(tmp_path / "real.db"), "--database-url",
                        f"sqlite:///{tmp_path / 'from-backup.db'}"], env)
    assert restored.returncode == 0, restored.stderr


def test_a_backup_onto_a_full_disk_fails_cleanly_and_keeps_the_last_one(tmp_path: Path, sqlite_template: Path) -> None:
    source = tmp_path / "rnn-grader.db"
    source.write_bytes(sqlite_template.read_bytes())
    env = {**os.environ, "RNN_GRADER_DATABASE_URL": f"sqlite:///{source}"}
    with small_filesystem(tmp_path / "backups", 2) as backups:
        first = run_cli(["backup", "--out", str(backups / "first.db")], env)
        assert first.returncode == 0, first.stderr
        fill(backups)
        second = run_cli(["backup", "--out", str(backups / "first.db")], env)  # would replace the first one
        assert second.returncode == 1 and second.stderr.startswith("error: "), second.stderr
        assert "Traceback" not in second.stderr
        assert sorted(p.name for p in backups.iterdir()) == ["filler", "first.db"]  # no partial file left
        (backups / "filler").unlink()
        restored = run_cli(["restore", str(backups / "first.db"), "--database-url",
                            f"sqlite:///{tmp_path / 'restored.db'}"], env)
        assert restored.returncode == 0, restored.stderr
