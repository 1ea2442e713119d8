"""PostgreSQL roles of a deployment: who may do what in the database (docs/deployment.md, "Database roles").

- The application role (`rnn-grader serve` and `rnn-grader migrate`) owns the database, its schemas and every
  object the migrations create. It is not a superuser and cannot create roles or databases.
- The grading role (`rnn-grader worker`: the processes around student code) gets only what grading runs
  (GRADER_ACCESS), column by column where a table is shared. It cannot read students' token hashes or any
  row of the tables in NO_ACCESS (staff, web sessions, the audit log, extensions, ...), cannot change a
  submission's source, student, seed or lateness, and cannot create anything.
- The backup role (`rnn-grader backup`, pg_dump) reads every table and sequence of the two schemas (a backup
  must hold everything, token hashes included) and can change nothing.

`rnn-grader migrate` keeps them so (server.migrate): given a superuser's URL (RNN_GRADER_DATABASE_ADMIN_URL) it
first creates or updates the login roles (attributes, passwords from their URLs, sent as SCRAM verifiers) and
hands the database and all its objects to the application role (a database a superuser migrated before is
taken over); after the migrations the application role, as owner, revokes everything from the grading role
and grants it exactly GRADER_ACCESS (the backup role: SELECT on everything), so a privilege dropped here is
taken back at the next migrate, and a new column is readable by the graders only once it is listed here
(tests/deploy/test_database_roles.py makes every column of every table a decision).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy.engine.url import make_url

from server.config import ConfigError

PUBLIC_SCHEMA = "public"
# procrastinate's schema (migration 0002); the job queue has no secret in it, and graders fetch, finish,
# retry and defer jobs in it (server.grading.procrastinate_queue).
QUEUE_SCHEMA = "procrastinate"
SCHEMAS = (PUBLIC_SCHEMA, QUEUE_SCHEMA)
ROLE_ATTRIBUTES = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT"


@dataclass(frozen=True)
class TableAccess:
    """What the grading role may do with one table of the `public` schema. `read`: columns it may SELECT
    (also those its UPDATEs name in WHERE or RETURNING); `write`: columns it may UPDATE; `withheld`: the
    table's other columns, each a decision (the test checks read + withheld cover the table)."""

    read: tuple[str, ...]
    write: tuple[str, ...] = ()
    insert: bool = False
    withheld: tuple[str, ...] = ()


# Every statement of the grading path (server/grading/*: claims, leases, result write, diagnostics, the
# reconciler; server/regrades/history.py; server/scoreboard/cache.py; server.metrics' queue depth; the
# start-up check of the migration revision) needs these and nothing more.
GRADER_ACCESS: dict[str, TableAccess] = {
    "submissions": TableAccess(
        read=("id", "student_id", "exercise", "source", "seed", "status", "priority", "attempts", "score",
              "max_score", "late", "late_penalty", "result", "summary", "lease_until", "lease_owner",
              "created_at", "graded_at", "regrading", "regrade_batch_id", "diagnostics_status", "diagnostics_at"),
        # The claim, the lease, the result and its diagnostics. Never student_id, exercise, source, seed,
        # priority, late, late_penalty, created_at, idempotency_key, idempotency_hash or notebook: what was
        # submitted, by whom, when, stays as the API stored it.
        write=("status", "attempts", "score", "max_score", "result", "summary", "grader_version", "grading_ms",
               "lease_until", "lease_owner", "last_error", "started_at", "graded_at", "regrading",
               "regrade_batch_id", "diagnostics_status", "diagnostics_at"),
        withheld=("idempotency_key", "idempotency_hash", "notebook", "last_error", "grader_version", "grading_ms",
                  "started_at"),
    ),
    # The grading history: appended with each result (its number is the submission's next), never read back.
    "gradings": TableAccess(
        read=("id", "submission_id", "number"), insert=True,
        withheld=("attempt", "why", "status", "score", "max_score", "grader_version", "result", "batch_id",
                  "actor", "reason", "created_at"),
    ),
    # A regrade batch's policy, and its report row of the pair brought up to date.
    "regrade_batches": TableAccess(read=("id", "policy"),
                                   withheld=("actor", "reason", "selector", "total", "created_at")),
    "regrade_items": TableAccess(
        read=("batch_id", "student_id", "exercise", "pending"),
        write=("pending", "after_id", "after_score", "after_parts"),
        withheld=("submissions", "before_id", "before_score", "before_parts", "after_id", "after_score", "after_parts"),
    ),
    # The maintained scoreboard rows, recomputed in the result's transaction (derived from submissions).
    "student_exercise_scores": TableAccess(
        read=("student_id", "exercise", "best_id", "best_score", "best_late", "best_summary", "latest_id",
              "latest_score", "latest_late", "latest_summary", "misconceptions", "updated_at"),
        write=("best_id", "best_score", "best_late", "best_summary", "latest_id", "latest_score", "latest_late",
               "latest_summary", "misconceptions", "updated_at"),
        insert=True,
    ),
    # Workers check at start that the database is migrated (Alembic reads the revision).
    "alembic_version": TableAccess(read=("version_num",)),
}

# Tables the grading role cannot touch at all, and why.
NO_ACCESS: dict[str, str] = {
    "students": "token hashes, names, e-mail addresses and SIS ids",
    "staff": "staff tokens' hashes and roles",
    "web_sessions": "signed-in browsers' session ids",
    "audit_log": "who changed what; only the API appends to it",
    "extensions": "deadline policy per student; decided at submission time by the API",
    "regrade_requests": "students' messages and the staff's answers",
}


@dataclass(frozen=True)
class LoginRole:
    name: str
    password: str


def libpq_url(database_url: str) -> str:
    """The libpq URL of a SQLAlchemy `postgresql+psycopg://` URL."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


def login_role(database_url: str) -> LoginRole:
    url = make_url(database_url)
    if not url.username or not url.password:
        raise ConfigError(f"{url.render_as_string(hide_password=True)} names no user and password for its role")
    return LoginRole(url.username, str(url.password))


def _run(conn: psycopg.Connection[Any], statement: sql.Composed) -> None:
    conn.execute(statement)


def _ensure_role(conn: psycopg.Connection[Any], role: LoginRole) -> None:
    exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role.name,)).fetchone() is not None
    # The server gets a SCRAM verifier, never the password itself (it would be in its logs on an error).
    verifier = conn.pgconn.encrypt_password(role.password.encode(), role.name.encode(), b"scram-sha-256")
    _run(conn, sql.SQL("{} ROLE {} WITH " + ROLE_ATTRIBUTES + " PASSWORD {}").format(
        sql.SQL("ALTER" if exists else "CREATE"), sql.Identifier(role.name), sql.Literal(verifier.decode())))


# Everything in SCHEMAS not owned by the application role yet: relations (a sequence owned by a column goes
# with its table), routines, stand-alone types, the schemas themselves. (%% is format()'s %, for psycopg.)
_FOREIGN_OBJECTS = """
SELECT format('ALTER %%s %%I.%%I OWNER TO %%I',
              CASE c.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                             WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END, n.nspname, c.relname, %(owner)s::text)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = ANY(%(schemas)s::text[]) AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
  AND pg_get_userbyid(c.relowner) <> %(owner)s::text
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                  AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i'))
UNION ALL
SELECT format('ALTER ROUTINE %%s OWNER TO %%I', p.oid::regprocedure, %(owner)s::text)
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = ANY(%(schemas)s::text[]) AND pg_get_userbyid(p.proowner) <> %(owner)s::text
UNION ALL
SELECT format('ALTER TYPE %%I.%%I OWNER TO %%I', n.nspname, t.typname, %(owner)s::text)
FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE n.nspname = ANY(%(schemas)s::text[]) AND pg_get_userbyid(t.typowner) <> %(owner)s::text
  AND (t.typtype IN ('e', 'd', 'r')
       OR (t.typtype = 'c' AND (SELECT c.relkind FROM pg_class c WHERE c.oid = t.typrelid) = 'c'))
UNION ALL
SELECT format('ALTER SCHEMA %%I OWNER TO %%I', n.nspname, %(owner)s::text)
FROM pg_namespace n WHERE n.nspname = ANY(%(schemas)s::text[]) AND pg_get_userbyid(n.nspowner) <> %(owner)s::text
"""


def provision_roles(admin_url: str, app: LoginRole, others: Sequence[LoginRole]) -> None:
    """As a superuser of the database: create or update the application role and the other login roles,
    give the database and everything in it to the application role, and let no one else connect."""
    admin_user = make_url(admin_url).username
    for role in (app, *others):
        if role.name == admin_user:
            raise ConfigError(f"the role {role.name!r} is the superuser of RNN_GRADER_DATABASE_ADMIN_URL: "
                              "each service's role must be a role of its own")
    with psycopg.connect(libpq_url(admin_url), autocommit=True, connect_timeout=10) as conn:
        is_super = conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()
        if not is_super or not is_super[0]:
            raise ConfigError("RNN_GRADER_DATABASE_ADMIN_URL must name a superuser (it creates the roles)")
        database = conn.info.dbname
        with conn.transaction():
            for role in (app, *others):
                _ensure_role(conn, role)
            _run(conn, sql.SQL("ALTER DATABASE {} OWNER TO {}").format(sql.Identifier(database),
                                                                     sql.Identifier(app.name)))
            rows = conn.execute(_FOREIGN_OBJECTS, {"owner": app.name, "schemas": list(SCHEMAS)}).fetchall()
            for (statement,) in rows:
                conn.execute(str(statement).encode())


def _grant(conn: psycopg.Connection[Any], what: str, columns: tuple[str, ...], table: str,
           role: str) -> None:
    target = sql.SQL("{}.{}").format(sql.Identifier(PUBLIC_SCHEMA), sql.Identifier(table))
    if columns:
        cols = sql.SQL(", ").join(sql.Identifier(c) for c in columns)
        _run(conn, sql.SQL(what + " ({}) ON {} TO {}").format(cols, target, sql.Identifier(role)))


def _connect_only(conn: psycopg.Connection[Any], role: str) -> None:
    """Only roles granted CONNECT may connect; `role` may, and holds nothing else in the two schemas."""
    role_id = sql.Identifier(role)
    database = sql.Identifier(conn.info.dbname)
    _run(conn, sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(database))
    _run(conn, sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(database, role_id))
    _run(conn, sql.SQL("REVOKE CREATE ON SCHEMA {} FROM PUBLIC").format(sql.Identifier(PUBLIC_SCHEMA)))
    for schema in SCHEMAS:
        schema_id = sql.Identifier(schema)
        for kind in ("TABLES", "SEQUENCES", "FUNCTIONS"):
            _run(conn, sql.SQL("REVOKE ALL ON ALL " + kind + " IN SCHEMA {} FROM {}").format(schema_id, role_id))
        _run(conn, sql.SQL("REVOKE ALL ON SCHEMA {} FROM {}").format(schema_id, role_id))
        _run(conn, sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(schema_id, role_id))


def grant_backup(database_url: str, role: str) -> None:
    """As the owner: the backup role reads every table and sequence of SCHEMAS (what pg_dump dumps), nothing more."""
    with psycopg.connect(libpq_url(database_url), connect_timeout=10) as conn, conn.transaction():
        _connect_only(conn, role)
        for schema in SCHEMAS:
            for kind in ("TABLES", "SEQUENCES"):
                _run(conn, sql.SQL("GRANT SELECT ON ALL " + kind + " IN SCHEMA {} TO {}").format(
                    sql.Identifier(schema), sql.Identifier(role)))


def grant_grader(database_url: str, role: str) -> None:
    """As the owner (the application role, `database_url`), after the migrations: the grading role gets
    GRADER_ACCESS and nothing else, and only the roles granted CONNECT here may connect."""
    role_id = sql.Identifier(role)
    with psycopg.connect(libpq_url(database_url), connect_timeout=10) as conn, conn.transaction():
        _connect_only(conn, role)
        for table, access in GRADER_ACCESS.items():
            _grant(conn, "GRANT SELECT", access.read, table, role)
            _grant(conn, "GRANT UPDATE", access.write, table, role)
            if access.insert:
                columns = tuple(c for c in dict.fromkeys(access.read + access.withheld) if c != "id")
                _grant(conn, "GRANT INSERT", columns, table, role)
            if access.insert and "id" in access.read:  # its id comes from a sequence
                sequence = conn.execute("SELECT pg_get_serial_sequence(%s, 'id')",
                                        (f"{PUBLIC_SCHEMA}.{table}",)).fetchone()
                if sequence and sequence[0]:  # a quoted, qualified name from the catalogue
                    _run(conn, sql.SQL("GRANT USAGE ON SEQUENCE {} TO {}").format(sql.SQL(str(sequence[0])),
                                                                                 role_id))
        queue = sql.Identifier(QUEUE_SCHEMA)
        _run(conn, sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {} TO {}").format(
            queue, role_id))
        _run(conn, sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {} TO {}").format(queue, role_id))
        _run(conn, sql.SQL("GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA {} TO {}").format(queue, role_id))
