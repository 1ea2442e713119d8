"""One error base class and one handler: `{"error": "SubmissionNotFound", "detail": "..."}`.

Each route lists the errors it can raise with `responses=error_responses(...)`, so the OpenAPI schema
says exactly which status codes exist. Expected conditions are never a 500; an unexpected exception is
logged and becomes a 500 with no internals in the body.
"""

from __future__ import annotations

import datetime as dt
import errno
import logging
from collections.abc import Mapping
from typing import Any, ClassVar

import psycopg
import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from starlette.exceptions import HTTPException as StarletteHTTPException

from server.models import ErrorBody, ValidationErrorBody

log = logging.getLogger("rnn_grader.errors")


class AppError(Exception):
    status_code: ClassVar[int] = 400
    default_detail: ClassVar[str] = "bad request"

    def __init__(self, detail: str | None = None, headers: Mapping[str, str] | None = None) -> None:
        self.detail = detail or self.default_detail
        self.headers = dict(headers or {})
        # Machine-readable facts added to the body beside error and detail (e.g. a cap and a count).
        self.extra: dict[str, Any] = {}
        super().__init__(self.detail)

    @property
    def error(self) -> str:
        return type(self).__name__


class Unauthorized(AppError):
    status_code = 401
    default_detail = "missing or invalid bearer token"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail, {"WWW-Authenticate": "Bearer"})


class TeacherOnly(AppError):
    """A student (or a page without a staff session) asked for a staff route."""

    status_code = 403
    default_detail = "this route needs a teacher token (an instructor's or a TA's)"


class InstructorOnly(AppError):
    """A TA asked for what only an instructor may do (server.auth.permissions)."""

    status_code = 403
    default_detail = "this needs an instructor; a TA may not do it"


class StudentOnly(AppError):
    status_code = 403
    default_detail = "this route needs a student token"


class Forbidden(AppError):
    status_code = 403
    default_detail = "not allowed"


class SubmissionsClosed(AppError):
    """After the student's deadline plus the exercise's cutoff_days (docs/policies.md)."""

    status_code = 403
    default_detail = "submissions for this exercise are closed (past the late cutoff)"

    def __init__(self, exercise: str, deadline: dt.datetime, cutoff: dt.datetime) -> None:
        super().__init__(
            f"submissions for {exercise!r} closed at {cutoff.isoformat()} (your deadline "
            f"{deadline.isoformat()} plus the late cutoff); nothing was stored"
        )
        self.extra = {"deadline": deadline.isoformat(), "cutoff": cutoff.isoformat()}


class SubmissionCapReached(AppError):
    """The exercise's max_submissions is used up (failed gradings do not count)."""

    status_code = 403
    default_detail = "no submissions left for this exercise"

    def __init__(self, exercise: str, count: int, cap: int) -> None:
        super().__init__(
            f"you have used {count} of {cap} submissions for {exercise!r} (submissions that failed "
            "for an internal error do not count); nothing was stored"
        )
        self.extra = {"count": count, "max_submissions": cap}


class SubmissionNotFound(AppError):
    status_code = 404
    default_detail = "no such submission"


class ExerciseNotFound(AppError):
    status_code = 404
    default_detail = "no such exercise"


class StudentNotFound(AppError):
    status_code = 404
    default_detail = "no such student"


class ExtensionNotFound(AppError):
    status_code = 404
    default_detail = "no such extension"


class FileNotAvailable(AppError):
    status_code = 404
    default_detail = "this exercise has no such file"


class ClientNotAvailable(AppError):
    status_code = 404
    default_detail = "the student client is not available from this server"


class StudentExists(AppError):
    status_code = 409
    default_detail = "a student with this id already exists"


class RegradeBatchNotFound(AppError):
    status_code = 404
    default_detail = "no such regrade batch"


class RegradeRequestNotFound(AppError):
    status_code = 404
    default_detail = "no such regrade request"


class GradingInProgress(AppError):
    status_code = 409
    default_detail = "the submission is being graded; try again when it is done"


class NoDiagnostics(AppError):
    status_code = 409
    default_detail = ("this submission has no charts to compute: its exercise has none, or it has no result yet "
                      "(ask again once it is graded)")


class RequestAlreadyResolved(AppError):
    status_code = 409
    default_detail = "this regrade request is resolved already"


class RegradeRequestOpen(AppError):
    """One open regrade request per submission: the teacher has not answered the last one yet."""

    status_code = 409
    default_detail = "this submission has an open regrade request already; wait for the teacher's answer"

    def __init__(self, request_id: int) -> None:
        super().__init__(f"regrade request {request_id} for this submission is still open; the teacher will answer "
                         "it (ask again after that)")
        self.extra = {"request_id": request_id}


class PayloadTooLarge(AppError):
    status_code = 413
    default_detail = "request body too large"


class RequestTimeout(AppError):
    """The request body arrived too slowly (server.ingress.guard)."""

    status_code = 408
    default_detail = "the request body arrived too slowly"


class IdempotencyKeyReused(AppError):
    """An Idempotency-Key names one request: the same key with another body is a client bug, not a retry."""

    status_code = 422
    default_detail = ("this Idempotency-Key was used with another body (exercise and source); a retry must send "
                      "the same body, a new submission a new key")


class UnsupportedMediaType(AppError):
    status_code = 415
    default_detail = "send application/json or multipart/form-data"


class InvalidInput(AppError):
    status_code = 422
    default_detail = "invalid input"


class RateLimited(AppError):
    status_code = 429
    default_detail = "too many submissions; retry later"

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(
            f"at most this many submissions per minute; retry in {retry_after_s} s",
            {"Retry-After": str(retry_after_s)},
        )


class TooManyAuthFailures(AppError):
    """The client's address sent too many unknown credentials (server.auth.attempts): it waits, and its
    credential is not even looked at meanwhile."""

    status_code = 429
    default_detail = "too many failed sign-ins from your address; retry later"

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(
            f"too many unknown tokens from your address; retry in {retry_after_s} s",
            {"Retry-After": str(retry_after_s)},
        )


class RegradeRequestsCapped(AppError):
    """RNN_GRADER_REGRADE_REQUESTS_PER_DAY: a student's regrade requests in any 24 hours."""

    status_code = 429
    default_detail = "you have sent as many regrade requests as a day allows; retry later"

    def __init__(self, cap: int, retry_after_s: int) -> None:
        super().__init__(f"at most {cap} regrade requests in 24 hours; the next one is possible in "
                         f"{retry_after_s} s", {"Retry-After": str(retry_after_s)})
        self.extra = {"regrade_requests_per_day": cap}


class NotReady(AppError):
    status_code = 503
    default_detail = "not ready"


class Overloaded(AppError):
    """More requests wait for a request thread than RNN_GRADER_MAX_QUEUED_REQUESTS (server.ingress.shedding)."""

    status_code = 503
    default_detail = "the server is busy; retry in a second (nothing was stored)"
    retry_after_s: ClassVar[int] = 1

    def __init__(self) -> None:
        super().__init__(None, {"Retry-After": str(self.retry_after_s)})


class DatabaseUnavailable(AppError):
    """The database cannot be reached (restarting, failing over, pool exhausted): retry shortly."""

    status_code = 503
    default_detail = "the database is unavailable; retry in a few seconds"
    retry_after_s: ClassVar[int] = 5

    def __init__(self) -> None:
        super().__init__(None, {"Retry-After": str(self.retry_after_s)})


class StorageFull(DatabaseUnavailable):
    """The server's disk is full: nothing of the request was stored (its transaction rolled back)."""

    status_code = 507
    default_detail = "the server's storage is full, so nothing was stored; try again later (the teacher is told)"
    retry_after_s = 60


def is_storage_full(exc: BaseException) -> bool:
    """SQLite's SQLITE_FULL, PostgreSQL's disk_full (53100), or ENOSPC from the operating system."""
    original = getattr(exc, "orig", exc)
    if isinstance(original, OSError) and original.errno == errno.ENOSPC:
        return True
    if getattr(original, "sqlstate", None) == "53100":
        return True
    return "database or disk is full" in str(original) or "No space left on device" in str(original)


# Connection-level failures. A request that hits one while PostgreSQL restarts gets a 503 with
# Retry-After; the next request gets a fresh connection (pool_pre_ping).
DATABASE_DOWN_ERRORS: tuple[type[Exception], ...] = (
    sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.TimeoutError, psycopg.OperationalError,
)


def describe_errors(errors: list[type[AppError]]) -> str:
    return "; ".join(f"`{e.__name__}`: {e.default_detail}" for e in errors)


def status_headers(status: int) -> dict[str, Any]:
    """The headers an error answer of this status carries, for the OpenAPI schema."""
    if status in (429, 503):
        return {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds"}}
    if status == 401:
        return {"WWW-Authenticate": {"schema": {"type": "string"}}}
    return {}


def error_responses(*errors: type[AppError], auth: bool = True) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` for these errors, plus 401 (when the route needs a token) and 422. What the ingress
    guard and a database outage can add to every route is added to the schema by server.openapi."""
    by_status: dict[int, list[type[AppError]]] = {}
    listed: list[type[AppError]] = [Unauthorized, TooManyAuthFailures, *errors] if auth else list(errors)
    listed.append(Overloaded)  # any route, when requests queue (server.ingress.shedding)
    for err in listed:
        by_status.setdefault(err.status_code, []).append(err)
    out: dict[int | str, dict[str, Any]] = {}
    for status, errs in sorted(by_status.items()):
        entry: dict[str, Any] = {"model": ErrorBody, "description": describe_errors(errs)}
        if status_headers(status):
            entry["headers"] = status_headers(status)
        out[status] = entry
    described = out.get(422, {}).get("description")
    out[422] = {
        "model": ValidationErrorBody,
        "description": "; ".join(filter(None, ("`ValidationError`: malformed request", described))),
    }
    return out


def _body(error: str, detail: str) -> dict[str, str]:
    return {"error": error, "detail": detail}


def _issues(errors: Any) -> list[dict[str, Any]]:
    # Only loc/msg/type: never echo the input back (it may be a whole source file).
    return [
        {"loc": [p if isinstance(p, int) else str(p) for p in e.get("loc", ())],
         "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
        for e in errors
    ]


STATUS_ERRORS = {
    401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 405: "MethodNotAllowed",
    406: "NotAcceptable", 413: "PayloadTooLarge", 415: "UnsupportedMediaType", 422: "ValidationError",
}


def error_response(exc: AppError) -> JSONResponse:
    """The one JSON shape of an error, for the handlers below and for the ingress guard."""
    return JSONResponse({**exc.extra, **_body(exc.error, exc.detail)}, exc.status_code, headers=exc.headers)


def allowed_methods(request: Request) -> str:
    """Every method a route serves at this path. Each method of a path is its own route, and the router's 405
    names only the methods of the first route whose path matched."""
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.routes):
        regex = getattr(route, "path_regex", None)
        if route.methods and regex is not None and regex.match(request.scope["path"]):
            methods |= route.methods
    return ", ".join(sorted(methods))


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(_request: Request, exc: AppError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        issues = _issues(exc.errors())
        detail = "; ".join(
            f"{'.'.join(str(p) for p in i['loc'])}: {i['msg']}" for i in issues
        ) or "invalid request"
        return JSONResponse({**_body("ValidationError", detail), "errors": issues}, 422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:  # the framework could not parse the body (bad JSON, bad multipart)
            return JSONResponse({**_body("ValidationError", str(exc.detail)), "errors": []}, 422)
        name = STATUS_ERRORS.get(exc.status_code, f"HTTP{exc.status_code}")
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = allowed_methods(_request)
        return JSONResponse(_body(name, str(exc.detail)), exc.status_code, headers=headers)

    async def _database_down(request: Request, exc: Exception) -> JSONResponse:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        err: AppError
        if is_storage_full(exc):
            log.error("storage full on %s %s (nothing stored): %s", request.method, request.url.path, reason)
            err = StorageFull()
        else:
            log.warning("database unavailable on %s %s: %s", request.method, request.url.path, reason)
            err = DatabaseUnavailable()
        return JSONResponse(_body(err.error, err.detail), err.status_code, headers=err.headers)

    for error_class in DATABASE_DOWN_ERRORS:
        app.add_exception_handler(error_class, _database_down)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return JSONResponse(_body("InternalError", "internal server error"), 500)
