"""The student's pages through the app (in-process), on SQLite and PostgreSQL: sign-in with the student token
(a teacher token refused), sign-out, exercises with the student's own deadline, downloads, submitting by
upload and by paste, the late confirmation, the live result page, history, another student's 404, languages,
the grouped feedback on both pages, and every UI string in both languages."""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from feedback_samples import MISTAKE, experimenting_notebook, grade_dropped_dh_next
from helpers import cookie_flags, page_sign_in, set_cookies
from starlette.testclient import TestClient

from grader.result import Result
from reference.rnn_mutants import BY_NAME
from server.db import create_db_engine
from server.grading.claims import write_result
from server.tables import submissions_t
from server.web.i18n import LANGS, MESSAGES
from server.web.student_i18n import STUDENT_MESSAGES

TEACHER = "teacher-token-for-tests-0123456789"  # tests/conftest.py
TEMPLATES = Path(__file__).resolve().parents[2] / "server" / "web" / "templates"
SOURCE = "import numpy as np\n\ndef rnn_forward(x, h0, W_xh, W_hh, b_h, W_hy, b_y):\n    return 1\n"
PAST = "2001-01-01T00:00:00+00:00"


@pytest.fixture
def site(make_client: Callable[..., TestClient], create_student: Callable[..., dict[str, str]]) -> Any:
    """site(**settings) -> a client with two students, s1 (Ada) and s2 (Bob); tokens in client.tokens."""

    def build(**settings: Any) -> TestClient:
        client = make_client(**settings)
        client.tokens = {sid: create_student(client, sid, name)["token"]  # type: ignore[attr-defined]
                         for sid, name in (("s1", "Ada"), ("s2", "Bob"))}
        return client

    return build


def sign_in(client: TestClient, token: str) -> Any:
    return page_sign_in(client, token, "/student")


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def submit(client: TestClient, *, source: str | None = None, file: tuple[str, bytes] | None = None,
           confirm: bool = False, exercise: str = "rnn") -> Any:
    page = client.get(f"/student/exercises/{exercise}")
    data = {"csrf": csrf_of(page.text)}
    if source is not None:
        data["source"] = source
    if confirm:
        data["confirm_late"] = "1"
    files = {"file": (file[0], file[1], "application/octet-stream")} if file else {"file": ("", b"", "text/plain")}
    return client.post(f"/student/exercises/{exercise}/submit", data=data, files=files, follow_redirects=False)


# ---------------------------------------------------------------- sign in / out
def test_student_sign_in_sets_a_signed_httponly_cookie_under_student_and_sign_out_is_csrf_safe(site: Any) -> None:
    client = site()
    first = client.get("/student")
    assert first.status_code == 200 and 'name="token"' in first.text and 'action="/student/login"' in first.text
    assert client.get("/student/submissions", follow_redirects=False).headers["location"] == (
        "/student/login?next=/student/submissions")

    signed = sign_in(client, client.tokens["s1"])
    assert signed.status_code == 303 and signed.headers["location"] == "/student"
    cookie = set_cookies(signed)["rnn_grader_student"]
    flags = cookie_flags(cookie)
    assert "httponly" in flags
    assert flags["path"] == "Path=/student" and flags["samesite"].lower() == "samesite=lax"
    assert client.tokens["s1"] not in cookie

    home = client.get("/student")
    assert home.status_code == 200 and "Ada" in home.text and 'id="exercises"' in home.text
    assert home.headers["cache-control"] == "no-store"
    assert "script-src 'self'" in home.headers["content-security-policy"]
    # the teacher's pages do not open with a student's cookie
    assert client.get("/scoreboard", follow_redirects=False).status_code == 303

    forged = client.post("/student/logout", data={"csrf": "forged"}, follow_redirects=False)
    assert forged.status_code == 303 and "set-cookie" not in forged.headers
    assert 'id="exercises"' in client.get("/student").text
    out = client.post("/student/logout", data={"csrf": csrf_of(home.text)}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/student/login?bye=1"
    assert "Max-Age=0" in set_cookies(out)["rnn_grader_student"]
    assert 'name="token"' in client.get("/student").text


def test_a_teacher_token_is_refused_with_a_clear_message_and_bad_tokens_too(site: Any) -> None:
    client = site()
    teacher = sign_in(client, TEACHER)
    assert teacher.status_code == 403 and "rnn_grader_student" not in set_cookies(teacher)
    assert "This is the teacher token" in teacher.text and 'id="login-error"' in teacher.text
    assert sign_in(client, "not-a-token-0123456789").status_code == 401
    assert sign_in(client, "  ").status_code == 400
    zh = page_sign_in(client, TEACHER, "/student", lang="zh")
    assert zh.status_code == 403 and "这是教师令牌" in zh.text
    # a tampered cookie is no session; an open redirect is refused
    assert sign_in(client, client.tokens["s1"]).status_code == 303
    value = client.cookies.get("rnn_grader_student", path="/student")
    assert value
    client.cookies.set("rnn_grader_student", value[:-3] + "AAA", path="/student")
    assert 'name="token"' in client.get("/student").text
    away = page_sign_in(client, client.tokens["s1"], "/student", next="//evil.example/x")
    assert away.headers["location"] == "/student"


# ---------------------------------------------------------------- exercises, downloads
def test_the_exercises_show_points_own_deadline_time_left_and_best_score(site: Any, real_exercises: Any,
                                                                         database_url: str) -> None:
    client = site(deadlines={"rnn": "2999-06-01T12:00:00+00:00"})
    sign_in(client, client.tokens["s1"])
    row = re.search(r'<tr data-exercise="rnn">(.*?)</tr>', client.get("/student").text, re.S)
    assert row is not None
    cells = row.group(1)
    assert "2999-06-01T12:00:00+00:00" in cells and "2999-06-01 12:00 UTC (in " in cells  # the deadline
    assert re.search(r'class="time-left">\d+ days \d+ h<', cells)  # and the time left
    assert f'>{real_exercises["rnn"].spec.max_score:g}<' in cells
    assert '<td class="num s-none">—</td>' in cells  # no graded submission: no best score yet

    first = submit(client, source=SOURCE)
    second = submit(client, source=SOURCE)
    engine = create_db_engine(database_url)
    try:
        for sub, score in ((first, 40.0), (second, 25.0)):
            sid = int(sub.headers["location"].rsplit("/", 1)[1])
            result = Result(exercise="rnn", score=score, max_score=100.0, parts=[], grader_version="t",
                            grading_ms=1.0)
            assert write_result(engine, sid, "graded", result)
    finally:
        engine.dispose()
    row = re.search(r'<tr data-exercise="rnn">(.*?)</tr>', client.get("/student").text, re.S)
    assert row is not None and ">40<" in row.group(1)  # the best, not the latest
    page = client.get("/student/exercises/rnn")
    assert page.status_code == 200 and 'id="best-score">40<' in page.text
    for part in real_exercises["rnn"].spec.parts:
        assert f"{part.function}()" in page.text
    assert client.get("/student/exercises/nope").status_code == 404


def test_downloads_are_the_template_and_public_examples_and_need_a_session(site: Any, real_exercises: Any) -> None:
    client = site()
    assert client.get("/student/exercises/rnn/template").status_code == 401
    sign_in(client, client.tokens["s1"])
    spec = real_exercises["rnn"].spec
    template = client.get("/student/exercises/rnn/template")
    assert template.status_code == 200 and template.content == spec.template_path.read_bytes()
    assert spec.template_path.name in template.headers["content-disposition"]
    examples = client.get("/student/exercises/rnn/examples")
    assert examples.status_code == 200 and examples.content == spec.public_examples_path.read_bytes()
    assert client.get("/student/exercises/nope/template").status_code == 404


# ---------------------------------------------------------------- submitting
def test_paste_and_upload_create_submissions_through_the_service(site: Any) -> None:
    client = site()
    sign_in(client, client.tokens["s1"])
    pasted = submit(client, source=SOURCE)
    assert pasted.status_code == 303 and re.fullmatch(r"/student/submissions/\d+", pasted.headers["location"])
    uploaded = submit(client, file=("mine.py", SOURCE.encode()))
    assert uploaded.status_code == 303
    api = client.get("/api/v1/submissions", headers={"Authorization": f"Bearer {client.tokens['s1']}"}).json()
    items = api["items"] if isinstance(api, dict) else api
    assert len(items) == 2 and all(s["status"] == "queued" and not s["late"] for s in items)

    result = client.get(pasted.headers["location"])
    assert result.status_code == 200 and 'data-status="queued"' in result.text
    assert '<meta http-equiv="refresh"' in result.text  # without JavaScript a refresh shows the result
    sid = pasted.headers["location"].rsplit("/", 1)[1]
    state = client.get(f"/student/submissions/{sid}/state").json()
    assert state["done"] is False and state["marker"].startswith("queued")
    fragment = client.get(pasted.headers["location"] + "?fragment=1")
    assert fragment.text.lstrip().startswith("<section") and "<html" not in fragment.text


@pytest.mark.parametrize("file,source,status,text", [
    (("notes.txt", b"x = 1\n"), None, 422, "neither a .py nor a .ipynb"),
    (("bad.py", b"\xff\xfe\x00"), None, 422, "not UTF-8"),
    (("utf16.py", "x = 1\n".encode("utf-16-le")), None, 422, "NUL character"),  # valid UTF-8, full of NULs
    (None, "x = 1\x00\n", 422, "NUL character"),
    (None, "   \n", 422, "Choose a file or paste your code"),
    (None, "x = 1\n" * 20000, 413, "at most 64 KiB"),
])
def test_bad_uploads_get_a_clear_error_on_the_page(site: Any, file: Any, source: Any, status: int, text: str) -> None:
    client = site()
    sign_in(client, client.tokens["s1"])
    refused = submit(client, file=file, source=source)
    assert refused.status_code == status and text in refused.text and 'id="submit-error"' in refused.text
    api = client.get("/api/v1/submissions", headers={"Authorization": f"Bearer {client.tokens['s1']}"}).json()
    assert (api["items"] if isinstance(api, dict) else api) == []


def test_a_notebook_upload_is_graded_from_its_definitions_and_lists_the_skipped_cells(
        site: Any, correct_source: str) -> None:
    client = site()
    sign_in(client, client.tokens["s1"])
    response = submit(client, file=("work.ipynb", experimenting_notebook(correct_source)))
    assert response.status_code == 303, response.text
    sid = response.headers["location"].rsplit("/", 1)[1]
    page = client.get(response.headers["location"])
    assert 'id="skipped-cells"' in page.text
    cells = re.findall(r'<tr><td class="mono">(\d+)</td>', page.text)
    assert "3" in cells  # the experimenting cell was not run
    api = client.get(f"/api/v1/submissions/{sid}", headers={"Authorization": f"Bearer {client.tokens['s1']}"})
    assert [c["cell"] for c in api.json()["notebook"]["skipped"]] == [int(c) for c in cells]
    broken = submit(client, file=("broken.ipynb", b"{not json"))
    assert broken.status_code == 422 and 'id="submit-error"' in broken.text


def test_a_forged_form_is_refused(site: Any) -> None:
    client = site()
    sign_in(client, client.tokens["s1"])
    forged = client.post("/student/exercises/rnn/submit", data={"csrf": "forged", "source": SOURCE},
                         files={"file": ("", b"", "text/plain")}, follow_redirects=False)
    assert forged.status_code == 422 and "reload the page" in forged.text


def test_after_the_deadline_a_submission_asks_for_confirmation_and_is_flagged_late(site: Any) -> None:
    client = site(deadlines={"rnn": PAST})
    sign_in(client, client.tokens["s1"])
    page = client.get("/student/exercises/rnn")
    assert "will be flagged late" in page.text and 'name="confirm_late"' in page.text
    assert "deadline passed" in page.text
    unconfirmed = submit(client, source=SOURCE)
    assert unconfirmed.status_code == 409 and "Tick the box" in unconfirmed.text
    assert SOURCE.splitlines()[2] in unconfirmed.text  # the pasted code is kept
    confirmed = submit(client, source=SOURCE, confirm=True)
    assert confirmed.status_code == 303
    result = client.get(confirmed.headers["location"])
    assert "tag-late" in result.text


# ---------------------------------------------------------------- results, history, other students
@pytest.fixture(scope="module")
def dropped() -> Result:
    return grade_dropped_dh_next()


def test_the_result_page_shows_parts_tests_grouped_mistakes_and_the_chart(site: Any, database_url: str,
                                                                         dropped: Result) -> None:
    client = site()
    sign_in(client, client.tokens["s1"])
    sub = submit(client, source=SOURCE)
    sid = int(sub.headers["location"].rsplit("/", 1)[1])
    engine = create_db_engine(database_url)
    try:
        assert write_result(engine, sid, "graded", dropped)
    finally:
        engine.dispose()
    # the API's JSON: the same grouping, every existing field still there
    api = client.get(f"/api/v1/submissions/{sid}", headers={"Authorization": f"Bearer {client.tokens['s1']}"})
    parts = {p["name"]: p for p in api.json()["parts"]}
    assert set(parts["backward"]) >= {"name", "title", "score", "max_score", "feedback", "tests", "mistakes"}
    grouped = [g for g in parts["backward"]["mistakes"] if g["name"] == MISTAKE]
    assert len(grouped) == 1 and set(grouped[0]) == {"name", "message", "hint", "tests", "hint_level", "hints",
                                                     "consecutive"}
    assert (grouped[0]["hint_level"], grouped[0]["hints"]) == (1, [grouped[0]["hint"]])  # a first mistake
    assert grouped[0]["tests"] == [t["name"] for t in parts["backward"]["tests"] if MISTAKE in t["misconceptions"]]
    assert grouped[0]["hint"] == BY_NAME[MISTAKE].hint.en
    assert not any(grouped[0]["hint"] in t["feedback"] for t in parts["backward"]["tests"])
    assert parts["forward"]["mistakes"] == []
    gradescope = client.get(f"/api/v1/submissions/{sid}/results.json",
                            headers={"Authorization": f"Bearer {client.tokens['s1']}"}).json()
    assert gradescope["output"].count(grouped[0]["hint"]) == 1
    assert not any(grouped[0]["hint"] in t["output"] for t in gradescope["tests"])

    page = client.get(f"/student/submissions/{sid}")
    assert page.status_code == 200 and 'data-status="graded"' in page.text and "refresh" not in page.text
    m = BY_NAME[MISTAKE]
    hint = str(m.hint.en).replace("'", "&#39;").replace('"', "&#34;")
    assert page.text.count(hint.split(".")[0]) == 1  # the mistake paragraph once, in the backward part
    assert page.text.count(f'data-mistake="{MISTAKE}"') == 1
    backward = next(p for p in dropped.parts if p.name == "backward")
    for t in backward.tests:
        assert t.name in page.text
    assert 'class="result-chart"' in page.text and "<svg" in page.text
    assert client.get(f"/student/submissions/{sid}/state").json()["done"] is True
    zh = client.get(f"/student/submissions/{sid}?lang=zh")
    assert str(m.title.zh) in zh.text and "涉及的测试" in zh.text
    assert zh.text.count(m.hint.zh.split("。")[0]) == 1

    # the teacher's drill-down shows the same grouping once
    page_sign_in(client, TEACHER)
    teacher = client.get(f"/scoreboard/students/s1?submission={sid}&lang=en")
    assert teacher.status_code == 200 and teacher.text.count(f'data-mistake="{MISTAKE}"') == 1
    assert teacher.text.count(hint.split(".")[0]) == 1


def test_charts_not_drawn_with_the_result_are_drawn_when_the_student_or_the_teacher_opens_it(
        site: Any, database_url: str, dropped: Result) -> None:
    client = site()  # no grading loop: a request stays `wanted`, as the page shows while one is drawing them
    sign_in(client, client.tokens["s1"])
    sid = int(submit(client, source=SOURCE).headers["location"].rsplit("/", 1)[1])
    engine = create_db_engine(database_url)

    def set_status(value: str) -> None:
        with engine.begin() as conn:
            conn.execute(sa.update(submissions_t).where(submissions_t.c.id == sid).values(diagnostics_status=value))

    try:
        assert write_result(engine, sid, "graded", dropped.model_copy(update={"diagnostics": {}}), None, "available")
        # Another student can neither open nor ask for them.
        client.cookies.clear()
        sign_in(client, client.tokens["s2"])
        assert client.get(f"/student/submissions/{sid}").status_code == 404
        client.post(f"/student/submissions/{sid}/charts", data={"csrf": csrf_of(client.get("/student").text)})
        assert _diagnostics_status(engine, sid) == "available"
        client.cookies.clear()
        sign_in(client, client.tokens["s1"])
        # The owner opens the result: its charts are asked for, and the page waits for them.
        page = client.get(f"/student/submissions/{sid}?lang=zh")
        assert _diagnostics_status(engine, sid) == "wanted"
        assert 'id="charts-pending"' in page.text and "正在绘制" in page.text and 'id="charts-ask"' not in page.text
        assert 'class="result-chart"' not in page.text and 'data-done="1"' not in page.text
        assert client.get(f"/student/submissions/{sid}/state").json()["done"] is False  # the page keeps polling
        # A failed run is offered again with a button (opening the page does not loop on a failing sandbox).
        set_status("failed")
        page = client.get(f"/student/submissions/{sid}?lang=en")
        assert 'id="charts-ask"' in page.text and "could not be drawn" in page.text
        assert _diagnostics_status(engine, sid) == "failed"
        assert client.get(f"/student/submissions/{sid}/state").json()["done"] is True
        forged = client.post(f"/student/submissions/{sid}/charts", data={"csrf": "forged"}, follow_redirects=False)
        assert forged.status_code == 303 and _diagnostics_status(engine, sid) == "failed"
        asked = client.post(f"/student/submissions/{sid}/charts", data={"csrf": csrf_of(page.text)},
                            follow_redirects=False)
        assert asked.status_code == 303 and asked.headers["location"] == f"/student/submissions/{sid}"
        assert _diagnostics_status(engine, sid) == "wanted"
        # The teacher's drill-down: opening it asks too; after a failed run, its button asks again.
        set_status("available")
        page_sign_in(client, TEACHER)
        marker = client.get("/scoreboard/state").json()["marker"]
        teacher = client.get(f"/scoreboard/students/s1?submission={sid}&lang=en")
        assert 'id="charts-pending"' in teacher.text and _diagnostics_status(engine, sid) == "wanted"
        assert client.get("/scoreboard/state").json()["marker"] != marker  # the page will refresh when drawn
        set_status("failed")
        teacher = client.get(f"/scoreboard/students/s1?submission={sid}&lang=en")
        assert 'id="charts-ask"' in teacher.text and "could not be drawn" in teacher.text
        asked = client.post(f"/scoreboard/submissions/{sid}/charts", data={"csrf": csrf_of(teacher.text)},
                            follow_redirects=False)
        assert asked.status_code == 303 and asked.headers["location"] == f"/scoreboard/students/s1?submission={sid}"
        assert _diagnostics_status(engine, sid) == "wanted"
    finally:
        engine.dispose()


def _diagnostics_status(engine: sa.Engine, sid: int) -> str | None:
    with engine.connect() as conn:
        return conn.execute(sa.select(submissions_t.c.diagnostics_status).where(submissions_t.c.id == sid)).scalar()


def test_history_lists_only_my_submissions_and_another_students_is_404(site: Any) -> None:
    client = site()
    sign_in(client, client.tokens["s2"])
    bobs = submit(client, source=SOURCE).headers["location"]
    client.cookies.clear()
    sign_in(client, client.tokens["s1"])
    mine = [submit(client, source=SOURCE).headers["location"] for _ in range(2)]
    history = client.get("/student/submissions")
    ids = re.findall(r'<tr data-submission="(\d+)"', history.text)
    assert sorted(ids) == sorted(u.rsplit("/", 1)[1] for u in mine)
    assert re.findall(r'<tr data-submission="(\d+)"', client.get("/student").text) == ids
    other = client.get(bobs)
    assert other.status_code == 404 and "No such submission" in other.text
    assert client.get(bobs + "/state").status_code == 404
    assert client.get("/student/submissions/999999").status_code == 404
    assert client.get("/student/submissions/0").status_code == 404


def test_languages_follow_the_query_the_cookie_and_accept_language(site: Any,
                                                                   make_client: Callable[..., TestClient]) -> None:
    client = site()
    sign_in(client, client.tokens["s1"])
    assert "我的练习" in client.get("/student?lang=zh").text
    assert "我的练习" in client.get("/student").text  # remembered
    assert "My exercises" in client.get("/student?lang=en").text
    fresh = make_client()  # no language cookie yet
    assert "学生登录" in fresh.get("/student", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).text
    assert "Student sign-in" in fresh.get("/student", headers={"Accept-Language": "en-US"}).text


# ---------------------------------------------------------------- every string in both languages
def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def test_every_student_page_string_has_both_languages_with_the_same_placeholders() -> None:
    from server.web.similarity_i18n import SIMILARITY_MESSAGES

    assert set(STUDENT_MESSAGES).isdisjoint(SIMILARITY_MESSAGES)  # no page's string replaces another's
    assert all(MESSAGES[key] is entry for key, entry in STUDENT_MESSAGES.items())
    for key, entry in STUDENT_MESSAGES.items():
        assert set(entry) == set(LANGS), key
        assert all(entry[lang].strip() for lang in LANGS), key
        assert _fields(entry["en"]) == _fields(entry["zh"]), key


def _template_keys() -> Iterator[tuple[str, str]]:
    for path in sorted(TEMPLATES.glob("*.html")):
        for key in re.findall(r"_\('([a-z_]+)'\s*[,)]", path.read_text(encoding="utf-8")):
            yield path.name, key


def test_every_key_the_templates_use_exists_in_both_languages() -> None:
    used = list(_template_keys())
    assert any(name.startswith("student_") for name, _ in used)
    for name, key in used:
        assert key in MESSAGES and set(MESSAGES[key]) == set(LANGS), f"{name}: {key}"
