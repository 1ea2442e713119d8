#!/bin/sh
# The compose `backup` service's loop: a backup at start, then every RNN_GRADER_BACKUP_INTERVAL (sleep's
# syntax: 30m, 6h, 1d; default 1d), keeping the newest RNN_GRADER_BACKUP_KEEP files (default 14) in
# /backups. Each backup is `rnn-grader backup --out FILE` (pg_dump -Fc, then checked with pg_restore --list,
# fsynced, renamed into place: a failed run leaves no file). A failure is logged and tried again at the next
# turn; the files already there are kept.
set -u
interval="${RNN_GRADER_BACKUP_INTERVAL:-1d}"
keep="${RNN_GRADER_BACKUP_KEEP:-14}"
while :; do
    out="/backups/rnn-grader-$(date -u +%Y%m%dT%H%M%SZ).dump"
    if rnn-grader backup --out "$out" --json; then
        ls -1t /backups/rnn-grader-*.dump 2>/dev/null | tail -n +"$((keep + 1))" | xargs -r rm -f --
    else
        echo "backup failed; the next try is in $interval" >&2
    fi
    sleep "$interval"
done
