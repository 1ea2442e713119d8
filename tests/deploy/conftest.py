"""The compose test's timings, printed at the end of the run (how long the compose test adds to CI), and
databases with the deployment's roles (server/database_roles.py) for the PostgreSQL tests of this folder."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator

import pytest
from role_databases import RoleDatabase, superuser_execute
from sqlalchemy.engine.url import make_url

TIMINGS: dict[str, float] = {}


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if TIMINGS:
        terminalreporter.section("compose stack timings")
        for name, seconds in TIMINGS.items():
            terminalreporter.write_line(f"{name:<40} {seconds:8.1f} s")


@pytest.fixture(scope="session")
def compose_timings() -> dict[str, float]:
    """Where the compose test records how long each stage took."""
    return TIMINGS


# ---------------------------------------------------------------- databases with the deployment's roles
@pytest.fixture
def role_database() -> Iterator[Callable[..., RoleDatabase]]:
    """role_database(template=None) -> a new database (empty, or a copy of `template`) with names for an
    application role, a grading role and a backup role (not created: `rnn-grader migrate` does). Both roles and every
    database are dropped afterwards."""
    admin = os.environ.get("RNN_GRADER_TEST_DATABASE_URL")
    if not admin:
        pytest.fail("RNN_GRADER_TEST_DATABASE_URL is not set (postgres tests need it)")
    made: list[RoleDatabase] = []

    def make(template: str | None = None) -> RoleDatabase:
        tag = uuid.uuid4().hex[:10]
        name = f"rnn_grader_roles_{tag}"
        superuser_execute(admin, f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        base = make_url(admin).set(database=name)
        database = RoleDatabase(
            name=name, admin_url=base.render_as_string(hide_password=False),
            app_url=base.set(username=f"rg_app_{tag}", password=f"app-{tag}-pw").render_as_string(hide_password=False),
            grader_url=base.set(username=f"rg_grader_{tag}", password=f"grader-{tag}-pw").render_as_string(
                hide_password=False),
            backup_url=base.set(username=f"rg_backup_{tag}", password=f"backup-{tag}-pw").render_as_string(
                hide_password=False),
        )
        made.append(database)
        return database

    yield make
    for database in made:
        superuser_execute(admin, f'DROP DATABASE IF EXISTS "{database.name}" WITH (FORCE)')
        for url in (database.app_url, database.grader_url, database.backup_url):
            superuser_execute(admin, f'DROP ROLE IF EXISTS "{make_url(url).username}"')
