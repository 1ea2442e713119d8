"""The embedded default backs itself up: every RNN_GRADER_BACKUP_INTERVAL (default daily) a thread of the API
process takes a SQLite backup (online backup API, checked, fsynced, renamed; never a file copy) into
RNN_GRADER_BACKUP_DIR (default <data_dir>/backups, mode 0700) and keeps the newest RNN_GRADER_BACKUP_KEEP.

The schedule survives restarts: the next backup is due one interval after the newest one on disk, and a
server that has none takes its first FIRST_DELAY_S after start. A failed backup (a full disk, say) is logged
at ERROR, leaves the older backups alone and is tried again after RETRY_S; old backups are deleted only
after a new one succeeded.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
import time
from pathlib import Path

from server.backup import backup, default_backup_name
from server.backup.files import BackupError
from server.config import Settings

log = logging.getLogger("rnn_grader.backup")

FIRST_DELAY_S = 5.0
RETRY_S = 300.0
AUTOMATIC = re.compile(r"^rnn-grader-\d{8}T\d{6}Z\.db$")


def automatic_backups(directory: Path) -> list[Path]:
    """The automatic backups in `directory`, oldest first (their names sort by time)."""
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if AUTOMATIC.match(p.name) and p.is_file())


class BackupScheduler:
    """Takes the automatic backups of a SQLite database in a daemon thread of the server."""

    def __init__(self, settings: Settings, *, first_delay_s: float = FIRST_DELAY_S, retry_s: float = RETRY_S) -> None:
        self.url = settings.database_url
        self.directory = settings.backups_path
        self.interval_s = settings.backup_interval.total_seconds()
        self.keep = settings.backup_keep
        self.first_delay_s = first_delay_s
        self.retry_s = retry_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="rnn-grader-backups", daemon=True)
        self._thread.start()
        log.info("automatic backups every %s into %s (keeping %d)", dt.timedelta(seconds=self.interval_s),
                 self.directory, self.keep)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=60)
            self._thread = None

    def _seconds_until_due(self) -> float:
        existing = automatic_backups(self.directory)
        if not existing:
            return self.first_delay_s
        return max(0.0, existing[-1].stat().st_mtime + self.interval_s - time.time())

    def _run(self) -> None:
        wait = self._seconds_until_due()
        while not self._stop.wait(wait):
            try:
                self.run_once()
                wait = self.interval_s
            except Exception as exc:  # a full disk, a locked file: never the end of the schedule
                log.error("automatic backup failed (older backups kept; trying again in %.0f s): %s", self.retry_s,
                          exc if isinstance(exc, BackupError) else repr(exc))
                wait = self.retry_s

    def run_once(self) -> Path:
        """Take one backup now and prune the oldest beyond `keep`; returns the new file."""
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        report = backup(self.url, self.directory / default_backup_name(self.url))
        rows = sum((report.rows or {}).values())
        log.info("backup %s: %d bytes, %d rows, %.2f s", report.path, report.bytes, rows, report.seconds)
        for old in automatic_backups(self.directory)[:-self.keep]:
            old.unlink(missing_ok=True)
            log.info("backup %s removed (RNN_GRADER_BACKUP_KEEP=%d)", old, self.keep)
        return report.path


def scheduler_for(settings: Settings) -> BackupScheduler | None:
    """The embedded default's scheduler, or None (PostgreSQL is backed up by its own job; an interval of 0)."""
    if not settings.database_url.startswith("sqlite") or settings.backup_interval.total_seconds() <= 0:
        return None
    return BackupScheduler(settings)
