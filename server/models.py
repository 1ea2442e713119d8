"""One model family per entity: the table, what a client sends, what a client gets back.

A response model never carries hidden inputs, reference outputs, tokens, sources or another student's
data; the captured output of a run exists only on the teacher's view of a submission.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from pydantic import AfterValidator, AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Strict, StringConstraints
from pydantic import Field as PydanticField
from pydantic.config import JsonDict
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from grader.result import Outcome
from server.db import UTCDateTime, utcnow

STUDENT_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
EXERCISE_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
NAME_PATTERN = r"^[^\x00-\x1f\x7f]+$"
# Loose on purpose (LMS exports carry odd but real addresses): one @, no spaces or control characters.
EMAIL_PATTERN = r"^[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+$"
SIS_ID_PATTERN = r"^[^\x00-\x1f\x7f]{1,100}$"


def _storable(value: str) -> str:
    """Text both databases can store: valid Unicode (no lone surrogates) without NUL characters."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("text must be valid Unicode (no lone surrogates)") from None
    if "\x00" in value:
        raise ValueError("text must not contain NUL characters")
    return value


StorableStr = Annotated[str, AfterValidator(_storable)]
# A score a teacher gives: a JSON number (never a boolean or a numeric string), finite. Its range, 0 to the
# exercise's max_score, is checked where the exercise is known (422 InvalidInput); the schema says minimum 0.
Score = Annotated[float, Strict(), PydanticField(allow_inf_nan=False, json_schema_extra={"minimum": 0})]
# Constraints before the storability check, so that the published schema carries them (an optional field's
# pattern given to Field() is enforced but left out of the schema).
EmailText = Annotated[str, StringConstraints(max_length=254, pattern=EMAIL_PATTERN), AfterValidator(_storable)]
SisIdText = Annotated[str, StringConstraints(max_length=100, pattern=SIS_ID_PATTERN), AfterValidator(_storable)]
JSONType = sa.JSON().with_variant(JSONB(), "postgresql")
# BIGINT ids on PostgreSQL; SQLite only auto-increments a column declared exactly INTEGER PRIMARY KEY.
IdType = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class SubmissionStatus(StrEnum):
    queued = "queued"
    running = "running"
    graded = "graded"
    failed = "failed"


FINAL_STATUSES = (SubmissionStatus.graded, SubmissionStatus.failed)


class DiagnosticsStatus(StrEnum):
    """Where a result's optional diagnostics are (server.grading.diagnostics)."""

    available = "available"  # not computed: every test passed; computed when someone asks
    wanted = "wanted"  # a grading loop will compute them (a test failed, or someone asked)
    running = "running"
    done = "done"
    failed = "failed"  # the run failed (an infrastructure error); asking again tries again


# ---------------------------------------------------------------- students
class Student(SQLModel, table=True):
    __tablename__ = "students"
    __table_args__ = (sa.UniqueConstraint("token_hash", name="uq_students_token_hash"),)

    student_id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    token_hash: str = Field(max_length=64)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    # For LMS grade files (scoreboard.csv?format=canvas|moodle); both optional.
    email: str | None = Field(default=None, max_length=254)
    sis_id: str | None = Field(default=None, max_length=100)


class StudentCreate(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    student_id: str = PydanticField(pattern=STUDENT_ID_PATTERN, examples=["s2025001"])
    name: StorableStr = PydanticField(min_length=1, max_length=200, pattern=NAME_PATTERN, examples=["Li Hua"])
    email: EmailText | None = PydanticField(default=None, examples=["lihua@example.edu"])
    sis_id: SisIdText | None = PydanticField(default=None, description="Student id in the LMS / SIS")


class StudentPublic(BaseModel):
    student_id: str
    name: str
    email: str | None = None
    sis_id: str | None = None


class StudentCreated(StudentPublic):
    token: str = PydanticField(description="Bearer token for this student. Shown once; stored hashed.")


# ---------------------------------------------------------------- submissions
class Submission(SQLModel, table=True):
    __tablename__ = "submissions"
    __table_args__ = (
        sa.UniqueConstraint("student_id", "idempotency_key", name="uq_submissions_student_idempotency"),
        sa.Index("ix_submissions_claim", "status", "priority", "id"),
        sa.Index("ix_submissions_student_exercise", "student_id", "exercise", "status"),
        sa.Index("ix_submissions_student_created", "student_id", "created_at"),
        # Covering indexes for the scoreboard's two GROUP BYs (count and last time per pair; per hour).
        sa.Index("ix_submissions_pair_created", "student_id", "exercise", "created_at"),
        sa.Index("ix_submissions_exercise_created", "exercise", "created_at"),
        # The scoreboard's check for counted submissions that lost their result (not graded, no regrade pending).
        sa.Index("ix_submissions_uncounted", "status", "regrading"),
        # Idle grading loops find the rows whose optional diagnostics are wanted (server.grading.diagnostics).
        sa.Index("ix_submissions_diagnostics", "diagnostics_status", "id"),
    )

    id: int | None = Field(
        default=None, sa_column=sa.Column(IdType, primary_key=True, autoincrement=True)
    )
    student_id: str = Field(foreign_key="students.student_id", max_length=64)
    exercise: str = Field(max_length=64)
    source: str = Field(sa_type=sa.Text)
    status: str = Field(default=SubmissionStatus.queued.value, max_length=16)
    priority: int = Field(default=0)
    score: float | None = None
    max_score: float
    late: bool = False
    # Fraction of the score lost for lateness, decided at submission time from the student's own deadline
    # then (server.policies.deadlines); the counted score is score * (1 - late_penalty).
    late_penalty: float = 0.0
    result: dict[str, Any] | None = Field(default=None, sa_column=sa.Column(JSONType, nullable=True))
    # A few bytes of `result` for the scoreboard (per-part scores, failed tests, misconceptions), written
    # with it (server.scoreboard.cache.result_summary), so aggregates never parse whole results.
    summary: dict[str, Any] | None = Field(default=None, sa_column=sa.Column(JSONType, nullable=True))
    seed: int | None = Field(default=None, sa_type=sa.BigInteger)
    grader_version: str | None = Field(default=None, max_length=64)
    grading_ms: float | None = None
    attempts: int = 0
    lease_until: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    lease_owner: str | None = Field(default=None, max_length=64)
    last_error: str | None = Field(default=None, sa_type=sa.Text)
    idempotency_key: str | None = Field(default=None, max_length=128)
    # sha256 of the exercise and source the key was first used with (server.submissions.service.body_digest).
    idempotency_hash: str | None = Field(default=None, max_length=64)
    # For a notebook upload: which code cells were not run and why (grader.notebook.NotebookSource.report());
    # `source` then holds the extracted definitions. None for a .py file or a JSON body.
    notebook: dict[str, Any] | None = Field(default=None, sa_column=sa.Column(JSONType, nullable=True))
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    started_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    graded_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    # A regrade is pending: the row is queued/running again, but `score`, `result` and `summary` are still the
    # last grading's and keep counting until the new grading is written (server.regrades.batches).
    regrading: bool = Field(default=False, sa_column=sa.Column(sa.Boolean, nullable=False, server_default=sa.false()))
    regrade_batch_id: int | None = Field(default=None, sa_type=sa.BigInteger)
    # The optional diagnostics (charts on public inputs) of the current result, computed after it is written:
    # None (the exercise has none, or no result yet), available (on request), wanted, running, done, failed.
    diagnostics_status: str | None = Field(default=None, max_length=16)
    # When they were asked for, or when a grading loop took them (a stale `running` is taken again).
    diagnostics_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class StudentExerciseScore(SQLModel, table=True):
    """Per (student, exercise): the graded submissions that count (best and latest, with a copy of their
    counted score (after any late penalty), late flag and summary), kept by server.scoreboard.cache.refresh_pairs
    in the transaction that writes a result; see docs/scoreboard.md."""

    __tablename__ = "student_exercise_scores"

    student_id: str = Field(foreign_key="students.student_id", primary_key=True, max_length=64)
    exercise: str = Field(primary_key=True, max_length=64)
    best_id: int | None = Field(default=None, sa_type=sa.BigInteger)
    best_score: float | None = None
    best_late: bool = False
    best_summary: dict[str, Any] | None = Field(default=None, sa_column=sa.Column(JSONType, nullable=True))
    latest_id: int | None = Field(default=None, sa_type=sa.BigInteger)
    latest_score: float | None = None
    latest_late: bool = False
    latest_summary: dict[str, Any] | None = Field(default=None, sa_column=sa.Column(JSONType, nullable=True))
    # [[part, name], ...] of the misconceptions seen in any graded submission of the pair.
    misconceptions: list[list[str]] = Field(default_factory=list, sa_column=sa.Column(JSONType, nullable=False))
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class ClientInfo(BaseModel):
    """Where the student client wheel is (`GET /api/v1/client`)."""

    filename: str = PydanticField(examples=["rnn_grader_client-0.1.0-py3-none-any.whl"])
    url: str = PydanticField(description="Path on this server that serves the wheel.")
    sha256: str
    version: str = PydanticField(description="Same as the server's version.")
    install: str = PydanticField(description="The one command a student pastes (pip, this server's address).")


class SubmissionCreate(BaseModel):
    exercise: str = PydanticField(pattern=EXERCISE_ID_PATTERN, examples=["rnn"])
    source: StorableStr = PydanticField(description="The whole student file, UTF-8, at most MAX_SOURCE_KIB KiB.")


class SubmissionReceived(SubmissionCreate):
    """A parsed request body. For a notebook upload `source` holds its extracted definitions and `notebook`
    the report of skipped cells (never settable by a client: JSON bodies are parsed as SubmissionCreate)."""

    notebook: dict[str, Any] | None = None


class OutputCreditPublic(BaseModel):
    name: str
    weight: float
    correct: bool


class TestPublic(BaseModel):
    __test__ = False  # not a pytest class

    name: str
    description: str
    score: float
    max_score: float
    outcome: Outcome
    feedback: str
    misconceptions: list[str] = []
    credit: list[OutputCreditPublic] = PydanticField(
        default=[], description="In a part with credit per output: each compared output, its weight and whether "
        "it was right (the test's score is its points times the right outputs' share of the weight)."
    )


class MistakePublic(BaseModel):
    """A named mistake said once for its part: what it is, how to fix it, which of the part's tests it explains."""

    name: str
    message: str
    hint: str = PydanticField(description="The hint of the level reached (the last of `hints`).")
    tests: list[str]
    hint_level: int = PydanticField(
        default=1, ge=1, le=3,
        description="1 what is wrong, 2 where (the formula or the loop step), 3 a worked example on a 1x1 case; "
        "decided when the result was written, from the consecutive submissions that named this mistake.",
    )
    hints: list[str] = PydanticField(default_factory=list, description="The hints of levels 1..hint_level, in order.")
    consecutive: int = PydanticField(
        default=1, ge=1, description="Graded submissions in a row (this one included) that named this mistake here."
    )


class PartPublic(BaseModel):
    name: str
    title: str
    score: float
    max_score: float
    feedback: str
    tests: list[TestPublic]
    mistakes: list[MistakePublic] = []
    credit: Literal["test", "output"] = PydanticField(
        default="test", description="How its tests give credit: all or nothing per test, or per compared output."
    )


class SkippedCellPublic(BaseModel):
    cell: int = PydanticField(description="Position of the code cell in the notebook, from 1.")
    whole: bool = PydanticField(description="True: nothing of the cell was run; false: only some statements.")
    reasons: list[dict[str, Any]] = PydanticField(description='Machine-readable: {"reason": "magic" | "syntax" '
                                                  '| "import" | "code" | "assignment", ...}.')
    message: str = PydanticField(description="Why, in the requested language.")


class NotebookPublic(BaseModel):
    """For a notebook upload: the source graded is its definitions; these code cells were not run."""

    code_cells: int
    skipped: list[SkippedCellPublic]


class SubmissionPublic(BaseModel):
    id: int
    student_id: str
    exercise: str
    status: SubmissionStatus
    score: float | None = PydanticField(description="The raw score; null until graded.")
    max_score: float
    late: bool
    regrade_pending: bool = PydanticField(
        default=False, description="A regrade is queued/running; score and parts are the last grading's until then.")
    late_penalty: float = PydanticField(
        default=0.0, description="Fraction of the score lost for lateness (0 on time); decided at submission."
    )
    counted_score: float | None = PydanticField(
        default=None, description="score * (1 - late_penalty): what the scoreboard counts; null until graded."
    )
    created_at: dt.datetime
    graded_at: dt.datetime | None
    attempts: int
    grader_version: str | None
    grading_ms: float | None
    feedback: str = PydanticField(description="Submission-level messages in the requested language.")
    parts: list[PartPublic]
    diagnostics: dict[str, Any] = PydanticField(
        default_factory=dict, description="Charts and diagnostics computed on public cases only."
    )
    diagnostics_status: DiagnosticsStatus | None = PydanticField(
        default=None,
        description="The optional diagnostics of this result: computed after the result is written, at once when "
        "a test failed, otherwise on request (POST .../diagnostics). null: the exercise has none or no result yet.",
    )
    notebook: NotebookPublic | None = PydanticField(
        default=None, description="Notebook uploads only: which cells were not run, and why."
    )


class SubmissionTeacher(SubmissionPublic):
    output: str = PydanticField(description="Captured stdout/stderr of the student's code (teacher only).")
    sandbox_layers: dict[str, bool]
    last_error: str | None


def _no(field: str) -> JsonDict:
    return {field: {"type": "null"}} if field != "all" else {"all": {"const": False}}


# The one-of the server enforces (POST /regrade answers 422 otherwise), in the published schema: a selector
# present (all: true), the other two absent or null (all: false).
_ONE_SELECTOR: JsonDict = {"oneOf": [
    {"required": ["submission_id"], "properties": {"submission_id": {"type": "integer"}, **_no("exercise"),
                                                   **_no("all")}},
    {"required": ["exercise"], "properties": {"exercise": {"type": "string"}, **_no("submission_id"),
                                              **_no("all")}},
    {"required": ["all"], "properties": {"all": {"const": True}, **_no("submission_id"), **_no("exercise")}},
]}


class RegradeRequest(BaseModel):
    """Exactly one selector: one submission, every submission of an exercise, or all of them."""

    # Strict: `all: 0` or `submission_id: "5"` is refused, not read as false or 5.
    model_config = ConfigDict(strict=True, json_schema_extra=_ONE_SELECTOR)

    submission_id: int | None = PydanticField(default=None, ge=1, le=2**63 - 1)
    exercise: str | None = PydanticField(default=None, pattern=EXERCISE_ID_PATTERN)
    all: bool = False
    reason: StorableStr | None = PydanticField(default=None, max_length=2000,
                                               description="Why (kept in the batch and the audit log)")


class RegradeResult(BaseModel):
    queued: int = PydanticField(description="Submissions put back in the queue (graded or failed ones only)")
    batch_id: int = PydanticField(description="The regrade batch: GET /api/v1/regrades/{batch_id} for its report")


# ---------------------------------------------------------------- exercises
class LimitsPublic(BaseModel):
    cpu_time_limit_s: float
    wall_time_limit_s: float
    memory_limit_mib: int
    output_limit_kib: int


class ExercisePartPublic(BaseModel):
    name: str
    title: str
    function: str
    points: float
    credit: Literal["test", "output"] = PydanticField(
        default="test", description="How its tests give credit: all or nothing per test, or per compared output."
    )
    credit_weights: dict[str, float] = PydanticField(
        default={}, description="With credit per output: weights the spec sets (an output not listed weighs 1)."
    )


class LatePolicyPublic(BaseModel):
    grace_minutes: float
    penalty_per_day: float
    max_penalty: float
    cutoff_days: float | None


class ExercisePublic(BaseModel):
    id: str
    title: str
    description: str
    parts: list[ExercisePartPublic]
    max_score: float
    deadline: dt.datetime | None = PydanticField(
        description="The caller's own deadline: a student's extension when they have one, else the exercise's."
    )
    exercise_deadline: dt.datetime | None = PydanticField(
        default=None, description="The exercise's deadline for everyone (RNN_GRADER_DEADLINES or spec.toml)."
    )
    extended: bool = PydanticField(default=False, description="Whether `deadline` is the caller's extension.")
    late_policy: LatePolicyPublic | None = None
    max_submissions: int | None = PydanticField(default=None, description="Submissions per student; null = no cap.")
    template_filename: str
    examples_filename: str
    limits: LimitsPublic


# ---------------------------------------------------------------- extensions
class Extension(SQLModel, table=True):
    """One student's own deadline for one exercise; it replaces the exercise's deadline for them."""

    __tablename__ = "extensions"
    __table_args__ = (sa.Index("ix_extensions_exercise", "exercise"),)

    student_id: str = Field(foreign_key="students.student_id", primary_key=True, max_length=64)
    exercise: str = Field(primary_key=True, max_length=64)
    deadline: dt.datetime = Field(sa_type=UTCDateTime, nullable=False)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


def _plausible_deadline(value: dt.datetime) -> dt.datetime:
    """Years 1971-9998 only: far-off dates would overflow the late policy's arithmetic (deadline + days)."""
    if not 1971 <= value.year <= 9998:
        raise ValueError("the deadline's year must be between 1971 and 9998")
    return value


# A date and time as the API takes it: ISO 8601 text with a UTC offset (RFC 3339; seconds may be left out).
# No number (pydantic would read one as a Unix time), no time without an offset (whose time zone would it be?).
_ISO_WITH_OFFSET = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?([Zz]|[+-]\d{2}:\d{2})$")
TIME_FORMAT_HINT = "ISO 8601 with a UTC offset, e.g. 2026-12-27T23:59:00+08:00"


def _with_offset(value: object) -> object:
    if isinstance(value, dt.datetime) or (isinstance(value, str) and _ISO_WITH_OFFSET.match(value)):
        return value
    raise ValueError(f"give a date and time in {TIME_FORMAT_HINT}")


def _in_utc(value: dt.datetime) -> dt.datetime:
    try:
        return value.astimezone(dt.UTC)
    except OverflowError:  # 0001-01-01T00:00+05:00 is before year 1 in UTC
        raise ValueError("the time is out of range") from None


OffsetTime = Annotated[AwareDatetime, BeforeValidator(_with_offset)]
# A point in time to compare with stored ones (a query's bounds), in UTC.
UtcTime = Annotated[OffsetTime, AfterValidator(_in_utc)]

# _plausible_deadline's years, for the published schema.
DEADLINE_YEAR_PATTERN = r"^(197[1-9]|19[89][0-9]|[2-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])-"


class ExtensionSet(BaseModel):
    deadline: Annotated[OffsetTime, AfterValidator(_plausible_deadline)] = PydanticField(
        description=f"{TIME_FORMAT_HINT}; years 1971-9998",
        examples=["2026-12-27T23:59:00+08:00"], json_schema_extra={"pattern": DEADLINE_YEAR_PATTERN},
    )


class ExtensionPublic(BaseModel):
    student_id: str
    exercise: str
    deadline: dt.datetime
    exercise_deadline: dt.datetime | None = PydanticField(description="The deadline everyone else has.")
    updated_at: dt.datetime


class ExtensionImportResult(BaseModel):
    imported: int
    extensions: list[ExtensionPublic]


# ---------------------------------------------------------------- scoreboard, health, errors
class ScoreboardRow(BaseModel):
    student_id: str
    name: str
    scores: dict[str, float | None] = PydanticField(description="Counted score per exercise; null = none yet.")
    total: float
    late: bool = PydanticField(description="Whether any counted submission was late.")
    late_exercises: list[str]


class GradescopeTest(BaseModel):
    __test__ = False  # not a pytest class

    name: str
    number: str
    score: float
    max_score: float
    status: Literal["passed", "failed"]
    output: str = PydanticField(description="The test's feedback in the requested language.")
    visibility: Literal["visible"] = "visible"
    tags: list[str] = PydanticField(description="The part the test belongs to.")
    extra_data: dict[str, Any]


class GradescopeResults(BaseModel):
    """Gradescope's autograder `results.json` shape (top-level score, tests[], output)."""

    score: float
    execution_time: float = PydanticField(description="Seconds the grader took.")
    output: str = PydanticField(description="Submission-level feedback in the requested language.")
    visibility: Literal["visible"] = "visible"
    stdout_visibility: Literal["hidden"] = "hidden"
    tests: list[GradescopeTest]
    extra_data: dict[str, Any]


class Health(BaseModel):
    status: str = "ok"


class Readiness(BaseModel):
    status: str
    database: bool
    graders: bool
    workers: int


class ErrorBody(BaseModel):
    error: str = PydanticField(examples=["SubmissionNotFound"])
    detail: str = PydanticField(description="What went wrong, in English.")
    message: str | None = PydanticField(default=None, description="The same in the request's language (?lang= or "
                                        "Accept-Language) when that is not English (zh), for showing to a person.")


class ValidationIssue(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class ValidationErrorBody(ErrorBody):
    errors: list[ValidationIssue] = PydanticField(default_factory=list, description="Per-field problems")
