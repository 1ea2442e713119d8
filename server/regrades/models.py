"""Tables and API models of the grading history, regrade batches and regrade requests (migration 0005)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any, Literal

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict
from pydantic import Field as PydanticField
from sqlmodel import Field, SQLModel

from server.db import UTCDateTime, utcnow
from server.models import IdType, JSONType, Score, StorableStr
from server.tables import table_of

MAX_MESSAGE_CHARS = 2000


class Why(StrEnum):
    """Why a grading happened: the first grading of a submission, a regrade, or a teacher's override."""

    submit = "submit"
    regrade = "regrade"
    override = "override"


class RequestStatus(StrEnum):
    open = "open"
    resolved = "resolved"


class Grading(SQLModel, table=True):
    """One grading of a submission, never changed or deleted: written with the result it produced
    (server.grading.claims.write_result) or by a teacher's override (server.regrades.overrides)."""

    __tablename__ = "gradings"
    __table_args__ = (
        sa.UniqueConstraint("submission_id", "number", name="uq_gradings_submission_number"),
        sa.Index("ix_gradings_batch", "batch_id"),
    )

    id: int | None = Field(default=None, sa_column=sa.Column(IdType, primary_key=True, autoincrement=True))
    submission_id: int = Field(sa_column=sa.Column(sa.BigInteger, sa.ForeignKey("submissions.id"), nullable=False))
    number: int = Field(description="1 for the first grading of the submission, then 2, 3, ...")
    attempt: int = Field(description="The submission's claim attempt that produced it (0 for an override)")
    why: str = Field(max_length=16)
    status: str = Field(max_length=16)
    score: float | None = None
    max_score: float
    grader_version: str | None = Field(default=None, max_length=64)
    result: dict[str, Any] | None = Field(default=None, sa_column=sa.Column(JSONType, nullable=True))
    batch_id: int | None = Field(default=None, sa_type=sa.BigInteger)
    actor: str | None = Field(default=None, max_length=64)
    reason: str | None = Field(default=None, sa_type=sa.Text)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class RegradeBatch(SQLModel, table=True):
    """One POST /regrade (or one regrade request resolved with `regrade`)."""

    __tablename__ = "regrade_batches"

    id: int | None = Field(default=None, sa_column=sa.Column(IdType, primary_key=True, autoincrement=True))
    actor: str = Field(max_length=64)
    reason: str | None = Field(default=None, sa_type=sa.Text)
    selector: dict[str, Any] = Field(default_factory=dict, sa_column=sa.Column(JSONType, nullable=False))
    policy: str = Field(max_length=16, description="The score policy (best/latest) counted scores are read with")
    total: int = 0
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class RegradeItem(SQLModel, table=True):
    """Per batch and (student, exercise): the counted score before the batch and after its last grading."""

    __tablename__ = "regrade_items"

    batch_id: int = Field(sa_column=sa.Column(sa.BigInteger, sa.ForeignKey("regrade_batches.id"), primary_key=True))
    student_id: str = Field(primary_key=True, max_length=64)
    exercise: str = Field(primary_key=True, max_length=64)
    submissions: int = 0
    pending: int = 0
    before_id: int | None = Field(default=None, sa_type=sa.BigInteger)
    before_score: float | None = None
    after_id: int | None = Field(default=None, sa_type=sa.BigInteger)
    after_score: float | None = None
    # The counted submission's per-part scores then (migration 0009; NULL in rows written before it).
    before_parts: dict[str, float] | None = Field(default=None, sa_column=sa.Column(JSONType, nullable=True))
    after_parts: dict[str, float] | None = Field(default=None, sa_column=sa.Column(JSONType, nullable=True))


class RegradeRequestRecord(SQLModel, table=True):
    """A student's request to look at a submission's grade again, and the teacher's answer."""

    __tablename__ = "regrade_requests"
    __table_args__ = (
        sa.Index("ix_regrade_requests_status", "status", "id"),
        sa.Index("ix_regrade_requests_student", "student_id", "id"),
    )

    id: int | None = Field(default=None, sa_column=sa.Column(IdType, primary_key=True, autoincrement=True))
    submission_id: int = Field(sa_column=sa.Column(sa.BigInteger, sa.ForeignKey("submissions.id"), nullable=False))
    student_id: str = Field(max_length=64)
    exercise: str = Field(max_length=64)
    message: str = Field(sa_type=sa.Text)
    status: str = Field(default=RequestStatus.open.value, max_length=16)
    action: str | None = Field(default=None, max_length=16)
    comment: str | None = Field(default=None, sa_type=sa.Text)
    score: float | None = None
    batch_id: int | None = Field(default=None, sa_type=sa.BigInteger)
    resolved_by: str | None = Field(default=None, max_length=64)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    resolved_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


# ---------------------------------------------------------------- API models
class GradingPublic(BaseModel):
    id: int
    submission_id: int
    number: int
    attempt: int
    why: Why
    status: str
    score: float | None = PydanticField(description="The raw score this grading gave (null if it failed)")
    max_score: float
    grader_version: str | None
    created_at: dt.datetime
    batch_id: int | None
    actor: str | None = PydanticField(description="The teacher, for an override")
    reason: str | None = PydanticField(description="The teacher's reason, for an override")
    result: dict[str, Any] | None = PydanticField(
        default=None, description="The stored result (teacher only; students read feedback from the submission)")


class RegradeItemPublic(BaseModel):
    student_id: str
    name: str
    exercise: str
    submissions: int = PydanticField(description="Submissions of this pair in the batch")
    pending: int = PydanticField(description="Of those, not graded again yet")
    before: float | None = PydanticField(description="Counted score when the batch started")
    after: float | None = PydanticField(description="Counted score after the pair's last grading in the batch")
    change: Literal["up", "down", "same", "pending"]
    parts_before: dict[str, float] | None = PydanticField(
        default=None, description="The counted submission's score per part when the batch started")
    parts_after: dict[str, float] | None = PydanticField(
        default=None, description="The counted submission's score per part after the pair's last grading")


class RegradeTotals(BaseModel):
    up: int
    down: int
    same: int
    pending: int


CreditPer = Literal["test", "output"]


class RegradePartTotals(BaseModel):
    """One part of one exercise over the batch's finished pairs: how its counted part scores moved."""

    exercise: str
    part: str
    credit: CreditPer | None = PydanticField(
        default=None, description="How the part's tests give credit now (null: an exercise no longer offered)")
    up: int
    down: int
    same: int


class RegradeReport(BaseModel):
    id: int
    created_at: dt.datetime
    actor: str
    reason: str | None
    selector: dict[str, Any]
    policy: str
    total: int = PydanticField(description="Submissions queued again by the batch")
    done: int = PydanticField(description="Of those, graded again (or given up on) so far")
    finished: bool
    totals: RegradeTotals = PydanticField(description="Counted scores (per student and exercise) by change")
    moved: int = PydanticField(default=0, description="Counted scores that moved so far (totals.up + totals.down)")
    students: list[RegradeItemPublic]
    parts: list[RegradePartTotals] = PydanticField(
        default=[], description="Per exercise and part, how the finished pairs' counted part scores moved, and "
        "how the part gives credit now (a part that changed to credit per output moves up)")


class RegradeBatchSummary(BaseModel):
    id: int
    created_at: dt.datetime
    actor: str
    reason: str | None
    selector: dict[str, Any]
    total: int
    done: int
    finished: bool


class RegradeRequestCreate(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    message: StorableStr = PydanticField(min_length=1, max_length=MAX_MESSAGE_CHARS,
                                         description="What the student thinks is wrong with the grade")


class RegradeRequestResolve(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    action: Literal["regrade", "override", "reject"]
    score: Score | None = PydanticField(default=None, description="The raw score to give (override only), 0..max_score")
    comment: StorableStr = PydanticField(default="", max_length=MAX_MESSAGE_CHARS,
                                         description="The teacher's answer / reason (required for override)")


class RegradeRequestPublic(BaseModel):
    id: int
    submission_id: int
    student_id: str
    exercise: str
    message: str
    status: RequestStatus
    action: str | None
    comment: str | None
    score: float | None = PydanticField(description="The overriding score, for action=override")
    batch_id: int | None = PydanticField(description="The regrade batch, for action=regrade")
    resolved_by: str | None
    created_at: dt.datetime
    resolved_at: dt.datetime | None


class OverrideCreate(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    score: Score = PydanticField(description="The raw score to give, 0..max_score")
    reason: StorableStr = PydanticField(min_length=1, max_length=MAX_MESSAGE_CHARS)


# The Core tables, for the queries that bypass the ORM (as server.tables does for the older tables).
gradings_t = table_of(Grading)
regrade_batches_t = table_of(RegradeBatch)
regrade_items_t = table_of(RegradeItem)
regrade_requests_t = table_of(RegradeRequestRecord)
