"""The audit log: everything a teacher changes (regrades, overrides, regrade-request answers, and the
deadline/policy changes of other modules), with who, when, what and why. Append-only.

Call `record(conn, actor=..., action=..., target=..., reason=..., detail={...})` inside the transaction
that makes the change, so the log and the change commit (or roll back) together.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel
from pydantic import Field as PydanticField
from sqlmodel import Field, Session, SQLModel

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
    action: str = Field(max_length=64)
    target: str = Field(max_length=200)
    reason: str | None = Field(default=None, sa_type=sa.Text)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=sa.Column(JSONType, nullable=False))


class AuditEntryPublic(BaseModel):
    id: int
    at: dt.datetime = PydanticField(description="When (UTC)")
    actor: str = PydanticField(description="Who: the teacher (or the name sent in X-Actor)")
    action: str = PydanticField(description="What, e.g. regrade, override, regrade_request.resolve")
    target: str = PydanticField(description="On what, e.g. submission:12, batch:3, regrade_request:5")
    reason: str | None = PydanticField(description="Why, as the teacher gave it")
    detail: dict[str, Any]


audit_t = table_of(AuditEntry)


def record(conn: sa.Connection | Session, *, actor: str, action: str, target: str, reason: str | None = None,
           detail: Mapping[str, Any] | None = None) -> None:
    """Append one entry, in the caller's transaction (the caller commits)."""
    conn.execute(
        sa.insert(audit_t).values(
            at=utcnow(), actor=actor[:64], action=action[:64], target=target[:200],
            reason=reason[:MAX_REASON_CHARS] if reason else None, detail=dict(detail or {}),
        )
    )
