"""A PostgreSQL database with login roles of its own, for the tests of the deployment's roles
(server/database_roles.py); the `role_database` fixture (tests/deploy/conftest.py) makes and drops them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine.url import make_url


@dataclass(frozen=True)
class RoleDatabase:
    """A fresh PostgreSQL database and login roles of its own (roles are cluster-wide: random names)."""

    name: str
    admin_url: str  # the test cluster's superuser, on this database
    app_url: str
    grader_url: str
    backup_url: str

    def localize(self, compose_url: str) -> str:
        """A URL of docker-compose.yml (host `db`, roles rnn_grader*) pointed at this database and its roles."""
        by_user = {"rnn_grader": self.admin_url, "rnn_grader_app": self.app_url, "rnn_grader_grader": self.grader_url,
                   "rnn_grader_backup": self.backup_url}
        return by_user[str(make_url(compose_url).username)]


def superuser_execute(url: str, *statements: str) -> None:
    import psycopg

    with psycopg.connect(make_url(url).set(drivername="postgresql").render_as_string(hide_password=False),
                         autocommit=True, connect_timeout=10) as conn:
        for statement in statements:
            conn.execute(statement.encode())
