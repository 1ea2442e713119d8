"""The teacher's similarity pages: reachable from the scoreboard, pairs and a side-by-side view with the
matching regions highlighted, in English and Chinese; no student (or anyone without the teacher's cookie)
gets in."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import pytest
from helpers import page_sign_in, set_cookies
from similarity_corpus import as_submission, entries
from starlette.testclient import TestClient

PAGE = "/scoreboard/similarity/rnn"
TEACHER = "teacher-token-for-tests-0123456789"  # tests/conftest.py


def _code(name: str) -> str:
    return as_submission(next(e.code for e in entries() if e.name == name))


@pytest.fixture
def klass(make_client: Callable[..., TestClient], create_student: Callable[..., dict[str, str]],
          submit_graded: Callable[..., int]) -> dict[str, Any]:
    client = make_client()
    tokens = {sid: create_student(client, sid, name)["token"]
              for sid, name in (("alice", "Alice"), ("bob", "Bob"), ("carol", "李华"))}
    ids = {
        "alice": submit_graded(client, {"Authorization": f"Bearer {tokens['alice']}"}, _code("s03_step_functions")),
        "bob": submit_graded(client, {"Authorization": f"Bearer {tokens['bob']}"},
                             _code("s03_step_functions__comprehensions")),
        "carol": submit_graded(client, {"Authorization": f"Bearer {tokens['carol']}"}, _code("s08_batch_rows")),
    }
    # The API waits for the report; the pages then show it at once.
    report = client.get("/api/v1/similarity/rnn", headers={"Authorization": f"Bearer {TEACHER}"})
    assert report.status_code == 200
    return {"client": client, "tokens": tokens, "ids": ids}


def _sign_in(client: TestClient) -> None:
    response = page_sign_in(client, TEACHER)
    assert response.status_code == 303


def _marked(html: str) -> int:
    """How many characters are highlighted as matches."""
    return sum(len(text) for text in re.findall(r"<mark[^>]*>(.*?)</mark>", html))


def _compare(ids: dict[str, int], x: str, y: str) -> str:
    return f"{PAGE}/compare?a={ids[x]}&b={ids[y]}"


def test_the_scoreboard_links_to_the_similarity_page(klass: dict[str, Any]) -> None:
    client = klass["client"]
    _sign_in(client)
    board = client.get("/scoreboard").text
    assert 'id="similarity-link" href="/scoreboard/similarity"' in board
    home = client.get("/scoreboard/similarity", follow_redirects=False)
    assert home.status_code == 303 and home.headers["location"] == PAGE


def test_the_page_lists_the_copied_pair_and_links_to_the_side_by_side_view(klass: dict[str, Any]) -> None:
    client = klass["client"]
    _sign_in(client)
    page = client.get(PAGE)
    assert page.status_code == 200
    assert page.headers["Content-Security-Policy"].startswith("default-src 'none'")
    html = page.text
    assert 'data-a="alice" data-b="bob"' in html
    assert "carol" not in html.split('id="pairs"')[1]  # her own work: not listed at the default threshold
    assert "A hint, not proof" in html
    link = f'href="{PAGE}/compare?a={klass["ids"]["alice"]}&amp;b={klass["ids"]["bob"]}&amp;min=0.5"'
    assert link in html
    everyone = client.get(PAGE, params={"min": "0"}).text
    assert 'data-a="bob" data-b="carol"' in everyone and 'data-a="alice" data-b="carol"' in everyone
    assert client.get(PAGE, params={"min": "not-a-number"}).status_code == 200  # a bad filter is the default


def test_side_by_side_highlights_the_same_numbered_regions_on_both_sides(klass: dict[str, Any]) -> None:
    client = klass["client"]
    _sign_in(client)
    html = client.get(_compare(klass["ids"], "alice", "bob")).text
    left, right = html.split('id="code-1"')[1].split('id="code-2"')
    labels_left = set(re.findall(r'<mark class="m\d" title="# (\d+)">', left))
    labels_right = set(re.findall(r'<mark class="m\d" title="# (\d+)">', right))
    assert labels_left and labels_right <= labels_left and len(labels_right) >= 2
    assert '<span class="tpl">' in left  # the template is shown, greyed, not counted
    assert "one_step_back" in right and "step_backward" in left  # each side shows its own source
    assert "<script" not in left + right
    # an independent pair: little or nothing highlighted
    other = client.get(_compare(klass["ids"], "alice", "carol")).text
    assert _marked(other) < _marked(html) / 2


def test_the_page_never_waits_it_shows_computing_and_refreshes(
    make_client: Callable[..., TestClient], create_student: Callable[..., dict[str, str]],
    submit_graded: Callable[..., int],
) -> None:
    client = make_client()
    for sid in ("a", "b"):
        headers = {"Authorization": create_student(client, sid, sid)["authorization"]}
        submit_graded(client, headers, _code("s10_generator"))
    _sign_in(client)
    first = client.get(PAGE)
    assert first.status_code == 200
    if 'data-state="computing"' in first.text:  # the background process needs a moment to start
        assert '<meta http-equiv="refresh"' in first.text and 'id="pairs"' not in first.text
    for _ in range(300):
        page = client.get(PAGE).text
        if 'data-state=' not in page:
            break
        time.sleep(0.1)
    assert 'data-a="a" data-b="b"' in page and '<meta http-equiv="refresh"' not in page


def test_student_source_is_escaped(make_client: Callable[..., TestClient],
                                   create_student: Callable[..., dict[str, str]],
                                   submit_graded: Callable[..., int]) -> None:
    client = make_client()
    evil = _code("s01_loops") + '\n# </pre><script>alert(1)</script>\nx = "<img src=x onerror=alert(1)>"\n'
    a = submit_graded(client, {"Authorization": create_student(client, "a", "A")["authorization"]}, evil)
    b = submit_graded(client, {"Authorization": create_student(client, "b", "B")["authorization"]}, evil)
    _sign_in(client)
    html = client.get(f"{PAGE}/compare?a={a}&b={b}").text
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_pages_speak_chinese(klass: dict[str, Any]) -> None:
    client = klass["client"]
    _sign_in(client)
    assert "相似度报告" in client.get(PAGE, params={"lang": "zh"}).text
    assert "并排对比" in client.get(_compare(klass["ids"], "alice", "bob")).text  # the language cookie sticks
    assert "李华" in client.get(PAGE, params={"min": "0"}).text


def test_unknown_exercise_or_pair_is_a_404_page(klass: dict[str, Any]) -> None:
    client = klass["client"]
    _sign_in(client)
    assert client.get("/scoreboard/similarity/nope").status_code == 404
    ids = klass["ids"]
    for query in (f"a={ids['alice']}&b=999", f"a={ids['alice']}&b={ids['alice']}", "a=0&b=-1",
                  f"a={ids['alice']}&b={2**70}", "a=x&b=y"):
        response = client.get(f"{PAGE}/compare?{query}")
        assert response.status_code in (404, 422), query
        assert "alice" not in response.text or response.status_code == 422


def test_the_downloadable_report_works_from_the_page(klass: dict[str, Any]) -> None:
    client = klass["client"]
    _sign_in(client)
    response = client.get(f"{PAGE}/report.html")
    assert response.status_code == 200 and "attachment" in response.headers["content-disposition"]
    assert "<mark" in response.text and "alice" in response.text


@pytest.mark.parametrize("path", ["/scoreboard/similarity", PAGE, PAGE + "?min=0", f"{PAGE}/compare?a=1&b=2",
                                  f"{PAGE}/report.html", "/scoreboard/similarity/nope"])
def test_no_student_gets_in(klass: dict[str, Any], path: str) -> None:
    client = klass["client"]
    student = klass["tokens"]["bob"]
    # no cookie, a student's bearer token, or a forged cookie: the sign-in form, never the report
    for kwargs in ({}, {"headers": {"Authorization": f"Bearer {student}"}},
                   {"cookies": {"rnn_grader_session": "forged.value.here"}}):
        client.cookies.clear()
        response = client.get(path, follow_redirects=False, **kwargs)
        assert response.status_code == 303, (path, kwargs)
        assert response.headers["location"].startswith("/scoreboard/login?next=")
        assert "alice" not in response.text
    # a student cannot sign in to get the cookie
    refused = page_sign_in(client, student)
    assert refused.status_code == 403 and "rnn_grader_session" not in set_cookies(refused)
    assert client.get(path, follow_redirects=False).status_code == 303


def test_a_long_list_is_capped_on_the_page_but_not_in_the_api(
    klass: dict[str, Any], monkeypatch: pytest.MonkeyPatch,
) -> None:
    import server.web.similarity as pages

    monkeypatch.setattr(pages, "PAGE_ROWS", 2)
    client = klass["client"]
    _sign_in(client)
    html = client.get(PAGE, params={"min": "0"}).text
    assert html.count("<tr data-a=") == 2 and "3 pair(s) at or above 0.0" in html and "the 2 most similar" in html
    api = client.get("/api/v1/similarity/rnn", params={"min": 0}, headers={"Authorization": f"Bearer {TEACHER}"})
    assert len(api.json()) == 3
