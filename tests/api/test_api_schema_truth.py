"""The published schema tells the truth, and no query value is a 500 (issue 20, item 6). On SQLite and
PostgreSQL.

- Times in a query (`GET /audit?since=&until=`, the only ones) are ISO 8601 with a UTC offset: without an
  offset, as a number, or out of range they are refused with 422, never read as local time, a Unix time or
  a 500.
- Every status a route answers is in the schema: 202 of the diagnostics request; 413/408 of the ingress
  guard on every operation with a body; 401/403 on the uploads it authenticates first; 503 with
  Retry-After wherever the database is used.
- A 405 names every method of its path in `Allow`.
- A score is a number: `false` or `"50"` is refused, not read as 0 or 50 (strict fields).
- The patterns and bounds the server enforces are published: email, sis_id, score minimum, the one
  regrade selector (oneOf), the deadline's years.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from helpers import assert_error
from starlette.testclient import TestClient

from grader.result import Result
from server.db import create_db_engine
from server.grading.claims import write_result
from server.ingress.budgets import RULES

API = "/api/v1"


@pytest.fixture
def schema(api_client: TestClient) -> dict[str, Any]:
    response = api_client.get("/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
def graded(api_client: TestClient, create_student: Callable[..., dict[str, str]],
           database_url: str) -> Iterator[dict[str, Any]]:
    student = {"Authorization": create_student(api_client, "alice", "Alice")["authorization"]}
    sid = api_client.post(f"{API}/submissions", json={"exercise": "rnn", "source": "x = 1\n"}, headers=student)
    assert sid.status_code == 202, sid.text
    engine = create_db_engine(database_url)
    try:
        result = Result(exercise="rnn", score=40.0, max_score=100.0, parts=[], grader_version="g", grading_ms=1.0)
        assert write_result(engine, sid.json()["id"], "graded", result)
    finally:
        engine.dispose()
    yield {"student": student, "sid": sid.json()["id"]}


# ---------------------------------------------------------------- query times
@pytest.mark.parametrize("value", [
    "2026-01-01T00:00:00",  # no offset: whose midnight?
    "2026-01-01",
    "0.5",  # a number pydantic would read as a Unix time
    "1767225600",
    "0001-01-01T00:00:00+05:00",  # before year 1 in UTC
    "9999-12-31T23:59:59-05:00",  # after year 9999 in UTC
    "yesterday",
])
@pytest.mark.parametrize("bound", ["since", "until"])
def test_a_query_time_without_offset_or_out_of_range_is_422(api_client: TestClient, teacher_headers: dict[str, str],
                                                              bound: str, value: str) -> None:
    body = assert_error(api_client.get(f"{API}/audit", params={bound: value}, headers=teacher_headers), 422,
                        "ValidationError")
    assert bound in body["detail"]


def test_a_query_time_with_an_offset_filters_in_utc(api_client: TestClient, teacher_headers: dict[str, str]) -> None:
    regraded = api_client.post(f"{API}/regrade", json={"exercise": "rnn"}, headers=teacher_headers)  # audited, now
    assert regraded.status_code == 200, regraded.text
    now = dt.datetime.now(dt.UTC)
    in_beijing = (now - dt.timedelta(minutes=5)).astimezone(dt.timezone(dt.timedelta(hours=8))).isoformat()
    later = (now + dt.timedelta(minutes=5)).isoformat().replace("+00:00", "Z")
    found = api_client.get(f"{API}/audit", params={"since": in_beijing}, headers=teacher_headers)
    assert found.status_code == 200 and found.json(), found.text
    assert api_client.get(f"{API}/audit", params={"since": later}, headers=teacher_headers).json() == []
    assert api_client.get(f"{API}/audit", params={"until": in_beijing}, headers=teacher_headers).json() == []


# ---------------------------------------------------------------- status codes in the schema
def test_the_diagnostics_request_lists_202(schema: dict[str, Any]) -> None:
    responses = schema["paths"][f"{API}/submissions/{{submission_id}}/diagnostics"]["post"]["responses"]
    assert {"200", "202", "409"} <= set(responses)


def test_every_operation_with_a_body_lists_the_guards_413_and_408(schema: dict[str, Any]) -> None:
    with_body = [(path, method, op) for path, item in schema["paths"].items() for method, op in item.items()
                 if "requestBody" in op]
    assert len(with_body) >= 9
    for path, method, op in with_body:
        assert {"413", "408"} <= set(op["responses"]), (method, path)
        assert op["responses"]["413"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")


def test_uploads_the_guard_authenticates_list_401_and_403(schema: dict[str, Any]) -> None:
    checked = 0
    for path, item in schema["paths"].items():
        for method, op in item.items():
            rule = next((r for r in RULES if method.upper() in r.methods and r.path.match(path)), None)
            if rule is not None and rule.access is not None:
                assert {"401", "403"} <= set(op["responses"]), (method, path)
                checked += 1
    assert checked == 3  # submissions, the roster, the extensions


def test_operations_on_the_database_list_503_with_retry_after(schema: dict[str, Any]) -> None:
    for path, item in schema["paths"].items():
        for method, op in item.items():
            if path.endswith(("/healthz", "/client", "/client/{filename}")):
                continue  # no database
            assert "503" in op["responses"], (method, path)
            if path.endswith("/readyz"):
                continue  # its 503 is the readiness report itself
            assert "Retry-After" in op["responses"]["503"].get("headers", {}), (method, path)


# ---------------------------------------------------------------- Allow
@pytest.mark.parametrize(("path", "methods"), [
    (f"{API}/students", {"GET", "POST"}),
    (f"{API}/submissions", {"GET", "POST"}),
    (f"{API}/extensions/s1/rnn", {"PUT", "DELETE"}),
    (f"{API}/scoreboard", {"GET"}),
])
def test_a_405_names_every_method_of_the_path(api_client: TestClient, teacher_headers: dict[str, str], path: str,
                                              methods: set[str]) -> None:
    response = api_client.request("PATCH", path, headers=teacher_headers)
    assert_error(response, 405, "MethodNotAllowed")
    assert set(re.split(r",\s*", response.headers["allow"])) == methods


def test_allow_matches_the_schema_for_every_path(api_client: TestClient, teacher_headers: dict[str, str],
                                                 schema: dict[str, Any]) -> None:
    for path, item in schema["paths"].items():
        concrete = re.sub(r"\{[^}]+\}", "1", path)
        response = api_client.request("PATCH", concrete, headers=teacher_headers)
        assert response.status_code == 405, (path, response.status_code)
        assert set(re.split(r",\s*", response.headers["allow"])) == {m.upper() for m in item}, path


# ---------------------------------------------------------------- numbers are numbers
@pytest.mark.parametrize("score", [False, True, "50", "", None, [50], {"value": 50}])
def test_an_override_score_must_be_a_number(api_client: TestClient, teacher_headers: dict[str, str],
                                            graded: dict[str, Any], score: Any) -> None:
    url = f"{API}/submissions/{graded['sid']}/override"
    assert_error(api_client.post(url, json={"score": score, "reason": "r"}, headers=teacher_headers), 422,
                 "ValidationError")
    done = api_client.post(url, json={"score": 50, "reason": "r"}, headers=teacher_headers)  # an int is a number
    assert done.status_code == 201 and done.json()["score"] == 50, done.text


@pytest.mark.parametrize("score", [False, "50"])
def test_a_resolve_score_must_be_a_number(api_client: TestClient, teacher_headers: dict[str, str],
                                          graded: dict[str, Any], score: Any) -> None:
    asked = api_client.post(f"{API}/submissions/{graded['sid']}/regrade-requests", json={"message": "look"},
                            headers=graded["student"])
    assert asked.status_code == 201, asked.text
    url = f"{API}/regrade-requests/{asked.json()['id']}/resolve"
    body = {"action": "override", "score": score, "comment": "c"}
    assert_error(api_client.post(url, json=body, headers=teacher_headers), 422, "ValidationError")


@pytest.mark.parametrize("body", [{"all": 0}, {"all": 1}, {"all": "true"}, {"submission_id": "1"},
                                  {"submission_id": 1.0}])
def test_the_regrade_selector_takes_no_coercion(api_client: TestClient, teacher_headers: dict[str, str],
                                                body: dict[str, Any]) -> None:
    assert_error(api_client.post(f"{API}/regrade", json=body, headers=teacher_headers), 422, "ValidationError")


# ---------------------------------------------------------------- patterns and bounds
def _schema_of(schema: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = schema["components"]["schemas"][name]
    return found


def _string_branch(prop: dict[str, Any]) -> dict[str, Any]:
    return next(b for b in prop.get("anyOf", [prop]) if b.get("type") == "string")


def test_the_schema_publishes_what_the_server_enforces(schema: dict[str, Any]) -> None:
    student = _schema_of(schema, "StudentCreate")["properties"]
    assert "@" in _string_branch(student["email"])["pattern"]
    assert _string_branch(student["sis_id"])["pattern"] and _string_branch(student["sis_id"])["maxLength"] == 100
    assert student["student_id"]["pattern"]
    assert _schema_of(schema, "OverrideCreate")["properties"]["score"] == {
        "type": "number", "minimum": 0, "title": "Score", "description": "The raw score to give, 0..max_score"}
    resolve_score = _schema_of(schema, "RegradeRequestResolve")["properties"]["score"]["anyOf"]
    assert {"type": "number", "minimum": 0} in resolve_score
    selector = _schema_of(schema, "RegradeRequest")
    assert [sorted(v["required"]) for v in selector["oneOf"]] == [["submission_id"], ["exercise"], ["all"]]
    deadline = _schema_of(schema, "ExtensionSet")["properties"]["deadline"]
    assert deadline["format"] == "date-time" and re.match(deadline["pattern"], "1971-") \
        and not re.match(deadline["pattern"], "1970-") and not re.match(deadline["pattern"], "9999-")


@pytest.mark.parametrize(("field", "value"), [("email", "no-at-sign"), ("email", "a b@c"), ("sis_id", "x\x01")])
def test_the_published_patterns_are_the_enforced_ones(api_client: TestClient, teacher_headers: dict[str, str],
                                                      schema: dict[str, Any], field: str, value: str) -> None:
    pattern = _string_branch(_schema_of(schema, "StudentCreate")["properties"][field])["pattern"]
    assert not re.search(pattern, value)
    body = {"student_id": "s9", "name": "N", field: value}
    assert_error(api_client.post(f"{API}/students", json=body, headers=teacher_headers), 422, "ValidationError")


def test_the_one_selector_is_enforced_as_published(api_client: TestClient, teacher_headers: dict[str, str]) -> None:
    for body in ({}, {"submission_id": 1, "exercise": "rnn"}, {"exercise": "rnn", "all": True}):
        assert_error(api_client.post(f"{API}/regrade", json=body, headers=teacher_headers), 422, "InvalidInput")
    assert api_client.post(f"{API}/regrade", json={"exercise": "rnn"}, headers=teacher_headers).status_code == 200

