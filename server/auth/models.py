"""The tables of people who are not students, and of browser sessions.

Staff tokens are stored as sha256 (server.security.hash_token), like students'. A browser session is a
random id kept by the browser in an HttpOnly cookie and by the server as a hash in `web_sessions`: signing
out deletes the row, so a copied cookie stops working at once, and nothing signs sessions (no secret that a
host running student code could hold).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from server.db import UTCDateTime, utcnow

BOOTSTRAP_STAFF_ID = "admin"


class Role(StrEnum):
    instructor = "instructor"
    ta = "ta"


class Staff(SQLModel, table=True):
    __tablename__ = "staff"
    __table_args__ = (sa.UniqueConstraint("token_hash", name="uq_staff_token_hash"),)

    staff_id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    email: str | None = Field(default=None, max_length=254)
    role: str = Field(max_length=16)
    token_hash: str = Field(max_length=64)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    disabled_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class SessionKind(StrEnum):
    staff = "staff"
    student = "student"


class WebSession(SQLModel, table=True):
    """One signed-in browser. `key` is a fingerprint of the credential it was opened with (the token hash):
    a rotated token or a disabled account ends every session opened with the old one."""

    __tablename__ = "web_sessions"
    __table_args__ = (
        sa.Index("ix_web_sessions_subject", "kind", "subject"),
        sa.Index("ix_web_sessions_expires", "expires_at"),
    )

    id_hash: str = Field(primary_key=True, max_length=64)
    kind: str = Field(max_length=16)
    subject: str = Field(max_length=64)
    key: str = Field(max_length=64)
    csrf: str = Field(max_length=64)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    expires_at: dt.datetime = Field(sa_type=UTCDateTime, nullable=False)
