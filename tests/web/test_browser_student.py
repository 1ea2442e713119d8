"""The student's pages in a real browser: Debian's chromium driven by playwright against a real server process
(`python -m server`, in-process graders running the real sandbox), with axe-core checking every page.

One walk: the teacher token is refused; the student signs in, sees the exercise with its deadline and time
left, downloads the template and the public examples, uploads a correct file and watches it get graded
without reloading, uploads a notebook (full marks, its experimenting cells listed as not run), uploads a .py
with a dropped dh_next and reads the mistake said once, pastes code, opens the history, switches to Chinese
and signs out. Screenshots go to test-output/screenshots/student-*.png.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from browser_support import REPO, SHOTS, axe_violations, chromium_page, running_server
from feedback_samples import MISTAKE, dropped_dh_next_source, experimenting_notebook

pytestmark = pytest.mark.browser

TEACHER = "browser-test-teacher-token-student-0123"
CORRECT_PATH = REPO / "tests" / "solutions" / "correct_rnn.py"
GRADED_WITHIN_MS = 90_000


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("browser-student")
    deadline = (dt.datetime.now(dt.UTC) + dt.timedelta(days=2, hours=3)).isoformat()
    with running_server(tmp, TEACHER, workers="1", rate_limit_per_minute="0",
                        deadlines=json.dumps({"rnn": deadline})) as base:
        created = httpx.post(f"{base}/api/v1/students", json={"student_id": "s1", "name": "Ada Lovelace"},
                             headers={"Authorization": f"Bearer {TEACHER}"}, timeout=30)
        assert created.status_code == 201, created.text
        yield {"base": base, "token": created.json()["token"], "tmp": tmp}


def _accessible(page: Any, what: str) -> None:
    found = axe_violations(page)
    assert not found, f"{what}: {found}"


def _wait_graded(page: Any) -> None:
    page.wait_for_selector('#result[data-status="graded"]', timeout=GRADED_WITHIN_MS)


def _submit_file(page: Any, path: Path) -> int:
    page.set_input_files("#file", str(path))
    page.click("#upload-submit")
    page.wait_for_url(re.compile(r".*/student/submissions/\d+$"))
    return int(page.url.rsplit("/", 1)[1])


def test_student_walks_through_the_pages(server: dict[str, Any]) -> None:
    base, tmp = server["base"], server["tmp"]
    with chromium_page() as page:
        # /student is the sign-in form; the teacher token is refused there.
        page.goto(f"{base}/student")
        _accessible(page, "sign-in")
        page.fill("#token", TEACHER)
        page.click("#sign-in")
        page.wait_for_selector("#login-error")
        assert "This is the teacher token" in page.text_content("#login-error")
        page.screenshot(path=str(SHOTS / "student-01-teacher-token-refused.png"))

        page.fill("#token", server["token"])
        page.click("#sign-in")
        page.wait_for_selector("table#exercises")
        row = page.locator('tr[data-exercise="rnn"]')
        assert "2 days 2 h" in row.text_content() or "2 days 3 h" in row.text_content()  # time left
        _accessible(page, "home")
        page.screenshot(path=str(SHOTS / "student-02-home.png"), full_page=True)

        # The exercise: downloads are the real files.
        row.locator("a").first.click()
        page.wait_for_selector("#upload-form")
        _accessible(page, "exercise")
        spec_dir = REPO / "exercises" / "rnn"
        for button, pattern in (("#download-template", "*.py"), ("#download-examples", "*.npz")):
            with page.expect_download() as info:
                page.click(button)
            saved = tmp / info.value.suggested_filename
            info.value.save_as(saved)
            originals = [p for p in spec_dir.rglob(pattern) if p.name == saved.name]
            assert originals and saved.read_bytes() == originals[0].read_bytes()
        page.screenshot(path=str(SHOTS / "student-03-exercise.png"), full_page=True)

        # A correct file, graded while the page watches (no reload: the marker survives).
        _submit_file(page, CORRECT_PATH)
        page.evaluate("() => { window.__sameDocument = true; }")
        assert page.locator("#result").get_attribute("data-status") in ("queued", "running", "graded")
        _wait_graded(page)
        assert page.evaluate("() => window.__sameDocument === true")
        assert re.sub(r"\s+", "", page.text_content("#result-score") or "") == "100/100"
        # Every test passed, so the result came without its chart: the open page asks for it and shows it.
        page.wait_for_selector(".result-chart svg", timeout=GRADED_WITHIN_MS)
        assert page.evaluate("() => window.__sameDocument === true")
        _accessible(page, "result (correct)")
        page.screenshot(path=str(SHOTS / "student-04-result-correct.png"), full_page=True)

        # A notebook (imports, the functions, then experiments): full marks, the experimenting cells listed.
        page.goto(f"{base}/student/exercises/rnn")
        notebook = tmp / "rnn_work.ipynb"
        notebook.write_bytes(experimenting_notebook(CORRECT_PATH.read_text(encoding="utf-8")))
        _submit_file(page, notebook)
        _wait_graded(page)
        assert re.sub(r"\s+", "", page.text_content("#result-score") or "") == "100/100"
        assert page.locator("#skipped-cells tbody tr").count() >= 1
        _accessible(page, "result (notebook)")
        page.screenshot(path=str(SHOTS / "student-05-result-notebook.png"), full_page=True)

        # A second .py with a dropped dh_next: the mistake said once.
        page.goto(f"{base}/student/exercises/rnn")
        wrong = tmp / "dropped_dh_next.py"
        wrong.write_text(dropped_dh_next_source(), encoding="utf-8")
        _submit_file(page, wrong)
        _wait_graded(page)
        mistake = page.locator(f'.part[data-part="backward"] .mistake[data-mistake="{MISTAKE}"]')
        assert mistake.count() == 1 and page.locator(".mistake").count() == 1
        assert "Likely mistake" in mistake.text_content() and "Explains" in mistake.text_content()
        assert page.locator(".result-chart svg").count() >= 1
        assert float((page.text_content("#result-score") or "0").split("/")[0]) < 100
        _accessible(page, "result (mistake)")
        page.screenshot(path=str(SHOTS / "student-06-result-mistake.png"), full_page=True)
        page.locator('.part[data-part="backward"]').screenshot(path=str(SHOTS / "student-07-grouped-feedback.png"))

        # Pasted code.
        page.goto(f"{base}/student/exercises/rnn")
        page.fill("#source", CORRECT_PATH.read_text(encoding="utf-8"))
        page.click("#paste-submit")
        page.wait_for_url(re.compile(r".*/student/submissions/\d+$"))
        _wait_graded(page)
        assert re.sub(r"\s+", "", page.text_content("#result-score") or "") == "100/100"

        # History: all three, newest first, each opens its result.
        page.click("#all-submissions")
        page.wait_for_selector("table#history")
        ids = page.eval_on_selector_all("tr[data-submission]", "rows => rows.map(r => Number(r.dataset.submission))")
        assert len(ids) == 4 and ids == sorted(ids, reverse=True)
        _accessible(page, "history")
        page.screenshot(path=str(SHOTS / "student-08-history.png"), full_page=True)

        # Chinese.
        page.click("#lang-switch")
        page.wait_for_selector("html[lang='zh-CN']")
        assert "我的全部提交" in page.text_content("h1")
        page.goto(f"{base}/student/submissions/{ids[1]}")  # the one with the mistake
        assert "涉及的测试" in page.text_content(".mistake")
        _accessible(page, "result (zh)")
        page.screenshot(path=str(SHOTS / "student-09-result-zh.png"), full_page=True)
        page.goto(f"{base}/student")
        _accessible(page, "home (zh)")
        page.screenshot(path=str(SHOTS / "student-10-home-zh.png"), full_page=True)

        page.click("#logout")
        page.wait_for_selector("#token")


def test_the_teacher_pages_pass_the_accessibility_check_too(server: dict[str, Any]) -> None:
    base = server["base"]
    with chromium_page() as page:
        page.goto(f"{base}/scoreboard/login")
        _accessible(page, "teacher sign-in")
        page.fill("#token", TEACHER)
        page.click("#sign-in")
        page.wait_for_selector("table#board")
        _accessible(page, "scoreboard")
        page.goto(f"{base}/scoreboard/students/s1")
        page.wait_for_selector("#history")
        _accessible(page, "teacher drill-down")
