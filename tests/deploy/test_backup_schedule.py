"""deploy/backup/schedule.sh, the compose backup service's loop: settings it cannot follow stop it with a message
(never pg_dump back to back, never a retention of 0 that deletes every backup); `off` idles. Run with sh and
stand-ins for `rnn-grader` and `sleep` on PATH, so each turn of the loop is seen."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "deploy" / "backup" / "schedule.sh"


def _run(tmp_path: Path, interval: str | None, keep: str | None = None) -> subprocess.CompletedProcess[str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    # rnn-grader: records the call; sleep: records its argument and ends the script (its pid, from the pid file:
    # after `exec sleep` that is the sleep itself).
    (bin_dir / "rnn-grader").write_text(f'#!/bin/sh\necho "$@" >> {tmp_path}/calls\n')
    (bin_dir / "sleep").write_text(f'#!/bin/sh\necho "$@" >> {tmp_path}/sleeps\nkill -TERM "$(cat {tmp_path}/pid)"\n')
    for tool in bin_dir.iterdir():
        tool.chmod(0o755)
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin"}
    if interval is not None:
        env["RNN_GRADER_BACKUP_INTERVAL"] = interval
    if keep is not None:
        env["RNN_GRADER_BACKUP_KEEP"] = keep
    return subprocess.run(["sh", "-c", f'echo $$ > {tmp_path}/pid; exec sh "$0"', str(SCRIPT)], env=env,
                          capture_output=True, text=True, timeout=30, cwd=tmp_path)


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


@pytest.mark.parametrize("interval", [None, "86400", "30m", "6h", "1d"])
def test_a_valid_interval_takes_a_backup_then_sleeps_that_long(tmp_path: Path, interval: str | None) -> None:
    _run(tmp_path, interval)
    calls = _lines(tmp_path / "calls")
    assert len(calls) == 1 and calls[0].startswith("backup --out /backups/rnn-grader-") and calls[0].endswith("--json")
    assert _lines(tmp_path / "sleeps") == [interval or "1d"]


@pytest.mark.parametrize("interval", ["off", "0"])
def test_off_takes_no_backup_and_idles(tmp_path: Path, interval: str) -> None:
    done = _run(tmp_path, interval)
    assert "no backups are taken" in done.stderr
    assert _lines(tmp_path / "calls") == [] and _lines(tmp_path / "sleeps") == ["infinity"]


@pytest.mark.parametrize(("interval", "keep", "said"), [
    ("P1D", None, "RNN_GRADER_BACKUP_INTERVAL=P1D"), ("0m", None, "RNN_GRADER_BACKUP_INTERVAL=0m"),
    ("1 d", None, "RNN_GRADER_BACKUP_INTERVAL=1 d"), ("1d", "0", "RNN_GRADER_BACKUP_KEEP=0"),
    ("1d", "-3", "RNN_GRADER_BACKUP_KEEP=-3"), ("1d", "many", "RNN_GRADER_BACKUP_KEEP=many"),
])
def test_a_setting_it_cannot_follow_stops_it_before_any_backup(tmp_path: Path, interval: str, keep: str | None,
                                                               said: str) -> None:
    done = _run(tmp_path, interval, keep)
    assert done.returncode == 2 and said in done.stderr
    assert _lines(tmp_path / "calls") == [] and _lines(tmp_path / "sleeps") == []


def test_the_script_is_executable_sh() -> None:
    assert SCRIPT.read_text().startswith("#!/bin/sh\n") and os.access(SCRIPT, os.R_OK)
