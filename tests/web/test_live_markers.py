"""The live result pages never stick on a state they no longer show: a result written while a page is being
rendered, at exactly the point between two reads (a hook runs the write there), always leaves the page with
a marker that differs from the server's, so app.js fetches the fragment; the fragment then names the state
it was rendered from (X-Live-Marker), which app.js keeps. The student's result page and the teacher's
drill-down, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from feedback_samples import grade_dropped_dh_next
from helpers import page_sign_in
from starlette.testclient import TestClient

import server.web.routes as teacher_routes
import server.web.student_routes as student_routes
import server.web.student_view as student_view
from grader.result import Result
from server.db import create_db_engine
from server.grading.claims import write_result
from server.web.routes import MARKER_HEADER

TEACHER = "teacher-token-for-tests-0123456789"  # tests/conftest.py
SOURCE = "import numpy as np\n\ndef rnn_forward(x, h0, W_xh, W_hh, b_h, W_hy, b_y):\n    return 1\n"


@pytest.fixture(scope="module")
def graded() -> Result:
    return grade_dropped_dh_next()


@pytest.fixture
def submitted(make_client: Callable[..., TestClient], create_student: Callable[..., dict[str, str]]
              ) -> Iterator[tuple[TestClient, int]]:
    """A client signed in as student s1, with one submission that stays queued (no grading loop)."""
    client = make_client()
    token = create_student(client, "s1", "Ada")["token"]
    created = client.post("/api/v1/submissions", json={"exercise": "rnn", "source": SOURCE},
                          headers={"Authorization": f"Bearer {token}"})
    assert created.status_code == 202, created.text
    page_sign_in(client, token, "/student")
    yield client, int(created.json()["id"])


def _write_once_at(monkeypatch: pytest.MonkeyPatch, module: Any, name: str, write: Callable[[], None],
                   before: bool) -> list[str]:
    """Wrap `module.name` so the result is written right before (or right after) its first call."""
    original = getattr(module, name)
    calls: list[str] = []

    def hooked(*args: Any, **kwargs: Any) -> Any:
        if before and not calls:
            calls.append("written")
            write()
        value = original(*args, **kwargs)
        if not before and not calls:
            calls.append("written")
            write()
        return value

    monkeypatch.setattr(module, name, hooked)
    return calls


def _writer(database_url: str, sid: int, result: Result) -> Callable[[], None]:
    def write() -> None:
        engine = create_db_engine(database_url)
        try:
            assert write_result(engine, sid, "graded", result)
        finally:
            engine.dispose()

    return write


def _attr(html: str, element_id: str, attr: str) -> str:
    found = re.search(rf'<[^>]*id="{element_id}"[^>]*\s{attr}="([^"]*)"', html)
    assert found is not None, (element_id, attr)
    return found.group(1)


# Where a write can land while the student's result page renders: after its row was read (the view is
# rendered from the row in memory), and after the view was rendered (where a second read used to fetch the
# marker: the page then showed "queued" with the marker of "graded" and never refreshed).
STUDENT_POINTS = [(student_view, "visible_submission", True), (student_routes, "misconception_titles", True)]


@pytest.mark.parametrize("point", STUDENT_POINTS, ids=["after-the-row-is-read", "after-the-view-is-rendered"])
def test_a_result_written_while_the_student_page_renders_makes_it_refresh(
        submitted: tuple[TestClient, int], database_url: str, graded: Result, monkeypatch: pytest.MonkeyPatch,
        point: tuple[Any, str, bool]) -> None:
    client, sid = submitted
    calls = _write_once_at(monkeypatch, *point[:2], _writer(database_url, sid, graded), before=point[2])
    page = client.get(f"/student/submissions/{sid}")
    assert calls == ["written"] and page.status_code == 200
    assert _attr(page.text, "result", "data-status") == "queued"  # rendered from the row read before the write
    shown = _attr(page.text, "live", "data-marker")
    assert shown.startswith("queued:") and 'data-done="1"' not in page.text  # the marker of what it shows
    monkeypatch.undo()

    state = client.get(f"/student/submissions/{sid}/state").json()
    assert state["marker"] != shown and state["marker"].startswith("graded:")  # so app.js refreshes
    fragment = client.get(f"/student/submissions/{sid}?fragment=1")
    assert _attr(fragment.text, "result", "data-status") == "graded"
    assert fragment.headers[MARKER_HEADER] == state["marker"] and state["done"] is True  # then it stops
    again = client.get(f"/student/submissions/{sid}")
    assert _attr(again.text, "live", "data-marker") == state["marker"] and 'data-done="1"' in again.text


# The teacher's drill-down takes its marker (a digest of the whole course's state) BEFORE its data: a write
# between the two shows in the page and differs from the marker (one refresh more); a write after the data
# leaves the page behind the server's marker (a refresh). Never a page that shows less than its marker says.
TEACHER_POINTS = [(teacher_routes, "load_student_page", True), (teacher_routes, "misconception_titles", True)]


@pytest.mark.parametrize("point", TEACHER_POINTS, ids=["between-marker-and-data", "after-the-data"])
def test_a_result_written_while_the_teacher_drill_down_renders_makes_it_refresh(
        submitted: tuple[TestClient, int], database_url: str, graded: Result, monkeypatch: pytest.MonkeyPatch,
        point: tuple[Any, str, bool]) -> None:
    client, sid = submitted
    page_sign_in(client, TEACHER)
    calls = _write_once_at(monkeypatch, *point[:2], _writer(database_url, sid, graded), before=point[2])
    page = client.get(f"/scoreboard/students/s1?submission={sid}")
    assert calls == ["written"] and page.status_code == 200
    expected = "graded" if point[1] == "load_student_page" else "queued"
    assert _attr(page.text, "detail", "data-status") == expected
    shown = _attr(page.text, "live", "data-marker")
    monkeypatch.undo()

    state = client.get("/scoreboard/state").json()
    assert state["marker"] != shown  # app.js refreshes
    fragment = client.get(f"/scoreboard/students/s1?submission={sid}&fragment=1")
    assert _attr(fragment.text, "detail", "data-status") == "graded"
    assert fragment.headers[MARKER_HEADER] == state["marker"]  # ...and then shows what the server has
