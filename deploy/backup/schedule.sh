#!/bin/sh
# The compose `backup` service's loop: a backup at start, then every RNN_GRADER_BACKUP_INTERVAL (a number of
# seconds, or with a unit: 30m, 6h, 1d; default 1d; 0 or off: no backups, the service idles), keeping the
# newest RNN_GRADER_BACKUP_KEEP files (default 14, at least 1) in /backups. Each backup is
# `rnn-grader backup --out FILE` (pg_dump -Fc, then checked with pg_restore --list, fsynced, renamed into
# place: a failed run leaves no file). A failure is logged and tried again at the next turn; the files already
# there are kept. A setting this loop cannot follow stops it with a message, rather than running pg_dump back
# to back or deleting every backup.
set -u
interval="${RNN_GRADER_BACKUP_INTERVAL:-1d}"
keep="${RNN_GRADER_BACKUP_KEEP:-14}"
case "$interval" in
    0|off|OFF|Off)
        echo "RNN_GRADER_BACKUP_INTERVAL=$interval: no backups are taken" >&2
        exec sleep infinity ;;
esac
if ! printf '%s' "$interval" | grep -Eq '^[0-9]+[smhd]?$' || [ "$(printf '%s' "$interval" | tr -d 'smhd')" -lt 1 ]; then
    echo "RNN_GRADER_BACKUP_INTERVAL=$interval: use seconds or a unit (30m, 6h, 1d), or off" >&2
    exit 2
fi
if ! printf '%s' "$keep" | grep -Eq '^[0-9]+$' || [ "$keep" -lt 1 ]; then
    echo "RNN_GRADER_BACKUP_KEEP=$keep: keep at least 1 backup" >&2
    exit 2
fi
while :; do
    out="/backups/rnn-grader-$(date -u +%Y%m%dT%H%M%SZ).dump"
    if rnn-grader backup --out "$out" --json; then
        ls -1t /backups/rnn-grader-*.dump 2>/dev/null | tail -n +"$((keep + 1))" | xargs -r rm -f --
    else
        echo "backup failed; the next try is in $interval" >&2
    fi
    sleep "$interval"
done
