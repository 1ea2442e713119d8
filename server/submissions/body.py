"""Reading `POST /api/v1/submissions` bodies by hand: JSON `{"exercise", "source"}` or a multipart upload,
with the size limit enforced while reading (413 before parsing a huge body) and every malformed body a 422."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from server.deps import ContextDep, CurrentStudent
from server.errors import InvalidInput, PayloadTooLarge, UnsupportedMediaType
from server.models import SubmissionCreate, SubmissionReceived
from server.refusals import refusal
from server.submissions.notebook import check_source_size, is_notebook, notebook_source, python_source
from server.submissions.service import precheck

# JSON may escape each byte of the source into up to 6 characters; the rest is the envelope.
JSON_OVERHEAD_FACTOR = 6
ENVELOPE_BYTES = 16 * 1024
_FILE_DESCRIPTION = ("The student file: a .py file (UTF-8) or a Jupyter notebook (a name ending in .ipynb, "
                     "at most MAX_NOTEBOOK_KIB; its definitions are graded)")
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
                        "file": {"type": "string", "format": "binary", "description": _FILE_DESCRIPTION},
                        "exercise": _JSON_SCHEMA["properties"]["exercise"],
                    },
                }
            },
        },
    }
}


async def _read_capped(request: Request, cap: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isascii() and declared.isdigit() and int(declared) > cap:
        raise PayloadTooLarge(refusal("body_too_large", kib=cap // 1024))
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > cap:
            raise PayloadTooLarge(refusal("body_too_large", kib=cap // 1024))
        chunks.append(chunk)
    return b"".join(chunks)


async def read_submission_body(request: Request, ctx: ContextDep, student: CurrentStudent) -> SubmissionReceived:
    """JSON `{"exercise", "source"}` or multipart (`file`, `exercise`; a file name ending in .ipynb is read as
    a notebook). Size is checked before parsing; an upload's exercise, the student's cap and rate limit before
    its file is parsed."""
    limit = ctx.settings.max_source_bytes
    content_type = request.headers.get("content-type", "").lower()
    if content_type.startswith("multipart/form-data"):
        upload_cap = max(limit, ctx.settings.max_notebook_bytes)
        declared = request.headers.get("content-length")
        if (declared is not None and declared.isascii() and declared.isdigit()
                and int(declared) > upload_cap + ENVELOPE_BYTES):
            raise PayloadTooLarge(refusal("file_too_large", kib=limit // 1024,
                                          notebook_kib=ctx.settings.max_notebook_kib))
        try:
            form = await request.form(max_files=1, max_fields=8, max_part_size=ENVELOPE_BYTES)
        except StarletteHTTPException as exc:
            raise InvalidInput(refusal("malformed_multipart", reason=exc.detail)) from None
        try:
            upload, exercise = form.get("file"), form.get("exercise")
            if not isinstance(upload, UploadFile):
                raise RequestValidationError([{"loc": ("body", "file"), "msg": "Field required", "type": "missing"}])
            await run_in_threadpool(precheck, ctx.engine, ctx.settings, ctx.catalog, student.student_id,
                                    exercise if isinstance(exercise, str) else None,
                                    request.headers.get("idempotency-key"), ctx.clock())
            notebook = is_notebook(upload.filename)
            data = await upload.read((ctx.settings.max_notebook_bytes if notebook else limit) + 1)
        finally:
            await form.close()
        report: dict[str, Any] | None = None
        if notebook:
            # Validating and parsing a notebook of up to MAX_NOTEBOOK_KIB is CPU work (~0.5 s for 2 MiB of
            # cells and outputs): keep it off the event loop.
            extracted = await run_in_threadpool(notebook_source, data, ctx.settings)
            source, report = extracted.source, extracted.report()
        else:
            source = python_source(data, ctx.settings)
        raw: dict[str, Any] = {"exercise": exercise if isinstance(exercise, str) else None, "source": source,
                               "notebook": report}
        try:
            return SubmissionReceived.model_validate(raw)
        except ValidationError as exc:
            raise RequestValidationError(_body_errors(exc)) from None
    if content_type.split(";")[0].strip() in ("application/json", ""):
        body = await _read_capped(request, limit * JSON_OVERHEAD_FACTOR + ENVELOPE_BYTES)
        try:
            parsed = SubmissionCreate.model_validate_json(body)
        except ValidationError as exc:
            raise RequestValidationError(_body_errors(exc)) from None
        check_source_size(parsed.source, limit)
        return SubmissionReceived(exercise=parsed.exercise, source=parsed.source)
    raise UnsupportedMediaType()


def _body_errors(exc: ValidationError) -> list[dict[str, Any]]:
    return [{"loc": ("body", *e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()]


SubmissionBody = Annotated[SubmissionReceived, Depends(read_submission_body)]
