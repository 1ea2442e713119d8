"""The student's result page reaches its final view by itself, in a real browser (Debian's chromium through
playwright) against a real server process: 20 submissions, each page opened while its grading runs.

The server is busy (tests/web/busy_server.py: the result page takes RENDER_DELAY_S longer to render after
reading its row), and each file sleeps at import (0 s for the first, 0.285 s for the twentieth): the result is
written at moments swept across the page's load, most of them while it renders (before the fix, such a page
showed "Being graded" under the marker of the graded result and never refreshed). Each page is opened, in its
own tab, as soon as the API says its submission is `running`, and left to itself. Every page must then show
the graded result and its chart (drawn after the result: every test passed), without a reload.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from browser_support import REPO, SHOTS, chromium_page, running_server

pytestmark = pytest.mark.browser

TEACHER = "browser-test-teacher-token-live-0123456"
CORRECT = (REPO / "tests" / "solutions" / "correct_rnn.py").read_text(encoding="utf-8")
SUBMISSIONS = 20
FINAL_WITHIN_MS = 60_000
RUNNING_WITHIN_S = 30.0
RENDER_DELAY_S = 0.25
IMPORT_DELAY_STEP_S = 0.015


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("browser-live")
    busy = ("tests/web/busy_server.py", str(RENDER_DELAY_S))
    with running_server(tmp, TEACHER, busy, workers="1", rate_limit_per_minute="0") as base:
        created = httpx.post(f"{base}/api/v1/students", json={"student_id": "s1", "name": "Ada Lovelace"},
                             headers={"Authorization": f"Bearer {TEACHER}"}, timeout=30)
        assert created.status_code == 201, created.text
        yield {"base": base, "token": created.json()["token"]}


def _submit_and_wait_until_running(api: httpx.Client, delay_s: float) -> int:
    source = f"import time\ntime.sleep({delay_s:.3f})  # a slow import: grading takes this long at least\n\n{CORRECT}"
    created = api.post("/api/v1/submissions", json={"exercise": "rnn", "source": source})
    assert created.status_code == 202, created.text
    sid = int(created.json()["id"])
    give_up = time.monotonic() + RUNNING_WITHIN_S
    while True:
        status = api.get(f"/api/v1/submissions/{sid}").json()["status"]
        if status == "running":
            return sid
        assert status == "queued", f"submission {sid} went {status} before it was seen running"
        assert time.monotonic() < give_up, f"submission {sid} was not picked up"
        time.sleep(0.005)


def test_every_result_page_opened_while_grading_runs_reaches_the_final_view(server: dict[str, Any]) -> None:
    base = server["base"]
    first_seen: dict[str, int] = {}
    errors: list[str] = []
    with chromium_page() as page, httpx.Client(base_url=base, timeout=30,
                                               headers={"Authorization": f"Bearer {server['token']}"}) as api:
        page.goto(f"{base}/student")
        page.fill("#token", server["token"])
        page.click("#sign-in")
        page.wait_for_selector("table#exercises")
        # One tab per submission (the session cookie is shared), opened as soon as its grading runs, left to
        # itself while the next one is submitted.
        tabs: list[tuple[int, Any]] = []
        for i in range(1, SUBMISSIONS + 1):
            sid = _submit_and_wait_until_running(api, IMPORT_DELAY_STEP_S * (i - 1))
            tab = page.context.new_page()
            tab.on("pageerror", lambda exc: errors.append(str(exc)))
            tab.goto(f"{base}/student/submissions/{sid}")
            shown = tab.locator("#result").get_attribute("data-status") or "?"
            first_seen[shown] = first_seen.get(shown, 0) + 1
            tab.evaluate("() => { window.__sameDocument = true; }")
            tabs.append((sid, tab))
        for sid, tab in tabs:
            # The final view: graded, full marks, the chart drawn, nothing pending; without a reload.
            tab.wait_for_selector('#result[data-status="graded"] .result-chart svg', timeout=FINAL_WITHIN_MS)
            tab.wait_for_function("() => !document.getElementById('charts-pending')", timeout=FINAL_WITHIN_MS)
            assert tab.evaluate("() => window.__sameDocument === true"), f"submission {sid}: the page reloaded"
            score = "".join((tab.text_content("#result-score") or "").split())
            assert score == "100/100", (sid, score)
        tabs[-1][1].screenshot(path=str(SHOTS / "student-live-final.png"), full_page=True)
    assert not errors, errors
    print(f"status shown when each page opened: {first_seen}")
