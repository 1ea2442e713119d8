"""One error base class and one handler: `{"error": "SubmissionNotFound", "detail": "..."}` (+ `message`).

Each route lists the errors it can raise with `responses=error_responses(...)`, so the OpenAPI schema
says exactly which status codes exist. Expected conditions are never a 500; an unexpected exception is
logged and becomes a 500 with no internals in the body.

Languages: `detail` is always English (scripts and logs read it); `message` is the same refusal in the
request's language (`?lang=`, else Accept-Language) when that is not English, which the pages, the CLI and
the Jupyter helpers show (an English request gets exactly `{"error", "detail"}`, as before).
An error a student may meet carries both (a Text: its class's `default_detail`/`default_zh`, or one from
server.refusals); only the staff's tools raise English-only details.
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
from starlette.requests import ClientDisconnect

from grader.result import Text
from grader.times import show_time
from server.access_log import printable_path
from server.models import ErrorBody, ValidationErrorBody
from server.refusals import refusal

log = logging.getLogger("rnn_grader.errors")


class AppError(Exception):
    status_code: ClassVar[int] = 400
    default_detail: ClassVar[str] = "bad request"
    # Every class that sets default_detail sets this too (tests/api/test_refusal_languages.py).
    default_zh: ClassVar[str] = "请求有误"

    def __init__(self, detail: str | Text | None = None, headers: Mapping[str, str] | None = None) -> None:
        # Both languages (a Text, or the class's defaults), or an English-only detail (staff tools only).
        self.text: Text | None = detail if isinstance(detail, Text) else (
            None if detail else Text(en=self.default_detail, zh=self.default_zh))
        self.detail = self.text.en if self.text is not None else str(detail)
        self.headers = dict(headers or {})
        # Machine-readable facts added to the body beside error and detail (e.g. a cap and a count).
        self.extra: dict[str, Any] = {}
        super().__init__(self.detail)

    @property
    def error(self) -> str:
        return type(self).__name__

    def message(self, lang: str) -> str:
        """The refusal in `lang` (English where only an English detail exists)."""
        return self.text.get(lang) if self.text is not None else self.detail


class Unauthorized(AppError):
    status_code = 401
    default_detail = "missing or invalid bearer token"
    default_zh = "缺少令牌或令牌无效"

    def __init__(self, detail: str | Text | None = None) -> None:
        super().__init__(detail, {"WWW-Authenticate": "Bearer"})


class TeacherOnly(AppError):
    """A student (or a page without a staff session) asked for a staff route."""

    status_code = 403
    default_detail = "this route needs a teacher token (an instructor's or a TA's)"
    default_zh = "此操作需要教师令牌（教师或助教）"


class InstructorOnly(AppError):
    """A TA asked for what only an instructor may do (server.auth.permissions)."""

    status_code = 403
    default_detail = "this needs an instructor; a TA may not do it"
    default_zh = "此操作需要教师；助教不能执行"


class StudentOnly(AppError):
    status_code = 403
    default_detail = "this route needs a student token"
    default_zh = "此操作需要学生令牌"


class Forbidden(AppError):
    status_code = 403
    default_detail = "not allowed"
    default_zh = "不允许此操作"


class SubmissionsClosed(AppError):
    """After the student's deadline plus the exercise's cutoff_days (docs/policies.md)."""

    status_code = 403
    default_detail = "submissions for this exercise are closed (past the late cutoff)"
    default_zh = "本练习已停止接收提交（已过迟交截止时间）"

    def __init__(self, exercise: str, deadline: dt.datetime, cutoff: dt.datetime, zone: dt.tzinfo = dt.UTC,
                 now: dt.datetime | None = None) -> None:
        def shown(when: dt.datetime) -> Text:  # the one way a time is shown: absolute, then relative to now
            return Text(en=show_time(when, "en", zone, now), zh=show_time(when, "zh", zone, now))

        super().__init__(refusal("closed", exercise=exercise, cutoff=shown(cutoff), deadline=shown(deadline)))
        self.extra = {"deadline": deadline.isoformat(), "cutoff": cutoff.isoformat()}


class SubmissionCapReached(AppError):
    """The exercise's max_submissions is used up (failed gradings do not count)."""

    status_code = 403
    default_detail = "no submissions left for this exercise"
    default_zh = "本练习的提交次数已用完"

    def __init__(self, exercise: str, count: int, cap: int) -> None:
        super().__init__(refusal("cap_reached", exercise=exercise, count=count, cap=cap))
        self.extra = {"count": count, "max_submissions": cap}


class SubmissionNotFound(AppError):
    status_code = 404
    default_detail = "no such submission"
    default_zh = "没有这个提交"


class ExerciseNotFound(AppError):
    status_code = 404
    default_detail = "no such exercise"
    default_zh = "没有这个练习"


class StudentNotFound(AppError):
    status_code = 404
    default_detail = "no such student"
    default_zh = "没有这个学生"


class ExtensionNotFound(AppError):
    status_code = 404
    default_detail = "no such extension"
    default_zh = "没有这项延期"


class FileNotAvailable(AppError):
    status_code = 404
    default_detail = "this exercise has no such file"
    default_zh = "本练习没有这个文件"


class ClientNotAvailable(AppError):
    status_code = 404
    default_detail = "the student client is not available from this server"
    default_zh = "此服务器不提供学生客户端"


class StudentExists(AppError):
    status_code = 409
    default_detail = "a student with this id already exists"
    default_zh = "已有相同学号的学生"


class RegradeBatchNotFound(AppError):
    status_code = 404
    default_detail = "no such regrade batch"
    default_zh = "没有这批重新评测"


class RegradeRequestNotFound(AppError):
    status_code = 404
    default_detail = "no such regrade request"
    default_zh = "没有这个重新评测申请"


class GradingInProgress(AppError):
    status_code = 409
    default_detail = "the submission is being graded; try again when it is done"
    default_zh = "此提交正在评测中；评测完成后再试"


class NoDiagnostics(AppError):
    status_code = 409
    default_detail = ("this submission has no charts to compute: its exercise has none, or it has no result yet "
                      "(ask again once it is graded)")
    default_zh = "此提交没有可计算的图表：其练习没有图表，或尚未评测完成（评测完成后再请求）"


class RequestAlreadyResolved(AppError):
    status_code = 409
    default_detail = "this regrade request is resolved already"
    default_zh = "此重新评测申请已处理"


class RegradeRequestOpen(AppError):
    """One open regrade request per submission: the teacher has not answered the last one yet."""

    status_code = 409
    default_detail = "this submission has an open regrade request already; wait for the teacher's answer"

    default_zh = "这次提交已有一个未处理的复核请求；请等待老师的答复"
    def __init__(self, request_id: int) -> None:
        super().__init__(f"regrade request {request_id} for this submission is still open; the teacher will answer "
                         "it (ask again after that)")
        self.extra = {"request_id": request_id}


class PayloadTooLarge(AppError):
    status_code = 413
    default_detail = "request body too large"
    default_zh = "请求内容过大"


class RequestTimeout(AppError):
    """The request body arrived too slowly (server.ingress.guard)."""

    status_code = 408
    default_detail = "the request body arrived too slowly"
    default_zh = "请求内容发送得太慢"


class IdempotencyKeyReused(AppError):
    """An Idempotency-Key names one request: the same key with another body is a client bug, not a retry."""

    status_code = 422
    default_detail = ("this Idempotency-Key was used with another body (exercise and source); a retry must send "
                      "the same body, a new submission a new key")
    default_zh = "这个 Idempotency-Key 已用于另一份内容（练习与源代码）；重试必须发送相同内容，新的提交请用新的键"


class UnsupportedMediaType(AppError):
    status_code = 415
    default_detail = "send application/json or multipart/form-data"
    default_zh = "请发送 application/json 或 multipart/form-data"


class InvalidInput(AppError):
    status_code = 422
    default_detail = "invalid input"
    default_zh = "输入无效"


class NothingToGrade(InvalidInput):
    """A file with no code, or a notebook none of whose cells holds a definition (grader.gradable): refused,
    with what was wrong, instead of graded 0 and counted."""

    default_detail = "there is nothing to grade in this submission"
    default_zh = "此提交中没有可评测的内容"


class RateLimited(AppError):
    status_code = 429
    default_detail = "too many submissions; retry later"
    default_zh = "提交过于频繁；请稍后再试"

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(refusal("rate_limited", seconds=retry_after_s), {"Retry-After": str(retry_after_s)})


class TooManyAuthFailures(AppError):
    """The client's address sent too many unknown credentials (server.auth.attempts): it waits, and its
    credential is not even looked at meanwhile."""

    status_code = 429
    default_detail = "too many failed sign-ins from your address; retry later"

    default_zh = "来自你的地址的失败登录次数过多；请稍后再试"
    def __init__(self, retry_after_s: int) -> None:
        super().__init__(
            f"too many unknown tokens from your address; retry in {retry_after_s} s",
            {"Retry-After": str(retry_after_s)},
        )


class RegradeRequestsCapped(AppError):
    """RNN_GRADER_REGRADE_REQUESTS_PER_DAY: a student's regrade requests in any 24 hours."""

    status_code = 429
    default_detail = "you have sent as many regrade requests as a day allows; retry later"

    default_zh = "你今天的复核请求已达上限；请稍后再试"
    def __init__(self, cap: int, retry_after_s: int) -> None:
        super().__init__(f"at most {cap} regrade requests in 24 hours; the next one is possible in "
                         f"{retry_after_s} s", {"Retry-After": str(retry_after_s)})
        self.extra = {"regrade_requests_per_day": cap}


class NotReady(AppError):
    status_code = 503
    default_detail = "not ready"
    default_zh = "服务尚未就绪"


class Overloaded(AppError):
    """More requests wait for a request thread than RNN_GRADER_MAX_QUEUED_REQUESTS (server.ingress.shedding)."""

    status_code = 503
    default_detail = "the server is busy; retry in a second (nothing was stored)"
    default_zh = "服务器正忙；请一秒后重试（没有保存任何内容）"
    retry_after_s: ClassVar[int] = 1

    def __init__(self) -> None:
        super().__init__(None, {"Retry-After": str(self.retry_after_s)})


class DatabaseUnavailable(AppError):
    """The database cannot be reached (restarting, failing over, pool exhausted): retry shortly."""

    status_code = 503
    default_detail = "the database is unavailable; retry in a few seconds"
    default_zh = "数据库暂时不可用；请几秒后重试"
    retry_after_s: ClassVar[int] = 5

    def __init__(self) -> None:
        super().__init__(None, {"Retry-After": str(self.retry_after_s)})


class StorageFull(DatabaseUnavailable):
    """The server's disk is full: nothing of the request was stored (its transaction rolled back)."""

    status_code = 507
    default_detail = "the server's storage is full, so nothing was stored; try again later (the teacher is told)"
    default_zh = "服务器存储已满，没有保存任何内容；请稍后再试（老师会收到通知）"
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


def _body(error: str, text: Text | str, lang: str = "en") -> dict[str, str]:
    """`message` only where it says more than `detail`: in another language than English."""
    if isinstance(text, Text) and text.get(lang) != text.en:
        return {"error": error, "detail": text.en, "message": text.get(lang)}
    return {"error": error, "detail": text.en if isinstance(text, Text) else text}


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


def accept_language(header: str) -> str | None:
    """en or zh, whichever Accept-Language prefers; None when it names neither."""
    best: tuple[float, str] | None = None
    for item in header.split(","):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        tag = tag.strip().lower()
        lang = "zh" if tag.startswith("zh") else "en" if tag.startswith("en") else None
        if lang and quality > 0 and (best is None or quality > best[0]):
            best = (quality, lang)
    return best[1] if best else None


def request_lang(query_lang: str | None, header: str | None) -> str:
    """The language of an answer: `?lang=` (en or zh), else Accept-Language, else English."""
    if query_lang in ("en", "zh"):
        return query_lang
    return accept_language(header or "") or "en"


def _lang_of(request: Request) -> str:
    return request_lang(request.query_params.get("lang"), request.headers.get("accept-language"))


def error_response(exc: AppError, lang: str = "en") -> JSONResponse:
    """The one JSON shape of an error, for the handlers below and for the ingress guard."""
    body = _body(exc.error, exc.text if exc.text is not None else exc.detail, lang)
    return JSONResponse({**exc.extra, **body}, exc.status_code, headers=exc.headers)


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
    async def _app_error(request: Request, exc: AppError) -> JSONResponse:
        return error_response(exc, _lang_of(request))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        issues = _issues(exc.errors())
        detail = "; ".join(
            f"{'.'.join(str(p) for p in i['loc'])}: {i['msg']}" for i in issues
        ) or "invalid request"
        body = _body("ValidationError", refusal("invalid_request", issues=detail), _lang_of(request))
        return JSONResponse({**body, "errors": issues}, 422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        lang = _lang_of(request)
        if exc.status_code == 400:  # the framework could not parse the body (bad JSON, bad multipart)
            body = _body("ValidationError", refusal("invalid_request", issues=str(exc.detail)), lang)
            return JSONResponse({**body, "errors": []}, 422)
        name = STATUS_ERRORS.get(exc.status_code, f"HTTP{exc.status_code}")
        known = {404: "http_404", 405: "http_405"}.get(exc.status_code)
        text = refusal(known) if known and str(exc.detail) == refusal(known).en else \
            refusal("http_other", status=exc.status_code, detail=str(exc.detail))
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = allowed_methods(request)
        return JSONResponse(_body(name, Text(en=str(exc.detail), zh=text.zh), lang), exc.status_code,
                            headers=headers)

    async def _database_down(request: Request, exc: Exception) -> JSONResponse:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        err: AppError
        if is_storage_full(exc):
            log.error("storage full on %s %s (nothing stored): %s", request.method,
                      printable_path(request.url.path), reason)
            err = StorageFull()
        else:
            log.warning("database unavailable on %s %s: %s", request.method,
                        printable_path(request.url.path), reason)
            err = DatabaseUnavailable()
        return error_response(err, _lang_of(request))

    for error_class in DATABASE_DOWN_ERRORS:
        app.add_exception_handler(error_class, _database_down)

    @app.exception_handler(ClientDisconnect)
    async def _client_gone(request: Request, exc: ClientDisconnect) -> JSONResponse:
        # The client closed its connection in the middle of its body: not the server's fault, so no traceback
        # and no 5xx (anyone could fill the error log and the alerts that way); nobody reads this answer.
        log.info("client disconnected during %s %s", request.method, printable_path(request.url.path))
        return JSONResponse(_body("ClientDisconnected", refusal("client_disconnected"), _lang_of(request)), 400)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error on %s %s", request.method, printable_path(request.url.path), exc_info=exc)
        return JSONResponse(_body("InternalError", refusal("internal"), _lang_of(request)), 500)
