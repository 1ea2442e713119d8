"""Hints that grow (grader.hints, server.grading.hint_levels) through the API, on SQLite and PostgreSQL: each
named mistake's `hint_level`, `hints` and `consecutive` in the submission JSON; which earlier submissions
count; the level stored with the result (later submissions and regrades do not move it); the policy from
spec.toml and RNN_GRADER_HINTS; the visibility policy (a hidden part shows no hint); results.json; and the
real grading loop with the real grader."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from feedback_samples import MISTAKE, dropped_dh_next_source
from helpers import SharedGrader
from hint_samples import mistakes_of, named_result, regrade, submit_graded
from starlette.testclient import TestClient

from grader.hints import HintMode, HintPolicy
from grader.result import Outcome
from reference.rnn_mutants import BY_NAME

A, B = "backward.no_dh_next", "backward.dw_hh_uses_h_t"
LEVELS_EN = [t.en for t in BY_NAME[A].hints]


@pytest.fixture
def site(make_client: Callable[..., TestClient],
         create_student: Callable[..., dict[str, str]]) -> Callable[..., tuple[TestClient, dict[str, str]]]:
    def build(**settings: Any) -> tuple[TestClient, dict[str, str]]:
        client = make_client(**settings)
        return client, {"Authorization": create_student(client, "alice", "Alice")["authorization"]}

    return build


def test_each_repeat_unlocks_the_next_level_and_a_stored_level_never_moves(
    site: Callable[..., tuple[TestClient, dict[str, str]]], database_url: str, teacher_headers: dict[str, str],
) -> None:
    client, alice = site()
    ids = [submit_graded(client, alice, database_url, named_result(backward=[A])) for _ in range(4)]
    seen = [mistakes_of(client, alice, i)[A] for i in ids]
    assert [(m["hint_level"], m["consecutive"]) for m in seen] == [(1, 1), (2, 2), (3, 3), (3, 4)]
    assert [m["hints"] for m in seen] == [LEVELS_EN[:1], LEVELS_EN[:2], LEVELS_EN, LEVELS_EN]
    assert [m["hint"] for m in seen] == [LEVELS_EN[0], LEVELS_EN[1], LEVELS_EN[2], LEVELS_EN[2]]
    for m in seen:  # every existing field is still there
        assert m["message"] == f"Likely mistake: {BY_NAME[A].title.en}." and m["tests"] == ["backward/case1",
                                                                                             "backward/case2"]
    # Chinese, the list, and the teacher: the same levels
    zh = mistakes_of(client, alice, ids[1], lang="zh")[A]
    assert zh["hints"] == [t.zh for t in BY_NAME[A].hints[:2]] and zh["hint_level"] == 2
    listed = {s["id"]: s for s in client.get("/api/v1/submissions", headers=alice).json()}
    assert [p for p in listed[ids[2]]["parts"] if p["name"] == "backward"][0]["mistakes"][0]["hint_level"] == 3
    assert mistakes_of(client, teacher_headers, ids[0])[A]["hint_level"] == 1
    # Later submissions did not change the first one's level, nor does a policy given later.
    submit_graded(client, alice, database_url, named_result(backward=[A]), HintPolicy(HintMode.first))
    assert mistakes_of(client, alice, ids[0])[A]["hint_level"] == 1
    assert mistakes_of(client, alice, ids[3])[A]["hint_level"] == 3


def test_which_earlier_submissions_count(
    site: Callable[..., tuple[TestClient, dict[str, str]]], database_url: str,
    create_student: Callable[..., dict[str, str]],
) -> None:
    client, alice = site()
    bob = {"Authorization": create_student(client, "bob", "Bob")["authorization"]}

    def level(headers: dict[str, str], result: Any, part: str = "backward") -> dict[str, int]:
        submission = submit_graded(client, headers, database_url, result)
        return {name: m["hint_level"] for name, m in mistakes_of(client, headers, submission, part).items()}

    assert level(alice, named_result(backward=[A])) == {A: 1}
    # A crash in the part names nothing (naming is off) and says nothing either way: the run goes on.
    assert level(alice, named_result({"backward": Outcome.runtime_error})) == {}
    # So does a grading that failed (the grader's fault) and a syntax error (no test compared).
    submit_graded(client, alice, database_url, None)
    assert level(alice, named_result({p: Outcome.runtime_error for p in ("forward", "backward", "clip")})) == {}
    assert level(alice, named_result(backward=[A])) == {A: 2}
    # Another student's submissions are theirs.
    assert level(bob, named_result(backward=[A])) == {A: 1}
    # The same name in another part is another mistake (the crashed backward part says nothing either way).
    forward_f32 = named_result({"backward": Outcome.runtime_error}, forward=["float32_precision"])
    assert level(alice, forward_f32, "forward") == {"float32_precision": 1}
    assert level(alice, named_result(backward=[A, "float32_precision"])) == {A: 3, "float32_precision": 1}
    # A part that passes (fixed) breaks the run; a second mistake starts its own.
    assert level(alice, named_result()) == {}
    assert level(alice, named_result(backward=[A, B])) == {A: 1, B: 1}
    assert level(alice, named_result(backward=[B])) == {B: 2}
    assert level(alice, named_result(backward=[A, B])) == {A: 1, B: 3}


def test_a_regrade_keeps_the_level_the_mistake_had_and_counts_a_new_one(
    site: Callable[..., tuple[TestClient, dict[str, str]]], database_url: str, teacher_headers: dict[str, str],
) -> None:
    client, alice = site()
    first, second = (submit_graded(client, alice, database_url, named_result(backward=[A])) for _ in range(2))
    for submission, result in ((first, named_result()), (second, named_result(backward=[A, B]))):
        queued = client.post("/api/v1/regrade", json={"submission_id": submission}, headers=teacher_headers)
        assert queued.json()["queued"] == 1
        regrade(database_url, submission, result)
    assert mistakes_of(client, alice, first) == {}
    regraded = mistakes_of(client, alice, second)
    # A keeps level 2 although the first submission, regraded, no longer names it; B is new in this
    # submission and counted from the first as it is stored now (it does not name B).
    assert (regraded[A]["hint_level"], regraded[A]["consecutive"]) == (2, 2)
    assert (regraded[B]["hint_level"], regraded[B]["consecutive"]) == (1, 1)
    third = mistakes_of(client, alice, submit_graded(client, alice, database_url, named_result(backward=[A, B])))
    assert (third[A]["hint_level"], third[B]["hint_level"]) == (3, 2)


@pytest.mark.parametrize(
    ("setting", "levels"),
    [({"rnn": "all"}, [3, 3]), ({"rnn": {"hints": "first"}}, [1, 1]), ({"rnn": {"hint_repeats": 2}}, [1, 1, 2])],
)
def test_the_policy_from_the_setting_decides_the_level(
    site: Callable[..., tuple[TestClient, dict[str, str]]], database_url: str, setting: dict[str, Any],
    levels: list[int],
) -> None:
    client, alice = site(hints=setting)
    policy = client.app.state.ctx.catalog.hint_policy("rnn")  # type: ignore[attr-defined]
    ids = [submit_graded(client, alice, database_url, named_result(backward=[A]), policy) for _ in levels]
    assert [mistakes_of(client, alice, i)[A]["hint_level"] for i in ids] == levels
    assert [len(mistakes_of(client, alice, i)[A]["hints"]) for i in ids] == levels


def test_a_bad_setting_stops_start_up(real_exercises: dict[str, Any]) -> None:
    from server.catalog import build_catalog
    from server.config import ConfigError, Settings

    for bad, words in (({"rnn": "sometimes"}, "hints must be one of"), ({"rnn": {"hint_repeats": 0}}, "hint_repeats"),
                       ({"rnn": {"levels": 2}}, "unknown hint policy keys")):
        with pytest.raises(ConfigError, match=f"RNN_GRADER_HINTS for 'rnn': {words}"):
            build_catalog(real_exercises, Settings(hints=bad))
    assert build_catalog(real_exercises, Settings()).hint_policy("rnn") == HintPolicy()


def test_a_hidden_part_shows_no_hint_and_a_summary_keeps_the_level(
    site: Callable[..., tuple[TestClient, dict[str, str]]], database_url: str, teacher_headers: dict[str, str],
) -> None:
    policy = {"rnn": {"before_deadline": "summary", "parts": {"backward": {"before_deadline": "score_only"}}}}
    client, alice = site(visibility=policy)
    named = named_result(forward=["forward.no_recurrence"], backward=[A])
    ids = [submit_graded(client, alice, database_url, named) for _ in range(2)]
    assert mistakes_of(client, alice, ids[1], "backward") == {}
    forward = mistakes_of(client, alice, ids[1], "forward")["forward.no_recurrence"]
    assert forward["hint_level"] == 2 and forward["hints"] == [t.en for t in BY_NAME["forward.no_recurrence"].hints[:2]]
    results = client.get(f"/api/v1/submissions/{ids[1]}/results.json", headers=alice).json()
    assert LEVELS_EN[1] not in results["output"] and LEVELS_EN[0] not in results["output"]
    assert results["extra_data"]["mistakes"] == [{"part": "forward", "name": "forward.no_recurrence", "hint_level": 2,
                                                  "consecutive": 2}]
    # The teacher sees the hidden part's level too.
    assert mistakes_of(client, teacher_headers, ids[1])[A]["hint_level"] == 2


def test_results_json_says_the_hints_of_the_level_reached(
    site: Callable[..., tuple[TestClient, dict[str, str]]], database_url: str,
) -> None:
    client, alice = site()
    ids = [submit_graded(client, alice, database_url, named_result(backward=[A])) for _ in range(3)]
    first, third = (client.get(f"/api/v1/submissions/{i}/results.json", headers=alice).json()
                    for i in (ids[0], ids[2]))
    assert LEVELS_EN[0] in first["output"] and LEVELS_EN[1] not in first["output"]
    assert "Where: " + LEVELS_EN[1] in third["output"] and "Worked example (1x1): " + LEVELS_EN[2] in third["output"]
    assert "Hint level 3; named in 3 graded submission(s) in a row." in third["output"]
    assert third["extra_data"]["mistakes"] == [{"part": "backward", "name": A, "hint_level": 3, "consecutive": 3}]
    zh = client.get(f"/api/v1/submissions/{ids[2]}/results.json", params={"lang": "zh"}, headers=alice).json()
    assert "出错的位置：" + BY_NAME[A].hints[1].zh in zh["output"]


def test_the_grading_loop_applies_the_exercise_policy_with_the_real_grader(
    make_client: Callable[..., TestClient], create_student: Callable[..., dict[str, str]], real_grader: Any,
) -> None:
    client = make_client(workers=1, grader_factory=lambda: SharedGrader(real_grader),
                         hints={"rnn": {"hint_repeats": 2}})
    alice = {"Authorization": create_student(client, "alice", "Alice")["authorization"]}
    seen = []
    for _ in range(3):
        body = client.post("/api/v1/submissions?wait=60", json={"exercise": "rnn", "source": dropped_dh_next_source()},
                           headers=alice).json()
        assert body["status"] == "graded", body
        [backward] = [p for p in body["parts"] if p["name"] == "backward"]
        seen.append({m["name"]: (m["hint_level"], m["consecutive"]) for m in backward["mistakes"]})
    assert seen == [{MISTAKE: (1, 1)}, {MISTAKE: (1, 2)}, {MISTAKE: (2, 3)}]
