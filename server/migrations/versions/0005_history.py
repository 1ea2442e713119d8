"""history: gradings, regrade batches and their report rows, regrade requests, the audit log

`submissions.regrading` marks a submission whose regrade is pending: its last result keeps counting until
the new grading is written. Every grading is kept in `gradings`; this migration backfills one grading
(why = submit) per submission that already has a result, and marks rows an old-style regrade had put back
in the queue with their previous score as `regrading`, so they count again. See docs/regrades.md.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TZ = sa.DateTime(timezone=True)
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _backfill(bind: sa.Connection) -> None:
    subs = sa.table("submissions", sa.column("id"), sa.column("status"), sa.column("score"),
                    sa.column("max_score"), sa.column("grader_version"), sa.column("result", JSON),
                    sa.column("attempts"), sa.column("graded_at", TZ), sa.column("created_at", TZ),
                    sa.column("regrading", sa.Boolean))
    gradings = sa.table("gradings", sa.column("submission_id"), sa.column("number"), sa.column("attempt"),
                        sa.column("why"), sa.column("status"), sa.column("score"), sa.column("max_score"),
                        sa.column("grader_version"), sa.column("result", JSON), sa.column("created_at", TZ))
    in_queue = subs.c.status.in_(("queued", "running"))
    # An old-style regrade left these queued with their last score: that score counts until regraded.
    bind.execute(sa.update(subs).where(in_queue, subs.c.score.is_not(None)).values(regrading=True))
    has_result = sa.or_(subs.c.status.in_(("graded", "failed")), sa.and_(in_queue, subs.c.score.is_not(None)))
    status = sa.case((subs.c.status == "failed", "failed"), else_="graded")
    bind.execute(
        sa.insert(gradings).from_select(
            ["submission_id", "number", "attempt", "why", "status", "score", "max_score", "grader_version",
             "result", "created_at"],
            sa.select(subs.c.id, sa.literal(1), subs.c.attempts, sa.literal("submit"), status, subs.c.score,
                      subs.c.max_score, subs.c.grader_version, subs.c.result,
                      sa.func.coalesce(subs.c.graded_at, subs.c.created_at)).where(has_result),
        )
    )


def upgrade() -> None:
    with op.batch_alter_table("submissions") as batch:
        batch.add_column(sa.Column("regrading", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("regrade_batch_id", sa.BigInteger(), nullable=True))
    op.create_index("ix_submissions_uncounted", "submissions", ["status", "regrading"])
    op.create_table(
        "gradings",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("submission_id", sa.BigInteger(), sa.ForeignKey("submissions.id"), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("why", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("max_score", sa.Float(), nullable=False),
        sa.Column("grader_version", sa.String(64), nullable=True),
        sa.Column("result", JSON, nullable=True),
        sa.Column("batch_id", sa.BigInteger(), nullable=True),
        sa.Column("actor", sa.String(64), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.UniqueConstraint("submission_id", "number", name="uq_gradings_submission_number"),
    )
    op.create_index("ix_gradings_batch", "gradings", ["batch_id"])
    op.create_table(
        "regrade_batches",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("selector", JSON, nullable=False),
        sa.Column("policy", sa.String(16), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_table(
        "regrade_items",
        sa.Column("batch_id", sa.BigInteger(), sa.ForeignKey("regrade_batches.id"), primary_key=True),
        sa.Column("student_id", sa.String(64), primary_key=True),
        sa.Column("exercise", sa.String(64), primary_key=True),
        sa.Column("submissions", sa.Integer(), nullable=False),
        sa.Column("pending", sa.Integer(), nullable=False),
        sa.Column("before_id", sa.BigInteger(), nullable=True),
        sa.Column("before_score", sa.Float(), nullable=True),
        sa.Column("after_id", sa.BigInteger(), nullable=True),
        sa.Column("after_score", sa.Float(), nullable=True),
    )
    op.create_table(
        "regrade_requests",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("submission_id", sa.BigInteger(), sa.ForeignKey("submissions.id"), nullable=False),
        sa.Column("student_id", sa.String(64), nullable=False),
        sa.Column("exercise", sa.String(64), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("action", sa.String(16), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("batch_id", sa.BigInteger(), nullable=True),
        sa.Column("resolved_by", sa.String(64), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("resolved_at", TZ, nullable=True),
    )
    op.create_index("ix_regrade_requests_status", "regrade_requests", ["status", "id"])
    op.create_index("ix_regrade_requests_student", "regrade_requests", ["student_id", "id"])
    op.create_table(
        "audit_log",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("at", TZ, nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("detail", JSON, nullable=False),
    )
    op.create_index("ix_audit_log_action", "audit_log", ["action", "id"])
    op.create_index("ix_audit_log_target", "audit_log", ["target", "id"])
    _backfill(op.get_bind())


def downgrade() -> None:
    op.drop_table("audit_log")
    op.drop_table("regrade_requests")
    op.drop_table("regrade_items")
    op.drop_table("regrade_batches")
    op.drop_table("gradings")
    op.drop_index("ix_submissions_uncounted", table_name="submissions")
    with op.batch_alter_table("submissions") as batch:
        batch.drop_column("regrade_batch_id")
        batch.drop_column("regrading")
