"""How a time is shown to a person, the one way every view uses: the CLI, the pages, the reports and the
refusals. Absolute in the course's time zone with its UTC offset, then relative to now:

    2026-12-20 23:59 UTC+08:00 (in 2 days 3 h)        2026-12-20 23:59 UTC+08:00（2 天 3 小时后）

The course's zone is the server's RNN_GRADER_TIMEZONE (an IANA name such as Asia/Shanghai; UTC by default),
which the server names in every response (X-RNN-Grader-Timezone) so the CLI shows the same. JSON keeps ISO
8601 with its offset; only people get this form. Standard library only (it ships in the client).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from grader.messages import msg
from grader.result import Text

UTC_NAMES = ("", "UTC", "Etc/UTC", "Z")


def zone_of(name: str | None) -> dt.tzinfo:
    """The zone named (an IANA name, or UTC); UTC when the name is empty or unknown here (a client machine
    without the time zone database still shows a correct, labelled time)."""
    if name is None or name.strip() in UTC_NAMES:
        return dt.UTC
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def known_zone(name: str) -> bool:
    """Whether `name` is UTC or a zone this machine's time zone database has."""
    if name.strip() in UTC_NAMES:
        return True
    try:
        ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def parse_time(value: object) -> dt.datetime | None:
    """A datetime, or an ISO 8601 string (`Z` allowed); naive means UTC. None for anything else."""
    if isinstance(value, dt.datetime):
        when = value
    elif isinstance(value, str):
        try:
            when = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)


def offset_label(when: dt.datetime) -> str:
    """`UTC`, `UTC+08:00`, `UTC-03:30` for an aware datetime."""
    offset = when.utcoffset() or dt.timedelta(0)
    if not offset:
        return "UTC"
    sign = "+" if offset > dt.timedelta(0) else "-"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def absolute(when: dt.datetime, zone: dt.tzinfo = dt.UTC) -> str:
    """`2026-12-20 23:59 UTC+08:00`: to the minute, in `zone`, labelled with its offset."""
    local = when.astimezone(zone)
    return f"{local:%Y-%m-%d %H:%M} {offset_label(local)}"


def span(seconds: float) -> Text:
    """A duration in its two largest units, rounded down: `2 days 3 h`, `3 h 20 min`, `5 min` (zh: 2 天 3 小时)."""
    minutes = int(abs(seconds) // 60)
    days, hours, mins = minutes // 1440, minutes % 1440 // 60, minutes % 60
    if days:
        words = [msg("span_days", n=days) if days > 1 else msg("span_day")]
        if hours:
            words.append(msg("span_hours", n=hours))
    elif hours:
        words = [msg("span_hours", n=hours)] + ([msg("span_minutes", n=mins)] if mins else [])
    else:
        words = [msg("span_minutes", n=max(mins, 1))]
    return Text(en=" ".join(w.en for w in words), zh=" ".join(w.zh for w in words))


def relative(when: dt.datetime, now: dt.datetime) -> Text:
    """`in 2 days 3 h` / `2 days 3 h ago`; under a minute either way: `now`."""
    seconds = (when - now).total_seconds()
    if abs(seconds) < 60:
        return msg("time_now")
    return msg("time_in" if seconds > 0 else "time_ago", span=span(seconds))


def current_time() -> dt.datetime:
    """Now, for the relative part where the caller has no clock of its own (the CLI; tests replace this)."""
    return dt.datetime.now(dt.UTC)


def show_time(value: object, lang: str, zone: dt.tzinfo = dt.UTC, now: dt.datetime | None = None) -> str:
    """The one way a time is shown: absolute with its offset, then relative to `now`; `-` for no time."""
    when = parse_time(value)
    if when is None:
        return "-" if value is None else str(value)
    now = now or current_time()
    return msg("time_shown", at=absolute(when, zone), relative=relative(when, now)).get(lang)
