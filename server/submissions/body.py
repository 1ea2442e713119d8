"""Reading `POST /api/v1/submissions` bodies by hand: JSON `{"exercise", "source"}` or a multipart upload,
with the size limit enforced while reading (413 before parsing a huge body) and every malformed body a 422."""

from __future__ import annotations

import math
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from server.deps import ContextDep
from server.errors import InvalidInput, PayloadTooLarge, UnsupportedMediaType
from server.models import SubmissionCreate

# JSON may escape each byte of the source into up to 6 characters; the rest is the envelope.
JSON_OVERHEAD_FACTOR = 6
ENVELOPE_BYTES = 16 * 1024
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
