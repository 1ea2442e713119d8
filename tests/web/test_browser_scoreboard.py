"""The teacher's scoreboard in a real browser: Debian's chromium driven by playwright against a real
server process (uvicorn on a free port, temporary data directory, SQLite, in-process graders running the
real sandbox). Students and submissions come in through the API, as from the CLI.

One walk through the product: a student token is refused; the teacher signs in, sees the table and the
charts, sorts, filters, opens a student (feedback, highlighted source, gradient chart), watches a new
result arrive without reloading, exports the CSV, switches to Chinese and signs out. Then regrade requests:
one answered with an override, one with a regrade whose report the teacher opens. One student (s11) has an
extension that ends before the exercise's deadline (a day and a half ago), so their submission is late by
two started days: the board counts 80 of the raw 100, and their page shows the penalty and the extension.
Screenshots of the main views go to test-output/screenshots/ for review.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from browser_support import REPO, SHOTS, chromium_page, running_server

pytestmark = pytest.mark.browser

TEACHER = "browser-test-teacher-token-0123456789"
CORRECT = (REPO / "tests" / "solutions" / "correct_rnn.py").read_text()
MISTAKES = {
    "w_hh": ("h_prev @ W_hh.T", "h_prev @ W_hh"),
    "tanh": ("da = dh * (1.0 - h[t] ** 2)", "da = dh"),
    "carry": ("dh = dy[t] @ W_hy + dh_next", "dh = dy[t] @ W_hy"),
    "clip": ("coef = min(max_norm / (total + 1e-6), 1.0)", "coef = max_norm / (total + 1e-6)"),
    "syntax": ("def clip_grad_norm(grads, max_norm):", "def clip_grad_norm(grads, max_norm)"),
}
# (id, name, the mistakes of each submission in order; [] = correct)
CLASS: list[tuple[str, str, list[list[str]]]] = [
    ("s01", "Ada Lovelace", [["w_hh"], []]),
    ("s02", "王小明", [["w_hh", "tanh"], ["tanh"]]),
    ("s03", "Grace Hopper", [["clip"]]),
    ("s04", "李华", [["syntax"], ["carry"]]),
    ("s05", "Alan Turing", [[]]),
    ("s06", "张伟", [["tanh"]]),
    ("s07", "Edsger Dijkstra", [["carry", "clip"]]),
    ("s08", "陈静", [["w_hh"], ["w_hh", "clip"], []]),
    ("s09", "Barbara Liskov", [["clip"], []]),
    ("s10", "刘洋", [["syntax"]]),
    ("s11", "Donald Knuth", [[]]),
    ("s12", "Nobody Yet", []),
]
EXTENDED = "s11"  # their own deadline ended 36 h ago: two started days late, 20% off


def _source(mistakes: list[str]) -> str:
    text = CORRECT
    for name in mistakes:
        old, new = MISTAKES[name]
        assert old in text
        text = text.replace(old, new)
    return text


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A real `python -m server` with two grading threads, then the class submitted and graded."""
    tmp = tmp_path_factory.mktemp("browser")
    deadline = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)).isoformat()
    late_policy = json.dumps({"rnn": {"penalty_per_day": 0.1, "max_penalty": 0.5}})
    with running_server(tmp, TEACHER, workers="2", rate_limit_per_minute="0", public_leaderboard="true",
                        deadlines=json.dumps({"rnn": deadline}), late_policy=late_policy) as base:
        api = httpx.Client(base_url=f"{base}/api/v1", timeout=60)
        teacher = {"Authorization": f"Bearer {TEACHER}"}
        tokens: dict[str, str] = {}
        ids: list[int] = []
        for student_id, name, submissions in CLASS:
            created = api.post("/students", json={"student_id": student_id, "name": name}, headers=teacher)
            assert created.status_code == 201, created.text
            tokens[student_id] = created.json()["token"]
            if student_id == EXTENDED:
                extension = {"deadline": (dt.datetime.now(dt.UTC) - dt.timedelta(hours=36)).isoformat()}
                assert api.put(f"/extensions/{student_id}/rnn", json=extension, headers=teacher).status_code == 200
            for mistakes in submissions:
                sent = api.post("/submissions", json={"exercise": "rnn", "source": _source(mistakes)},
                                headers={"Authorization": f"Bearer {tokens[student_id]}"})
                assert sent.status_code == 202, sent.text
                ids.append(sent.json()["id"])
        for sid in ids:
            graded = api.get(f"/submissions/{sid}?wait=30", headers=teacher).json()
            assert graded["status"] == "graded", graded
        yield {"base": base, "api": api, "tokens": tokens, "teacher": teacher, "log": tmp / "server.log"}
        api.close()


@pytest.fixture
def browser_page() -> Iterator[Any]:
    with chromium_page() as page:
        yield page


def _rows(page: Any) -> list[str]:
    return list(page.eval_on_selector_all("tr[data-student]", "rows => rows.map(r => r.dataset.student)"))


def _score(page: Any, student_id: str) -> str:
    return str(page.text_content(f'tr[data-student="{student_id}"] td.score')).strip()


def test_teacher_walks_through_the_scoreboard(server: dict[str, Any], browser_page: Any) -> None:
    page, base = browser_page, server["base"]

    # A student token cannot open the page.
    page.goto(f"{base}/scoreboard")
    assert page.url.startswith(f"{base}/scoreboard/login")
    page.fill("#token", server["tokens"]["s01"])
    page.click("#sign-in")
    page.wait_for_selector("#login-error")
    assert "This is a student token" in page.text_content("#login-error")
    assert "/scoreboard/login" in page.url
    page.screenshot(path=str(SHOTS / "01-login-student-refused.png"))

    # The teacher signs in and sees everyone.
    page.fill("#token", TEACHER)
    page.click("#sign-in")
    page.wait_for_selector("table#board")
    assert page.url == f"{base}/scoreboard"
    assert _rows(page) == [s for s, _n, _x in CLASS]
    assert _score(page, "s05") == "100" and _score(page, "s12") == "—"
    assert _score(page, EXTENDED) == "80"  # the counted score: 100 less the late penalty
    assert page.locator(f'tr[data-student="{EXTENDED}"] .tag-late').count() == 1
    assert page.locator("section.charts svg.chart").count() >= 6
    page.wait_for_selector("#live-status.on")
    page.screenshot(path=str(SHOTS / "02-scoreboard.png"), full_page=True)
    page.locator("section.charts").first.screenshot(path=str(SHOTS / "03-charts.png"))

    # Sort by score (highest first, then lowest first), then filter.
    page.click('a[data-sort="rnn:score"]')
    page.wait_for_url("**sort=rnn%3Ascore**")
    scores = [_score(page, s) for s in _rows(page)]
    numbers = [float(x) for x in scores if x != "—"]
    assert numbers == sorted(numbers, reverse=True) and scores[-1] == "—"
    page.click('a[data-sort="rnn:score"]')
    page.wait_for_url(lambda url: "sort=rnn%3Ascore" in url and "dir=desc" not in url)
    numbers = [float(x) for x in (_score(page, s) for s in _rows(page)) if x != "—"]
    assert numbers == sorted(numbers)
    page.fill("#filter", "王")
    page.click("#filter-submit")
    page.wait_for_url("**q=**")
    assert _rows(page) == ["s02"] and "sort=rnn%3Ascore" in page.url  # the filter keeps the sort
    page.goto(f"{base}/scoreboard")

    # The late student's page: the penalty on their submission and their own deadline.
    page.click(f'tr[data-student="{EXTENDED}"] a')
    page.wait_for_selector("#detail")
    assert page.text_content("#late-penalty").startswith("−20%")
    assert "rnn" in page.text_content("#extensions")
    page.screenshot(path=str(SHOTS / "04b-late-penalty-extension.png"), full_page=True)
    page.goto(f"{base}/scoreboard")

    # Drill down into one student.
    page.click('tr[data-student="s08"] a')
    page.wait_for_selector("#detail")
    assert page.text_content("#student-name") == "陈静"
    assert page.locator("#history tr[data-submission]").count() == 3
    assert page.locator("#source .highlight").count() == 1
    # Opening the submission draws its charts if its result came without them (every test passed); the
    # page shows them when a grading loop has drawn them, without a reload.
    page.wait_for_selector(".result-chart svg")
    latest = server["api"].get("/submissions?student_id=s08&limit=1", headers=server["teacher"]).json()[0]
    assert latest["diagnostics_status"] == "done"
    charts = latest["diagnostics"].get("charts", [])
    assert page.locator(".result-chart svg").count() == len(charts) >= 1
    page.screenshot(path=str(SHOTS / "04-student.png"), full_page=True)
    page.click("#history tr[data-submission] >> nth=1 >> a")  # an older, wrong submission
    page.wait_for_selector("table.tests .tag-bad")
    assert page.locator("table.tests td.feedback").first.is_visible()
    page.locator("#detail .part").first.screenshot(path=str(SHOTS / "05-student-feedback.png"))

    # A new result arrives while the page is open: the row changes without a reload.
    page.goto(f"{base}/scoreboard")
    page.wait_for_selector("#live-status.on")
    counted = server["api"].get("/scoreboard", headers=server["teacher"]).json()
    before = next(r for r in counted if r["student_id"] == "s06")["scores"]["rnn"]
    assert 0 < before < 100 and _score(page, "s06") == f"{before:.4g}"  # the wrong backward's partial credit
    page.evaluate("window.__sameDocument = true")
    sent = server["api"].post("/submissions", json={"exercise": "rnn", "source": CORRECT},
                              headers={"Authorization": f"Bearer {server['tokens']['s06']}"})
    assert sent.status_code == 202
    page.wait_for_function("() => document.querySelector('tr[data-student=\"s06\"] td.score')"
                           ".textContent.trim() === '100'", timeout=30_000)
    assert page.evaluate("window.__sameDocument") is True  # no reload happened
    assert "flash" in (page.get_attribute('tr[data-student="s06"]', "class") or "")
    page.screenshot(path=str(SHOTS / "06-live-update.png"))

    # Export the CSV.
    with page.expect_download() as download_info:
        page.click("#export-csv")
    data = Path(download_info.value.path()).read_bytes()
    assert download_info.value.suggested_filename == "scoreboard.csv"
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == ["student_id", "name", "rnn", "rnn_gradients", "total", "late"]
    by_id = {r[0]: r for r in rows[1:]}
    assert by_id["s02"][1] == "王小明" and by_id["s06"][2] == "100" and by_id["s12"][2] == ""

    # Chinese, then sign out.
    page.click("#lang-switch")
    page.wait_for_selector("text=成绩总览")
    page.screenshot(path=str(SHOTS / "07-scoreboard-zh.png"), full_page=True)
    page.click("#lang-switch")
    page.wait_for_selector("text=Scoreboard")
    page.click("#logout")
    page.wait_for_url("**/scoreboard/login?bye=1")
    assert "signed out" in page.text_content("main")
    page.goto(f"{base}/scoreboard")
    assert "/scoreboard/login" in page.url

    # The public leaderboard (switched on for this server): pseudonyms only.
    page.goto(f"{base}/leaderboard")
    text = page.text_content("#leaderboard")
    assert "Student-" in text and "Ada" not in text and "王小明" not in text
    page.screenshot(path=str(SHOTS / "08-leaderboard.png"))


def test_teacher_resolves_regrade_requests_on_the_scoreboard(server: dict[str, Any], browser_page: Any) -> None:
    """A student asks for a regrade through the API; the teacher answers one with an override and one with
    a regrade from the page, reads the batch's report, and the students see the answers."""
    page, base, api = browser_page, server["base"], server["api"]
    asked: dict[str, dict[str, Any]] = {}
    for student_id, message in (("s03", "clip: my rescaling matches the notes"), ("s09", "please look again")):
        headers = {"Authorization": f"Bearer {server['tokens'][student_id]}"}
        sub = api.get("/submissions?limit=1", headers=headers).json()[0]
        created = api.post(f"/submissions/{sub['id']}/regrade-requests", json={"message": message}, headers=headers)
        assert created.status_code == 201, created.text
        asked[student_id] = {**created.json(), "score": sub["score"], "max_score": sub["max_score"]}
    new_score = asked["s03"]["max_score"] - 1 if asked["s03"]["score"] != asked["s03"]["max_score"] - 1 else 1

    page.goto(f"{base}/scoreboard/login")
    page.fill("#token", TEACHER)
    page.click("#sign-in")
    page.wait_for_selector("table#regrade-requests")
    row = page.locator(f'tr[data-request="{asked["s03"]["id"]}"]')
    assert "clip: my rescaling matches the notes" in row.text_content()
    assert page.locator("tr[data-request]").count() == 2
    row.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "09-regrade-requests.png"), full_page=True)
    row.locator('select[name="action"]').select_option("override")
    row.locator('input[name="score"]').fill(str(new_score))
    row.locator('input[name="comment"]').fill("rescaling accepted")
    row.locator('button[type="submit"]').click()
    page.wait_for_url("**/scoreboard#requests")
    page.wait_for_function("() => document.querySelectorAll('tr[data-request]').length === 1")
    assert _score(page, "s03") == f"{new_score:g}"

    other = page.locator(f'tr[data-request="{asked["s09"]["id"]}"]')
    other.locator('select[name="action"]').select_option("regrade")
    other.locator('input[name="comment"]').fill("rechecking with the same cases")
    other.locator('button[type="submit"]').click()
    page.wait_for_selector("#no-requests")
    batch = page.locator("tr[data-batch]").first
    assert "request_id=" in batch.text_content()
    batch.locator("a").click()
    page.wait_for_selector("table#regrade-report")
    page.screenshot(path=str(SHOTS / "10-regrade-report.png"), full_page=True)
    assert page.locator('tr[data-student="s09"]').count() == 1

    graded = api.get(f"/submissions/{asked['s09']['submission_id']}?wait=30", headers=server["teacher"]).json()
    assert graded["status"] == "graded" and graded["regrade_pending"] is False
    page.reload()
    assert page.get_attribute('tr[data-student="s09"]', "data-change") == "same"  # same code, same cases
    page.goto(f"{base}/scoreboard/audit")
    assert page.locator("tr[data-audit]").count() >= 3

    answers = api.get("/regrade-requests", headers={"Authorization": f"Bearer {server['tokens']['s03']}"}).json()
    assert [(a["status"], a["action"], a["score"], a["comment"]) for a in answers] == [
        ("resolved", "override", new_score, "rescaling accepted")]
    history = api.get(f"/submissions/{asked['s09']['submission_id']}/gradings", headers=server["teacher"]).json()
    assert [g["why"] for g in history] == ["submit", "regrade"]
