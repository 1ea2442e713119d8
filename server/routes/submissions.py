"""Submissions: a student submits (JSON or a file upload); owners and the teacher read results."""

from __future__ import annotations

import datetime as dt
import math
import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from server.deps import (
    CatalogDep,
    ContextDep,
    CurrentStudent,
    LangDep,
    PrincipalDep,
    SessionDep,
    SubmissionOfCurrentUser,
)
from server.errors import (
    ExerciseNotFound,
    Forbidden,
    InvalidInput,
    PayloadTooLarge,
    RateLimited,
    StudentOnly,
    SubmissionNotFound,
    UnsupportedMediaType,
    error_responses,
)
from server.models import (
    EXERCISE_ID_PATTERN,
    STUDENT_ID_PATTERN,
    Submission,
    SubmissionCreate,
    SubmissionPublic,
    SubmissionStatus,
    SubmissionTeacher,
)
from server.rendering import render_submission
from server.security import submission_seed

router = APIRouter(prefix="/submissions", tags=["submissions"])

MAX_WAIT_S = 60.0
WAIT_POLL_S = 0.25
IDEMPOTENCY_KEY_PATTERN = r"^[\x21-\x7e]{1,128}$"
# JSON may escape each byte of the source into up to 6 characters; the rest is the envelope.
JSON_OVERHEAD_FACTOR = 6
ENVELOPE_BYTES = 16 * 1024
SubmissionView = SubmissionTeacher | SubmissionPublic

_JSON_SCHEMA: dict[str, Any] = SubmissionCreate.model_json_schema()
REQUEST_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": _JSON_SCHEMA},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file", "exercise"],
                    "properties": {
                        "file": {"type": "string", "format": "binary", "description": "The student file (UTF-8)"},
                        "exercise": _JSON_SCHEMA["properties"]["exercise"],
                    },
                }
            },
        },
    }
}


async def _read_capped(request: Request, cap: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > cap:
        raise PayloadTooLarge(f"the request body may be at most {cap // 1024} KiB")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > cap:
            raise PayloadTooLarge(f"the request body may be at most {cap // 1024} KiB")
        chunks.append(chunk)
    return b"".join(chunks)


def _check_source(source: str, limit: int) -> None:
    size = len(source.encode("utf-8"))
    if size > limit:
        raise PayloadTooLarge(f"the source is {math.ceil(size / 1024)} KiB; at most {limit // 1024} KiB")


async def read_submission_body(request: Request, ctx: ContextDep) -> SubmissionCreate:
    """JSON `{"exercise", "source"}` or multipart (`file`, `exercise`). Size is checked before parsing."""
    limit = ctx.settings.max_source_bytes
    content_type = request.headers.get("content-type", "").lower()
    if content_type.startswith("multipart/form-data"):
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit + ENVELOPE_BYTES:
            raise PayloadTooLarge(f"the source may be at most {limit // 1024} KiB")
        try:
            form = await request.form(max_files=1, max_fields=8, max_part_size=ENVELOPE_BYTES)
        except StarletteHTTPException as exc:
            raise InvalidInput(f"malformed multipart body: {exc.detail}") from None
        try:
            upload, exercise = form.get("file"), form.get("exercise")
            if not isinstance(upload, UploadFile):
                raise RequestValidationError([{"loc": ("body", "file"), "msg": "Field required", "type": "missing"}])
            data = await upload.read(limit + 1)
        finally:
            await form.close()
        if len(data) > limit:
            raise PayloadTooLarge(f"the source may be at most {limit // 1024} KiB")
        try:
            source = data.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidInput("the file is not UTF-8 text") from None
        raw: dict[str, Any] = {"exercise": exercise if isinstance(exercise, str) else None, "source": source}
        try:
            return SubmissionCreate.model_validate(raw)
        except ValidationError as exc:
            raise RequestValidationError(_body_errors(exc)) from None
    if content_type.split(";")[0].strip() in ("application/json", ""):
        body = await _read_capped(request, limit * JSON_OVERHEAD_FACTOR + ENVELOPE_BYTES)
        try:
            parsed = SubmissionCreate.model_validate_json(body)
        except ValidationError as exc:
            raise RequestValidationError(_body_errors(exc)) from None
        _check_source(parsed.source, limit)
        return parsed
    raise UnsupportedMediaType()


def _body_errors(exc: ValidationError) -> list[dict[str, Any]]:
    return [{"loc": ("body", *e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()]


SubmissionBody = Annotated[SubmissionCreate, Depends(read_submission_body)]


def _rate_limit(session: Session, student_id: str, per_minute: int, now: dt.datetime) -> None:
    if per_minute <= 0:
        return
    window_start = now - dt.timedelta(minutes=1)
    recent = session.exec(
        select(Submission.created_at)
        .where(Submission.student_id == student_id, Submission.created_at > window_start)
        .order_by(col(Submission.created_at).desc())
        .limit(per_minute)
    ).all()
    if len(recent) >= per_minute:
        oldest_counted = min(recent)
        retry_after = max(1, math.ceil((oldest_counted + dt.timedelta(minutes=1) - now).total_seconds()))
        raise RateLimited(retry_after)


def _by_idempotency_key(session: Session, student_id: str, key: str) -> Submission | None:
    return session.exec(
        select(Submission).where(Submission.student_id == student_id, Submission.idempotency_key == key)
    ).first()


def _wait_until_final(ctx: ContextDep, session: Session, submission: Submission, wait_s: float) -> Submission:
    deadline = time.monotonic() + wait_s
    assert submission.id is not None
    submission_id = submission.id
    while True:
        session.rollback()  # end any snapshot: see what the workers wrote
        current = session.get(Submission, submission_id)
        if current is None:  # pragma: no cover - rows are never deleted
            raise SubmissionNotFound()
        remaining = deadline - time.monotonic()
        if current.status in (SubmissionStatus.graded, SubmissionStatus.failed) or remaining <= 0:
            return current
        ctx.notifier.wait(min(remaining, WAIT_POLL_S))


def _respond(response: Response, submission: Submission, ctx: ContextDep, lang: str, teacher: bool) -> SubmissionView:
    final = submission.status in (SubmissionStatus.graded, SubmissionStatus.failed)
    response.status_code = 200 if final else 202
    response.headers["Location"] = f"/api/v1/submissions/{submission.id}"
    return render_submission(submission, ctx.catalog, lang, teacher)


WaitQuery = Annotated[
    float, Query(ge=0, le=MAX_WAIT_S, description="Seconds to wait for the result (0-60); 200 if graded by then")
]


@router.post(
    "",
    status_code=202,
    response_model=SubmissionView,
    summary="Submit a solution; 202 while queued/running, 200 when graded within ?wait=",
    openapi_extra=REQUEST_BODY,
    responses={
        200: {"model": SubmissionPublic, "description": "Graded (or failed) within the wait"},
        **error_responses(StudentOnly, ExerciseNotFound, PayloadTooLarge, UnsupportedMediaType, InvalidInput,
                          RateLimited),
    },
)
def create_submission(
    response: Response,
    student: CurrentStudent,
    ctx: ContextDep,
    session: SessionDep,
    lang: LangDep,
    body: SubmissionBody,
    wait: WaitQuery = 0,
    idempotency_key: Annotated[
        str | None,
        Header(alias="Idempotency-Key", pattern=IDEMPOTENCY_KEY_PATTERN,
               description="A retry with the same key returns the same submission"),
    ] = None,
) -> SubmissionView:
    exercise = ctx.catalog.get(body.exercise)
    existing = _by_idempotency_key(session, student.student_id, idempotency_key) if idempotency_key else None
    if existing is None:
        now = dt.datetime.now(dt.UTC)
        _rate_limit(session, student.student_id, ctx.settings.rate_limit_per_minute, now)
        submission = Submission(
            student_id=student.student_id,
            exercise=exercise.id,
            source=body.source,
            status=SubmissionStatus.queued.value,
            max_score=exercise.spec.max_score,
            late=ctx.catalog.is_late(exercise.id, now),
            idempotency_key=idempotency_key,
            created_at=now,
        )
        session.add(submission)
        try:
            session.flush()
            assert submission.id is not None and ctx.settings.secret is not None
            submission.seed = submission_seed(ctx.settings.secret.get_secret_value(), submission.id)
            session.commit()
        except IntegrityError:  # the same Idempotency-Key raced in: return the winner
            session.rollback()
            assert idempotency_key is not None
            existing = _by_idempotency_key(session, student.student_id, idempotency_key)
            if existing is None:
                raise
        else:
            assert submission.id is not None
            ctx.queue.enqueue(submission.id, priority=0)
            existing = submission
    if wait > 0:
        existing = _wait_until_final(ctx, session, existing, wait)
    return _respond(response, existing, ctx, lang, teacher=False)


@router.get(
    "/{submission_id}",
    response_model=SubmissionView,
    summary="One submission (its owner or the teacher); `?wait=` long-polls for the result",
    responses=error_responses(SubmissionNotFound),
)
def get_submission(
    response: Response,
    submission: SubmissionOfCurrentUser,
    principal: PrincipalDep,
    ctx: ContextDep,
    session: SessionDep,
    lang: LangDep,
    wait: WaitQuery = 0,
) -> SubmissionView:
    if wait > 0:
        submission = _wait_until_final(ctx, session, submission, wait)
    view = _respond(response, submission, ctx, lang, principal.is_teacher)
    response.status_code = 200
    return view


@router.get(
    "",
    response_model=list[SubmissionView],
    summary="Submissions, newest first: a student's own; the teacher's all (with filters)",
    responses=error_responses(Forbidden),
)
def list_submissions(
    response: Response,
    principal: PrincipalDep,
    session: SessionDep,
    catalog: CatalogDep,
    lang: LangDep,
    student_id: Annotated[str | None, Query(pattern=STUDENT_ID_PATTERN)] = None,
    exercise: Annotated[str | None, Query(pattern=EXERCISE_ID_PATTERN)] = None,
    status: SubmissionStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> list[SubmissionView]:
    if principal.student is not None:
        if student_id is not None and student_id != principal.student.student_id:
            raise Forbidden("students may only list their own submissions")
        student_id = principal.student.student_id
    conditions = []
    if student_id is not None:
        conditions.append(Submission.student_id == student_id)
    if exercise is not None:
        conditions.append(Submission.exercise == exercise)
    if status is not None:
        conditions.append(Submission.status == status.value)
    total = session.exec(select(func.count()).select_from(Submission).where(*conditions)).one()
    rows = session.exec(
        select(Submission).where(*conditions).order_by(col(Submission.id).desc()).offset(offset).limit(limit)
    ).all()
    response.headers["X-Total-Count"] = str(total)
    return [render_submission(s, catalog, lang, principal.is_teacher) for s in rows]

