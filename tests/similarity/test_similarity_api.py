"""GET /api/v1/similarity/{exercise}: the teacher's pairs, their order and filter, the counted-submission
choice, the cache, and that no student can reach any of it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from helpers import assert_error
from similarity_corpus import as_submission, entries
from starlette.testclient import TestClient

URL = "/api/v1/similarity/rnn"
FIELDS = {"student_a", "student_b", "submission_a", "submission_b", "similarity", "share_a", "share_b"}


def _code(name: str) -> str:
    return as_submission(next(e.code for e in entries() if e.name == name))


@pytest.fixture
def klass(make_client: Callable[..., TestClient], create_student: Callable[..., dict[str, str]],
          submit_graded: Callable[..., int]) -> dict[str, Any]:
    """Four students: bob copied alice (renamed, comments changed); carol and dave wrote their own."""
    client = make_client()
    students = {sid: {"Authorization": create_student(client, sid, sid.title())["authorization"]}
                for sid in ("alice", "bob", "carol", "dave")}
    ids = {
        "alice": submit_graded(client, students["alice"], _code("s01_loops"), 80.0),  # 80: a later 100 counts
        "bob": submit_graded(client, students["bob"], _code("s01_loops__renamed_comments"), 80.0),
        "carol": submit_graded(client, students["carol"], _code("s02_einsum"), 80.0),
        "dave": submit_graded(client, students["dave"], _code("s04_class"), 80.0),
    }
    return {"client": client, "students": students, "ids": ids}


def test_teacher_gets_the_copied_pair_with_the_exact_fields(klass: dict[str, Any],
                                                            teacher_headers: dict[str, str]) -> None:
    response = klass["client"].get(URL, headers=teacher_headers)
    assert response.status_code == 200, response.text
    assert response.headers["X-Similarity-State"] == "ready"
    assert response.headers["X-Similarity-Submissions"] == "4"
    pairs = response.json()
    assert len(pairs) == 1
    pair = pairs[0]
    assert set(pair) == FIELDS
    assert (pair["student_a"], pair["student_b"]) == ("alice", "bob")
    assert (pair["submission_a"], pair["submission_b"]) == (klass["ids"]["alice"], klass["ids"]["bob"])
    assert pair["similarity"] >= 0.5 and pair["similarity"] == max(pair["share_a"], pair["share_b"])


def test_min_filters_and_pairs_are_sorted_by_similarity(klass: dict[str, Any],
                                                        teacher_headers: dict[str, str]) -> None:
    everything = klass["client"].get(URL, params={"min": 0}, headers=teacher_headers).json()
    assert len(everything) == 6  # every pair of 4 students
    scores = [p["similarity"] for p in everything]
    assert scores == sorted(scores, reverse=True)
    assert all(p["student_a"] < p["student_b"] for p in everything)
    middle = sorted(scores)[2]
    some = klass["client"].get(URL, params={"min": middle}, headers=teacher_headers).json()
    assert [p["similarity"] for p in some] == [s for s in scores if s >= middle]
    assert klass["client"].get(URL, params={"min": 1}, headers=teacher_headers).json() == [
        p for p in everything if p["similarity"] >= 1]


@pytest.mark.parametrize("bad", ["1.5", "-0.1", "abc", "nan", "inf", ""])
def test_bad_min_is_a_422(klass: dict[str, Any], teacher_headers: dict[str, str], bad: str) -> None:
    response = klass["client"].get(URL, params={"min": bad}, headers=teacher_headers)
    assert_error(response, 422, "ValidationError")


def test_unknown_exercise_is_a_404(klass: dict[str, Any], teacher_headers: dict[str, str]) -> None:
    assert_error(klass["client"].get("/api/v1/similarity/nope", headers=teacher_headers), 404, "ExerciseNotFound")
    assert_error(klass["client"].get("/api/v1/similarity/nope/report.html", headers=teacher_headers), 404,
                 "ExerciseNotFound")


@pytest.mark.parametrize("path", [URL, URL + "?min=0", URL + "/report.html", "/api/v1/similarity/nope"])
def test_students_never_see_the_report(klass: dict[str, Any], path: str) -> None:
    for headers in klass["students"].values():  # the copier and the copied alike
        assert_error(klass["client"].get(path, headers=headers), 403, "TeacherOnly")
    assert_error(klass["client"].get(path), 401, "Unauthorized")
    assert_error(klass["client"].get(path, headers={"Authorization": "Bearer nobody"}), 401, "Unauthorized")


@pytest.mark.parametrize(("policy", "counted_index"), [("best", 0), ("latest", 1)])
def test_the_counted_submission_is_the_scoreboards(
    make_client: Callable[..., TestClient], create_student: Callable[..., dict[str, str]],
    submit_graded: Callable[..., int], teacher_headers: dict[str, str], policy: str, counted_index: int,
) -> None:
    """Alice's best submission is a copy of Bob's, her latest is her own work: the report follows the policy."""
    client = make_client(score_policy=policy)
    alice = {"Authorization": create_student(client, "alice", "Alice")["authorization"]}
    bob = {"Authorization": create_student(client, "bob", "Bob")["authorization"]}
    bob_id = submit_graded(client, bob, _code("s05_vectorised"))
    alice_ids = [submit_graded(client, alice, _code("s05_vectorised__prints_comments"), 90.0),
                 submit_graded(client, alice, _code("s09_cache_dict"), 80.0)]
    board = client.get("/api/v1/scoreboard", headers=teacher_headers).json()
    assert {r["student_id"]: r["scores"]["rnn"] for r in board}["alice"] == [90.0, 80.0][counted_index]
    pairs = client.get(URL, params={"min": 0}, headers=teacher_headers).json()
    assert [(p["submission_a"], p["submission_b"]) for p in pairs] == [(alice_ids[counted_index], bob_id)]
    assert (pairs[0]["similarity"] >= 0.5) == (counted_index == 0)


def test_the_report_is_cached_until_a_new_counted_submission_arrives(
    klass: dict[str, Any], teacher_headers: dict[str, str], submit_graded: Callable[..., int],
) -> None:
    client = klass["client"]
    first = client.get(URL, headers=teacher_headers)
    again = client.get(URL, headers=teacher_headers)
    assert again.headers["X-Similarity-Computed-At"] == first.headers["X-Similarity-Computed-At"]
    assert again.json() == first.json()
    # a queued (not yet graded) submission changes nothing
    assert client.post("/api/v1/submissions", json={"exercise": "rnn", "source": "x = 1"},
                       headers=klass["students"]["dave"]).status_code == 202
    assert client.get(URL, headers=teacher_headers).headers["X-Similarity-Computed-At"] == \
        first.headers["X-Similarity-Computed-At"]
    # dave's new counted submission copies carol's: a new report, with the new pair
    new_id = submit_graded(client, klass["students"]["dave"], _code("s02_einsum__reordered_renamed"))
    stale = client.get(URL, params={"wait": "false"}, headers=teacher_headers)
    assert stale.headers["X-Similarity-State"] in ("stale", "ready")
    fresh = client.get(URL, headers=teacher_headers)
    assert fresh.headers["X-Similarity-State"] == "ready"
    assert fresh.headers["X-Similarity-Computed-At"] != first.headers["X-Similarity-Computed-At"]
    assert {(p["student_a"], p["student_b"], p["submission_b"]) for p in fresh.json()} == {
        ("alice", "bob", klass["ids"]["bob"]), ("carol", "dave", new_id)}


def test_a_class_without_graded_submissions_has_no_pairs(make_client: Callable[..., TestClient],
                                                         teacher_headers: dict[str, str]) -> None:
    client = make_client()
    response = client.get(URL, params={"min": 0}, headers=teacher_headers)
    assert response.status_code == 200 and response.json() == []
    assert response.headers["X-Similarity-Submissions"] == "0"


def test_the_html_report_shows_the_pair_side_by_side(klass: dict[str, Any], teacher_headers: dict[str, str]) -> None:
    response = klass["client"].get(URL + "/report.html", params={"lang": "zh"}, headers=teacher_headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "attachment" in response.headers["content-disposition"]
    html = response.text
    assert "相似度报告" in html and "alice" in html and "bob" in html
    assert html.count('<mark class="m') >= 4  # matching regions highlighted on both sides
    assert "carol" not in html  # below the default threshold: not listed
