"""One way to show a time: the student's pages and the CLI (exercises, history) show the same deadline and the
same submission time, in the course's zone (RNN_GRADER_TIMEZONE, named by the server in X-RNN-Grader-Timezone)
with its UTC offset and relative to now, in English and Chinese; JSON keeps ISO 8601 with offsets; a refusal
that names a time says it the same way."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable
from typing import Any

import pytest
from helpers import page_sign_in
from policy_helpers import set_clock
from starlette.testclient import TestClient
from test_cli import (  # noqa: F401  (cli_env and database_url are fixtures this module uses too)
    cli_env,
    database_url,
    login_as,
    run,
    use_app,
)

import grader.times
from grader.times import zone_of
from server.errors import SubmissionsClosed

NOW = dt.datetime(2026, 12, 18, 12, 0, tzinfo=dt.UTC)
DEADLINE = "2026-12-20T15:59:00Z"  # 23:59 in Shanghai
SHOWN_DEADLINE = {"en": "2026-12-20 23:59 UTC+08:00 (in 2 days 3 h)",
                  "zh": "2026-12-20 23:59 UTC+08:00（2 天 3 小时后）"}
SHOWN_SUBMITTED = {"en": "2026-12-18 19:00 UTC+08:00 (1 h ago)", "zh": "2026-12-18 19:00 UTC+08:00（1 小时前）"}


def test_pages_and_cli_show_the_same_times(monkeypatch: pytest.MonkeyPatch, make_client: Callable[..., TestClient],
                                           create_student: Any) -> None:
    client = make_client(timezone="Asia/Shanghai", deadlines={"rnn": DEADLINE})
    token = create_student(client, "s1")["token"]
    set_clock(client, NOW - dt.timedelta(hours=1))
    created = client.post("/api/v1/submissions", json={"exercise": "rnn", "source": "x = 1\n"},
                          headers={"Authorization": f"Bearer {token}"})
    assert created.status_code == 202
    assert created.headers["X-RNN-Grader-Timezone"] == "Asia/Shanghai"
    set_clock(client, NOW)
    monkeypatch.setattr(grader.times, "current_time", lambda: NOW)  # the CLI's now

    # JSON keeps ISO 8601 with its offset
    assert dt.datetime.fromisoformat(created.json()["created_at"].replace("Z", "+00:00")) == NOW - dt.timedelta(hours=1)
    exercise = client.get("/api/v1/exercises/rnn", headers={"Authorization": f"Bearer {token}"}).json()
    assert dt.datetime.fromisoformat(exercise["deadline"].replace("Z", "+00:00")).utcoffset() is not None

    page_sign_in(client, token, "/student")
    use_app(monkeypatch, client)
    login_as(token)
    for lang in ("en", "zh"):
        home = html.unescape(client.get(f"/student?lang={lang}").text)
        assert SHOWN_DEADLINE[lang] in home and SHOWN_SUBMITTED[lang] in home
        assert ("2 days 3 h" if lang == "en" else "2 天 3 小时") in home  # the time left
        result = html.unescape(client.get(f"/student/submissions/{created.json()['id']}?lang={lang}").text)
        assert SHOWN_SUBMITTED[lang] in result
        exercises = run("exercises", "--lang", lang)
        assert exercises.exit_code == 0 and SHOWN_DEADLINE[lang] in exercises.stdout, exercises.output
        history = run("history", "--lang", lang)
        assert history.exit_code == 0 and SHOWN_SUBMITTED[lang] in history.stdout, history.output


def test_a_refusal_names_its_times_the_same_way() -> None:
    deadline = dt.datetime(2026, 12, 20, 15, 59, tzinfo=dt.UTC)
    now = deadline + dt.timedelta(days=7, hours=3)
    closed = SubmissionsClosed("rnn", deadline, deadline + dt.timedelta(days=7), zone_of("Asia/Shanghai"), now)
    assert ("closed at 2026-12-27 23:59 UTC+08:00 (3 h ago) (your deadline 2026-12-20 23:59 UTC+08:00 "
            "(7 days 3 h ago)") in closed.detail, closed.detail
    assert "2026-12-27 23:59 UTC+08:00（3 小时前）" in closed.message("zh")
    assert closed.extra == {"deadline": deadline.isoformat(), "cutoff": (deadline + dt.timedelta(days=7)).isoformat()}


def test_an_unknown_time_zone_is_refused_at_start(make_settings: Callable[..., Any]) -> None:
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        make_settings(timezone="Mars/Olympus")
