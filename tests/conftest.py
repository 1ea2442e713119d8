"""Shared fixtures: a fresh database per test (SQLite, or PostgreSQL for `-m postgres`), the real
exercises, and the server app / client built on them.

Databases: a test that takes `database_url` runs twice: on SQLite (always) and on PostgreSQL (marked
`postgres`). Without RNN_GRADER_TEST_DATABASE_URL the PostgreSQL variants are deselected; with it set, an
unreachable PostgreSQL makes them FAIL (never skip). Each test gets its own database, copied from a
template migrated once per session: a SQLite file copy, or `CREATE DATABASE ... TEMPLATE ...`.
"""

from __future__ import annotations

import os
import shutil
import uuid
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import SharedGrader, add_staff

# starlette.testclient warns once, at import, that it prefers `httpx2`; the warning filter "error" in
# pyproject would turn that into a collection error. Import it here once, with that warning silenced.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

POSTGRES_URL_ENV = "RNN_GRADER_TEST_DATABASE_URL"
TEACHER_TOKEN = "teacher-token-for-tests-0123456789"
TEST_SECRET = "test-seed-secret-0123456789abcdef"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get(POSTGRES_URL_ENV):
        return
    deselected = [item for item in items if item.get_closest_marker("postgres") is not None]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if item.get_closest_marker("postgres") is None]


# ---------------------------------------------------------------- databases
def _migrate(url: str) -> None:
    from server.db import create_db_engine, run_migrations

    engine = create_db_engine(url)
    try:
        run_migrations(engine)
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file; tests get copies of it."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    _migrate(f"sqlite:///{path}")
    return path


def _pg_admin_url() -> str:
    url = os.environ.get(POSTGRES_URL_ENV)
    if not url:
        pytest.fail(f"{POSTGRES_URL_ENV} is not set (postgres tests need it)")
    return url


def _pg_execute(url: str, *statements: str) -> None:
    import psycopg
    from sqlalchemy.engine.url import make_url

    sa_url = make_url(url).set(drivername="postgresql")
    with psycopg.connect(sa_url.render_as_string(hide_password=False), autocommit=True, connect_timeout=10) as conn:
        for statement in statements:
            conn.execute(statement.encode())


def _pg_url_for(url: str, database: str) -> str:
    from sqlalchemy.engine.url import make_url

    return make_url(url).set(database=database).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    """A migrated PostgreSQL database used as the template of every test's database."""
    admin_url = _pg_admin_url()
    name = f"rnn_grader_tmpl_{uuid.uuid4().hex[:12]}"
    _pg_execute(admin_url, f'CREATE DATABASE "{name}"')
    try:
        _migrate(_pg_url_for(admin_url, name))
        yield name
    finally:
        _pg_execute(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database for this test: SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "test.db"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    template_name: str = request.getfixturevalue("postgres_template")
    admin_url = _pg_admin_url()
    name = f"rnn_grader_test_{uuid.uuid4().hex[:12]}"
    _pg_execute(admin_url, f'CREATE DATABASE "{name}" TEMPLATE "{template_name}"')
    try:
        yield _pg_url_for(admin_url, name)
    finally:
        _pg_execute(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def empty_database_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A second database on the same backend as `database_url`, empty (not migrated): where restores go."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored' / 'rnn-grader.db'}"
        return
    admin_url = _pg_admin_url()
    name = f"rnn_grader_empty_{uuid.uuid4().hex[:12]}"
    _pg_execute(admin_url, f'CREATE DATABASE "{name}"')
    try:
        yield _pg_url_for(admin_url, name)
    finally:
        _pg_execute(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# ---------------------------------------------------------------- exercises and the app
@pytest.fixture(scope="session")
def real_exercises() -> dict[str, Any]:
    """The exercises shipped in exercises/, loaded once (spec + trusted reference module)."""
    from grader.exercise import load_exercises

    return load_exercises()


FAR_FUTURE = "2999-12-31T23:59:59+00:00"


@pytest.fixture
def make_settings(database_url: str, tmp_path: Path, real_exercises: dict[str, Any]) -> Callable[..., Any]:
    """Settings for a test server on this test's database: fixed tokens, no grading threads unless
    asked (`workers=1`), no rate limit and no limit on unknown tokens unless asked, and deadlines far away
    (so no test depends on the calendar; pass `deadlines=` to test lateness)."""
    from server.config import Settings

    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "data_dir": tmp_path / "data",
            "database_url": database_url,
            "admin_token": TEACHER_TOKEN,
            "secret": TEST_SECRET,
            "workers": 0,
            "rate_limit_per_minute": 0,
            "auth_failures_free": 0,  # tests send unknown tokens on purpose, all from one address
            "lease_seconds": 30,
            "sweep_seconds": 0.5,
            "deadlines": {exercise_id: FAR_FUTURE for exercise_id in real_exercises},
        }
        values.update(overrides)
        return Settings(**values)

    return make


@pytest.fixture
def make_client(
    make_settings: Callable[..., Any], real_exercises: dict[str, Any]
) -> Iterator[Callable[..., TestClient]]:
    """Build a started test client: make_client(workers=1, grader_factory=..., **settings overrides)."""
    from server.app import create_app

    clients: list[TestClient] = []

    def make(grader_factory: Any = None, exercises: dict[str, Any] | None = None, **overrides: Any) -> TestClient:
        app = create_app(
            make_settings(**overrides),
            exercises_by_id=real_exercises if exercises is None else exercises,
            grader_factory=grader_factory,
            migrate=True,
        )
        client = TestClient(app, raise_server_exceptions=True)
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in reversed(clients):
        client.__exit__(None, None, None)


@pytest.fixture
def api_client(make_client: Callable[..., TestClient]) -> TestClient:
    """The API on a fresh database, no grading threads (submissions stay queued)."""
    return make_client()


@pytest.fixture
def teacher_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {TEACHER_TOKEN}"}


@pytest.fixture
def create_student(teacher_headers: dict[str, str]) -> Callable[..., dict[str, str]]:
    """create_student(client, "s1") -> {"student_id", "name", "token", "Authorization"-ready headers}."""

    def create(client: TestClient, student_id: str = "s1", name: str = "Student One") -> dict[str, str]:
        response = client.post(
            "/api/v1/students", json={"student_id": student_id, "name": name}, headers=teacher_headers
        )
        assert response.status_code == 201, response.text
        body: dict[str, str] = response.json()
        return {**body, "authorization": f"Bearer {body['token']}"}

    return create


@pytest.fixture
def make_staff() -> Callable[..., dict[str, str]]:
    """make_staff(client, "ta1", role="ta") -> bearer headers of a new staff member, written straight into the
    app's database (the staff API has its own tests)."""

    def make(client: TestClient, staff_id: str, role: str = "ta", name: str | None = None) -> dict[str, str]:
        token = add_staff(client.app.state.ctx.engine, staff_id, role, name)  # type: ignore[attr-defined]
        return {"Authorization": f"Bearer {token}"}

    return make


@pytest.fixture(scope="session")
def solutions_dir() -> Path:
    return Path(__file__).resolve().parent / "solutions"


@pytest.fixture(scope="module")
def real_grader(real_exercises: dict[str, Any]) -> Iterator[Any]:
    from grader.grade import Grader

    grader = Grader(real_exercises)
    yield grader
    grader.close()


@pytest.fixture
def grading_client(make_client: Callable[..., Any], real_grader: Any) -> Any:
    """An app with one in-process grading thread on the module's real grader."""
    return make_client(workers=1, grader_factory=lambda: SharedGrader(real_grader))


@pytest.fixture
def correct_source(solutions_dir: Path) -> str:
    return (solutions_dir / "correct_rnn.py").read_text(encoding="utf-8")
