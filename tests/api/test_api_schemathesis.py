"""Property-based run of schemathesis against the app's own OpenAPI schema (in-process ASGI): every
operation, valid and invalid inputs, with a teacher token and with a student token. No response may be
a 5xx, and every response must match the schema (status code listed, body and content type as declared).
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import NonInteractiveExampleWarning, Unsatisfiable
from sqlmodel import Session

from server.models import Student
from server.security import hash_token

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import schemathesis
    from schemathesis import GenerationMode
    from schemathesis.checks import not_a_server_error
    from schemathesis.python import asgi as schemathesis_asgi
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

MAX_EXAMPLES = 25
STUDENT_TOKEN = "student-token-for-schemathesis-0123456789"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def schema(make_settings: Callable[..., Any], real_exercises: dict[str, Any]) -> Iterator[Any]:
    from server.app import create_app

    # One real grading thread: a valid submission with ?wait= is graded in ~0.1 s instead of waiting 60 s.
    app = create_app(make_settings(workers=1, rate_limit_per_minute=0), exercises_by_id=real_exercises)
    loaded = schemathesis.openapi.from_asgi("/openapi.json", app)  # starts the app's lifespan
    with Session(app.state.ctx.engine) as session:
        session.add(Student(student_id="s1", name="Schema Student", token_hash=hash_token(STUDENT_TOKEN)))
        session.commit()
    try:
        yield loaded
    finally:
        schemathesis_asgi.shutdown_lifespans()


def _run(strategy: Any, label: str, headers: dict[str, str], statuses: Counter[str]) -> int:
    """Up to MAX_EXAMPLES cases of one operation, each sent and validated; returns how many were sent."""
    calls = 0

    @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(case=strategy)
    def run(case: Any) -> None:
        nonlocal calls
        calls += 1
        response = case.call_and_validate(headers=dict(headers), checks=CHECKS)
        statuses[f"{label} {response.status_code}"] += 1

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NonInteractiveExampleWarning)
        run()
    return calls


def _offered_exercise(case: Any) -> Any:
    if isinstance(case.body, dict):
        case.body = {**case.body, "exercise": "rnn"}
    return case


@pytest.mark.slow
@pytest.mark.parametrize("who", ["teacher", "student"])
def test_no_server_errors_and_responses_match_the_schema(
    schema: Any, who: str, teacher_headers: dict[str, str]
) -> None:
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 14
    headers = teacher_headers if who == "teacher" else {"Authorization": f"Bearer {STUDENT_TOKEN}"}
    calls = 0
    statuses: Counter[str] = Counter()
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE, "offered exercise"):
            if mode == "offered exercise":
                # Random sources for an exercise that exists: they get stored, graded for real and waited on.
                if operation.label != "POST /api/v1/submissions":
                    continue
                strategy = operation.as_strategy(generation_mode=GenerationMode.POSITIVE).map(_offered_exercise)
            else:
                strategy = operation.as_strategy(generation_mode=mode)

            try:
                calls += _run(strategy, operation.label, headers, statuses)
            except Unsatisfiable:
                # nothing to make invalid (an operation without parameters or body)
                assert mode is GenerationMode.NEGATIVE, operation.label
    print(f"schemathesis ({who}): {len(operations)} operations, {calls} calls")
    for label, count in sorted(statuses.items()):
        print(f"  {label}: {count}")
    assert not any(label.endswith(tuple(f" {code}" for code in range(500, 600))) for label in statuses)
    assert calls >= len(operations) * 2
