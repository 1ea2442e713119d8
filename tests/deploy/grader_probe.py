"""Run inside a grader container by the compose test (`docker exec -i ... python -`): what the worker's own
environment and database role can see and do. Prints one JSON object; standard library, psycopg and
SQLAlchemy only (what the image has)."""

from __future__ import annotations

import json
import os
import socket

import psycopg
from sqlalchemy.engine.url import make_url

STATEMENTS = {
    "token_hash": "SELECT token_hash FROM students LIMIT 1",
    "staff": "SELECT * FROM staff LIMIT 1",
    "sessions": "SELECT * FROM web_sessions LIMIT 1",
    "audit": "SELECT * FROM audit_log LIMIT 1",
    "extensions": "SELECT * FROM extensions LIMIT 1",
    "source_write": "UPDATE submissions SET source = '' WHERE false",
    "queue_depth": "SELECT count(*) FROM submissions",
    "superuser": "SELECT rolsuper FROM pg_roles WHERE rolname = current_user",
}


def main() -> None:
    url = make_url(os.environ["RNN_GRADER_DATABASE_URL"]).set(drivername="postgresql")
    found: dict[str, object] = {"secret_names": sorted(k for k in os.environ if "TOKEN" in k or "SECRET" in k)}
    for name, statement in STATEMENTS.items():
        try:
            with psycopg.connect(url.render_as_string(hide_password=False), connect_timeout=10) as conn:
                cursor = conn.execute(statement)
                found[name] = cursor.fetchall() if cursor.description else cursor.rowcount
        except psycopg.errors.InsufficientPrivilege:
            found[name] = "denied"
    try:
        socket.create_connection(("api", 8000), timeout=3).close()
        found["api"] = "reached"
    except OSError as exc:
        found["api"] = f"unreachable ({type(exc).__name__})"
    print(json.dumps(found, default=str))


if __name__ == "__main__":
    main()
