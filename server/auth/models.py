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
from pydantic import BaseModel, ConfigDict
from pydantic import Field as PydanticField
from sqlmodel import Field, SQLModel

from server.db import UTCDateTime, utcnow
from server.models import EMAIL_PATTERN, NAME_PATTERN, STUDENT_ID_PATTERN, StorableStr

BOOTSTRAP_STAFF_ID = "admin"


class Role(StrEnum):
    instructor = "instructor"
    ta = "ta"


class ActorRole(StrEnum):
    """Who did something, as the audit log records it: a staff Role, or a student acting on their own work."""

    instructor = "instructor"
    ta = "ta"
    student = "student"


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


# Staff ids look like student ids (letters, digits, `_.-`; the audit log's actor column holds either).
STAFF_ID_PATTERN = STUDENT_ID_PATTERN


class StaffCreate(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    staff_id: str = PydanticField(pattern=STAFF_ID_PATTERN, examples=["ta-li"])
    name: StorableStr = PydanticField(min_length=1, max_length=200, pattern=NAME_PATTERN, examples=["Li Ming"])
    role: Role = PydanticField(description="instructor: runs the course; ta: views, answers requests, grants "
                                           "extensions, exports (docs/security.md)")
    email: StorableStr | None = PydanticField(default=None, max_length=254, pattern=EMAIL_PATTERN)


class StaffPublic(BaseModel):
    staff_id: str
    name: str
    role: Role
    email: str | None = None
    created_at: dt.datetime | None = PydanticField(default=None, description="None for the bootstrap instructor")
    disabled_at: dt.datetime | None = PydanticField(default=None, description="Set once disabled (or retired)")
    bootstrap: bool = PydanticField(default=False, description="The instructor `admin` of RNN_GRADER_ADMIN_TOKEN")


class StaffCreated(BaseModel):
    staff_id: str
    name: str
    role: Role
    email: str | None = None
    token: str = PydanticField(description="Bearer token for this staff member. Shown once; stored hashed.")


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
