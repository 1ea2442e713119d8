"""Results of exercise `rnn` that name given mistakes, grouped with the real catalogue (its titles and every
level of its hints) as the grader stores them, for the tests of hint levels without a grading each time; and
storing one as the grading loop does (server.grading.claims.write_result)."""

from __future__ import annotations

from functools import cache
from typing import Any

from starlette.testclient import TestClient

from grader.exercise import load_exercises
from grader.hints import HintPolicy
from grader.mistakes import Described, catalogue_of, group_mistakes
from grader.result import Outcome, PartResult, Result, TestResult, Text
from server.db import create_db_engine
from server.grading.claims import write_result

PARTS = {"forward": 30.0, "backward": 50.0, "clip": 20.0}


@cache
def catalogue() -> dict[str, Described]:
    return catalogue_of(load_exercises()["rnn"].hooks)


def _part(name: str, outcome: Outcome, names: list[str]) -> PartResult:
    points = PARTS[name]
    passed = outcome is Outcome.passed
    tests = [TestResult(name=f"{name}/case{i}", description=Text(en="a case", zh="用例"),
                        score=points / 2 if passed else 0, max_score=points / 2, outcome=outcome,
                        misconceptions=list(names))
             for i in (1, 2)]
    return PartResult(name=name, score=points if passed else 0.0, max_score=points, tests=tests,
                      mistakes=group_mistakes(tests, catalogue()))


def named_result(outcomes: dict[str, Outcome] | None = None, **named: list[str]) -> Result:
    """Every part passes unless `outcomes` says otherwise; a part given names (`backward=[...]`) answers wrong
    and names them on both its tests."""
    outcomes = outcomes or {}
    parts = [_part(name, Outcome.wrong_answer if named.get(name) else outcomes.get(name, Outcome.passed),
                   named.get(name, []))
             for name in PARTS]
    return Result(exercise="rnn", score=sum(p.score for p in parts), max_score=100.0, parts=parts,
                  grader_version="test", grading_ms=1.0)


def submit_graded(client: TestClient, headers: dict[str, str], database_url: str, result: Result | None,
                  hints: HintPolicy | None = None) -> int:
    """Submit over the API and store `result` as the grading loop does (None: the grading failed)."""
    response = client.post("/api/v1/submissions", json={"exercise": "rnn", "source": "x = 1\n"}, headers=headers)
    assert response.status_code == 202, response.text
    submission_id = int(response.json()["id"])
    regrade(database_url, submission_id, result, hints)
    return submission_id


def regrade(database_url: str, submission_id: int, result: Result | None, hints: HintPolicy | None = None) -> None:
    engine = create_db_engine(database_url)
    try:
        status = "graded" if result is not None else "failed"
        assert write_result(engine, submission_id, status, result, None if result else "internal error", hints=hints)
    finally:
        engine.dispose()


def mistakes_of(client: TestClient, headers: dict[str, str], submission_id: int, part: str = "backward",
                lang: str = "en") -> dict[str, dict[str, Any]]:
    body = client.get(f"/api/v1/submissions/{submission_id}", params={"lang": lang}, headers=headers).json()
    [found] = [p for p in body["parts"] if p["name"] == part]
    return {m["name"]: m for m in found["mistakes"]}
