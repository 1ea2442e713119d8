"""The audit log: every change a person makes to grades, policies, the roster, staff and tokens (regrades,
overrides, regrade-request answers, extensions, students and their tokens, staff accounts and theirs), with
who (the authenticated principal: its id and role), when, what and why. Append-only.

Call `record(conn, by=principal, action=..., target=..., reason=..., detail={...})` inside the transaction
that makes the change, so the log and the change commit (or roll back) together. Tokens never enter it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel
from pydantic import Field as PydanticField
from sqlmodel import Field, Session, SQLModel

from server.auth.models import ActorRole
from server.auth.principal import Principal
from server.db import UTCDateTime, utcnow
from server.models import IdType, JSONType
from server.tables import table_of

MAX_REASON_CHARS = 2000


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_log"
    __table_args__ = (
        sa.Index("ix_audit_log_action", "action", "id"),
        sa.Index("ix_audit_log_target", "target", "id"),
    )

    id: int | None = Field(default=None, sa_column=sa.Column(IdType, primary_key=True, autoincrement=True))
    at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    actor: str = Field(max_length=64)
    role: str = Field(max_length=16)
    action: str = Field(max_length=64)
    target: str = Field(max_length=200)
    reason: str | None = Field(default=None, sa_type=sa.Text)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=sa.Column(JSONType, nullable=False))


class AuditEntryPublic(BaseModel):
    id: int
    at: dt.datetime = PydanticField(description="When (UTC)")
    actor: str = PydanticField(description="Who: the authenticated staff_id (or student_id); `admin` is the "
                                           "bootstrap instructor (RNN_GRADER_ADMIN_TOKEN)")
    role: ActorRole = PydanticField(description="Their role when they did it")
    action: str = PydanticField(description="What, e.g. regrade, override, regrade_request.resolve")
    target: str = PydanticField(description="On what, e.g. submission:12, batch:3, regrade_request:5")
    reason: str | None = PydanticField(description="Why, as the teacher gave it")
    detail: dict[str, Any]


audit_t = table_of(AuditEntry)


def record(conn: sa.Connection | Session, *, by: Principal, action: str, target: str, reason: str | None = None,
           detail: Mapping[str, Any] | None = None) -> None:
    """Append one entry for what `by` did, in the caller's transaction (the caller commits)."""
    record_many(conn, by=by, action=action, reason=reason, entries=[(target, detail or {})])


def record_many(conn: sa.Connection | Session, *, by: Principal, action: str,
                entries: Sequence[tuple[str, Mapping[str, Any]]], reason: str | None = None) -> None:
    """One entry per (target, detail), all with the same actor, action and reason: an import's rows, in one
    statement, in the caller's transaction."""
    if not entries:
        return
    at = utcnow()
    conn.execute(sa.insert(audit_t), [
        {"at": at, "actor": by.actor[:64], "role": by.role_name.value, "action": action[:64], "target": target[:200],
         "reason": reason[:MAX_REASON_CHARS] if reason else None, "detail": dict(detail)}
        for target, detail in entries
    ])
