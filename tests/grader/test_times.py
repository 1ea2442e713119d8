"""The one way a time is shown (grader.times): absolute in the course's zone with its UTC offset, then relative
to now, in English and Chinese."""

from __future__ import annotations

import datetime as dt

import pytest

from grader.times import absolute, known_zone, parse_time, relative, show_time, span, zone_of

NOW = dt.datetime(2026, 12, 18, 12, 0, tzinfo=dt.UTC)
SHANGHAI = zone_of("Asia/Shanghai")


@pytest.mark.parametrize(("seconds", "en", "zh"), [
    (2 * 86400 + 3 * 3600 + 59 * 60 + 59, "2 days 3 h", "2 天 3 小时"),
    (86400 + 30 * 60, "1 day", "1 天"),
    (3 * 3600 + 20 * 60, "3 h 20 min", "3 小时 20 分钟"),
    (3 * 3600, "3 h", "3 小时"),
    (5 * 60 + 59, "5 min", "5 分钟"),
    (20, "1 min", "1 分钟"),
])
def test_a_span_is_its_two_largest_units_rounded_down(seconds: float, en: str, zh: str) -> None:
    assert span(seconds).en == en and span(-seconds).en == en and span(seconds).zh == zh


def test_relative_and_absolute() -> None:
    later = NOW + dt.timedelta(days=2, hours=3, minutes=10)
    assert relative(later, NOW).en == "in 2 days 3 h" and relative(later, NOW).zh == "2 天 3 小时后"
    assert relative(NOW - dt.timedelta(hours=1), NOW).en == "1 h ago"
    assert relative(NOW - dt.timedelta(hours=1), NOW).zh == "1 小时前"
    assert relative(NOW + dt.timedelta(seconds=30), NOW).en == "now"
    assert absolute(later, SHANGHAI) == "2026-12-20 23:10 UTC+08:00"
    assert absolute(later) == "2026-12-20 15:10 UTC"
    # a zone with daylight saving time: the offset of that moment
    new_york = zone_of("America/New_York")
    assert absolute(dt.datetime(2026, 7, 1, 12, tzinfo=dt.UTC), new_york) == "2026-07-01 08:00 UTC-04:00"
    assert absolute(dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC), new_york) == "2026-01-01 07:00 UTC-05:00"
    assert absolute(NOW, zone_of("Asia/Kolkata")) == "2026-12-18 17:30 UTC+05:30"


def test_every_form_of_the_same_moment_shows_the_same() -> None:
    forms = ["2026-12-20T23:59:00+08:00", "2026-12-20T15:59:00Z", "2026-12-20T15:59:00+00:00", "2026-12-20T15:59:00",
             dt.datetime(2026, 12, 20, 15, 59, tzinfo=dt.UTC), dt.datetime(2026, 12, 20, 15, 59)]
    shown = {show_time(f, "en", SHANGHAI, NOW) for f in forms}
    assert shown == {"2026-12-20 23:59 UTC+08:00 (in 2 days 3 h)"}
    assert show_time(forms[0], "zh", SHANGHAI, NOW) == "2026-12-20 23:59 UTC+08:00（2 天 3 小时后）"
    assert show_time(None, "en") == "-" and show_time("soon", "en") == "soon"
    assert parse_time("not a time") is None and parse_time(3) is None


def test_zones() -> None:
    assert known_zone("Asia/Shanghai") and known_zone("UTC") and not known_zone("Mars/Olympus")
    assert zone_of("Mars/Olympus") is dt.UTC and zone_of(None) is dt.UTC and zone_of("") is dt.UTC
