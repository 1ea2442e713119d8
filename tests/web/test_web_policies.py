"""The teacher's pages count the counted score and show a student's extension and late penalty."""

from __future__ import annotations

from collections.abc import Callable

from policy_helpers import DAY, DEADLINE, grade, set_clock, submit
from starlette.testclient import TestClient
from test_web_pages import login


def test_student_page_shows_extension_and_penalty(
    make_client: Callable[..., TestClient], create_student: Callable[..., dict[str, str]],
    teacher_headers: dict[str, str], database_url: str,
) -> None:
    client = make_client(deadlines={"rnn": DEADLINE.isoformat()}, late_policy={"rnn": {"penalty_per_day": 0.1}})
    alice = {"Authorization": create_student(client, "alice", "Alice")["authorization"]}
    set_clock(client, DEADLINE + DAY + DAY / 2)  # two started days: -20%
    grade(database_url, submit(client, alice).json()["id"], 30.0)
    client.put("/api/v1/extensions/alice/rnn", json={"deadline": (DEADLINE + 7 * DAY).isoformat()},
               headers=teacher_headers)
    assert login(client, teacher_headers["Authorization"].removeprefix("Bearer ")).status_code == 303
    page = client.get("/scoreboard/students/alice?lang=en").text
    assert 'id="late-penalty">−20% · counts 24 / 100' in page
    assert "−20%</span>" in page  # the history row
    extension = page.split('id="extensions"', 1)[1].split("</p>", 1)[0]
    assert 'data-exercise="rnn">rnn · <time datetime="2026-12-27T15:59:00+00:00">2026-12-27 15:59 UTC' in extension
    board = client.get("/scoreboard?lang=en").text
    assert ">24<" in board.replace(" ", "")
