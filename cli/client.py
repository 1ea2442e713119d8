"""All of the CLI's HTTP: one class over an injected `httpx.Client` (base URL set by whoever built it).

Every failure becomes an `ApiError` whose message is one line for the user: the server's `detail` for a
4xx, "cannot reach ..." when the network fails. Requests that are safe to repeat (GETs, and a submission
carrying an Idempotency-Key) are retried on network errors with exponential backoff.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from cli.messages import say
from cli.version import VERSION
from grader.result import Text

API = "/api/v1"
# Every server response names the server's version; a client older than its server says how to upgrade.
VERSION_HEADER = "X-RNN-Grader-Version"
# ... and the course's time zone, in which the CLI shows times as the pages do (grader.times).
TIMEZONE_HEADER = "X-RNN-Grader-Timezone"
RETRIES = 4
BACKOFF_S = 0.5
MAX_BACKOFF_S = 8.0
# Used when the server's Retry-After header is missing or unreadable.
DEFAULT_RETRY_AFTER_S = 10.0


def one_line(text: str, limit: int = 300) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


class ApiError(Exception):
    """A request failed. `text` is the one-line message the CLI prints, in both languages; `str(err)` is the
    English."""

    def __init__(self, message: str | Text, *, status: int | None = None, error: str | None = None) -> None:
        self.text = message if isinstance(message, Text) else Text(en=message, zh=message)
        super().__init__(one_line(self.text.en))
        self.status = status
        self.error = error


class Unreachable(ApiError):
    """The server could not be reached (refused, DNS, timeout, TLS), even after the retries."""


class BadToken(ApiError):
    """401: no token, or the server does not know it."""


class RateLimited(ApiError):
    """429: the server asks us to wait `retry_after_s` seconds."""

    def __init__(self, message: str | Text, retry_after_s: float) -> None:
        super().__init__(message, status=429, error="RateLimited")
        self.retry_after_s = retry_after_s


def _retry_after(response: httpx.Response) -> float:
    raw = response.headers.get("Retry-After", "")
    try:
        return max(0.0, float(raw))
    except ValueError:
        return DEFAULT_RETRY_AFTER_S


def _error_from(response: httpx.Response, lang: str) -> ApiError:
    """The server's refusal: its `detail` (English) and its `message` (in the language this client asked for
    with Accept-Language; servers before 0.2 send none)."""
    status = response.status_code
    error: str | None = None
    detail = message = ""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        error = str(body["error"]) if "error" in body else None
        raw = body.get("detail", "")
        detail = raw if isinstance(raw, str) else str(raw)
        said = body.get("message")
        message = said if isinstance(said, str) else ""
    if not detail:
        detail = response.reason_phrase or "error"
    shown = Text(en=detail, zh=message if message and lang.startswith("zh") else detail)
    if status == 401:
        return BadToken(say("bad_token", detail=shown), status=status, error=error)
    if status == 429:
        return RateLimited(say("rate_limited", detail=shown), _retry_after(response))
    label = f"HTTP {status}" + (f" {error}" if error else "")
    return ApiError(say("http_error", detail=shown, label=label), status=status, error=error)


def _version_key(version: str) -> tuple[int, ...]:
    """`0.10.1` -> (0, 10, 1); anything after the numeric release (`+local`, `rc1`) is ignored."""
    numbers = []
    for piece in version.split("+")[0].split("."):
        digits = "".join(ch for ch in piece if "0" <= ch <= "9")
        if not digits:
            break
        numbers.append(int(digits))
    return tuple(numbers)


def is_newer(server_version: str, client_version: str = VERSION) -> bool:
    return _version_key(server_version) > _version_key(client_version)


class ApiClient:
    """The rnn-grader HTTP API. Knows paths and payloads; prints nothing."""

    def __init__(
        self,
        http: httpx.Client,
        token: str | None = None,
        *,
        lang: str = "en",
        retries: int = RETRIES,
        backoff_s: float = BACKOFF_S,
        sleep: Callable[[float], None] = time.sleep,
        on_retry: Callable[[str], None] | None = None,
        on_notice: Callable[[str], None] | None = None,
        on_timezone: Callable[[str], None] | None = None,
    ) -> None:
        self.http = http
        self.token = token
        self.lang = lang
        self.retries = retries
        self.backoff_s = backoff_s
        self.sleep = sleep
        self.on_retry = on_retry
        self.on_notice = on_notice
        self.on_timezone = on_timezone
        self.server_version: str | None = None
        self.timezone: str | None = None

    @property
    def server(self) -> str:
        return str(self.http.base_url).rstrip("/")

    # ------------------------------------------------------------------ plumbing
    def _headers(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        headers = {"Accept-Language": self.lang}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        headers.update(extra or {})
        return headers

    def request(self, method: str, path: str, *, retry: bool | None = None,
                headers: Mapping[str, str] | None = None, **kwargs: Any) -> httpx.Response:
        """Send, retrying network failures when `retry` (default: GET only); raise ApiError on >= 400."""
        retry = method == "GET" if retry is None else retry
        attempts = 1 + (self.retries if retry else 0)
        for attempt in range(attempts):
            try:
                response = self.http.request(method, path, headers=self._headers(headers), **kwargs)
            except httpx.TransportError as exc:
                reason = one_line(str(exc) or type(exc).__name__, 120)
                if attempt + 1 == attempts:
                    raise Unreachable(say("unreachable", server=self.server, reason=reason)) from None
                delay = min(self.backoff_s * 2**attempt, MAX_BACKOFF_S)
                if self.on_retry is not None:
                    self.on_retry(f"network error ({reason}); retrying in {delay:g} s")
                self.sleep(delay)
                continue
            self._note_version(response)
            if response.status_code >= 400:
                raise _error_from(response, self.lang)
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    def _note_version(self, response: httpx.Response) -> None:
        """Tell the user once when the server is newer than this client, with the command that upgrades it;
        note the course's time zone once."""
        zone = response.headers.get(TIMEZONE_HEADER)
        if zone and self.timezone is None:
            self.timezone = zone
            if self.on_timezone is not None:
                self.on_timezone(zone)
        theirs = response.headers.get(VERSION_HEADER)
        if not theirs or self.server_version is not None:
            return
        self.server_version = theirs
        if is_newer(theirs) and self.on_notice is not None:
            self.on_notice(self.upgrade_message(theirs))

    def upgrade_message(self, server_version: str) -> str:
        install = f"see {self.server}{API}/client"
        try:
            info = self.http.get(f"{API}/client").json()
            if isinstance(info, dict) and isinstance(info.get("install"), str):
                install = info["install"].replace("pip install ", "pip install --upgrade ", 1)
        except (httpx.HTTPError, ValueError):
            pass
        return (f"note: the server runs rnn-grader {server_version}, this client is {VERSION}; "
                f"upgrade with: {install}")

    def client_info(self) -> dict[str, Any]:
        """`GET /client`: where the student client wheel is and the command that installs it (no token)."""
        data = self._json("GET", f"{API}/client")
        if not isinstance(data, dict):
            raise ApiError(say("unexpected_answer", what="the client's description"))
        return data

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.request(method, path, **kwargs)
        try:
            return response.json()
        except ValueError:
            raise ApiError(say("not_json_answer", url=f"{self.server}{path}")) from None

    @staticmethod
    def _items(data: Any) -> list[dict[str, Any]]:
        """A list body, or a page object's `items`."""
        if isinstance(data, dict) and isinstance(data.get("items"), list):
            data = data["items"]
        if not isinstance(data, list):
            raise ApiError(say("unexpected_answer", what="a list"))
        return [d for d in data if isinstance(d, dict)]

    # ------------------------------------------------------------------ everyone
    def check_token(self) -> None:
        """Raises BadToken when the server does not accept the token."""
        self.request("GET", f"{API}/submissions", params={"limit": 1})

    def me(self) -> dict[str, Any] | None:
        """`GET /me`: the token's role, id and name; None from a server that predates it."""
        try:
            data = self._json("GET", f"{API}/me")
        except ApiError as exc:
            if exc.status == 404:
                return None
            raise
        return data if isinstance(data, dict) else None

    def exercises(self) -> list[dict[str, Any]]:
        return self._items(self._json("GET", f"{API}/exercises", params={"lang": self.lang}))

    def exercise(self, exercise_id: str) -> dict[str, Any]:
        data = self._json("GET", f"{API}/exercises/{exercise_id}", params={"lang": self.lang})
        if not isinstance(data, dict):
            raise ApiError(say("unexpected_answer", what="an exercise"))
        return data

    def template(self, exercise_id: str) -> bytes:
        """The starter file, byte for byte."""
        return self.request("GET", f"{API}/exercises/{exercise_id}/template").content

    def examples(self, exercise_id: str) -> bytes:
        return self.request("GET", f"{API}/exercises/{exercise_id}/examples").content

    def submission(self, submission_id: int, wait_s: float = 0) -> dict[str, Any]:
        """One submission; with `wait_s` the server holds the request until it is graded or the time is up
        (keep it well below the client's read timeout)."""
        params: dict[str, Any] = {"lang": self.lang}
        if wait_s > 0:
            params["wait"] = round(wait_s, 2)
        data = self._json("GET", f"{API}/submissions/{submission_id}", params=params)
        if not isinstance(data, dict):
            raise ApiError(say("unexpected_answer", what="a submission"))
        return data

    def submissions(self, *, limit: int = 20, offset: int = 0, exercise: str | None = None,
                    status: str | None = None, student_id: str | None = None) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"limit": limit, "offset": offset, "lang": self.lang}
        for key, value in (("exercise", exercise), ("status", status), ("student_id", student_id)):
            if value is not None:
                params[key] = value
        return self._items(self._json("GET", f"{API}/submissions", params=params))

    # ------------------------------------------------------------------ students
    def submit(self, exercise: str, source: str, idempotency_key: str, wait_s: float = 0) -> dict[str, Any]:
        """Create a submission. Safe to retry: the server returns the same one for the same key. A `wait_s`
        must stay well below the client's read timeout."""
        data = self._json(
            "POST", f"{API}/submissions",
            params={"wait": int(wait_s), "lang": self.lang},
            json={"exercise": exercise, "source": source},
            headers={"Idempotency-Key": idempotency_key},
            retry=True,
        )
        if not isinstance(data, dict) or "id" not in data:
            raise ApiError(say("unexpected_answer", what="a submission"))
        return data

    def submit_file(self, exercise: str, filename: str, content: bytes, idempotency_key: str,
                    wait_s: float = 0) -> dict[str, Any]:
        """Create a submission from a file upload (multipart; how notebooks are sent). Safe to retry."""
        data = self._json(
            "POST", f"{API}/submissions",
            params={"wait": int(wait_s), "lang": self.lang},
            data={"exercise": exercise},
            files={"file": (filename, content, "application/octet-stream")},
            headers={"Idempotency-Key": idempotency_key},
            retry=True,
        )
        if not isinstance(data, dict) or "id" not in data:
            raise ApiError(say("unexpected_answer", what="a submission"))
        return data

    # ------------------------------------------------------------------ teachers
    def add_student(self, student_id: str, name: str, *, email: str | None = None,
                    sis_id: str | None = None) -> dict[str, Any]:
        body = {"student_id": student_id, "name": name, "email": email, "sis_id": sis_id}
        data = self._json("POST", f"{API}/students", json={k: v for k, v in body.items() if v is not None})
        if not isinstance(data, dict):
            raise ApiError(say("unexpected_answer", what="a student"))
        return data

    def import_students(self, filename: str, content: bytes) -> list[dict[str, Any]]:
        files = {"file": (filename, content, "text/csv")}
        return self._items(self._json("POST", f"{API}/students/import", files=files))

    def scoreboard(self) -> list[dict[str, Any]]:
        return self._items(self._json("GET", f"{API}/scoreboard"))

    # ------------------------------------------------------------------ extensions (teacher)
    def set_extension(self, student_id: str, exercise: str, deadline: str) -> dict[str, Any]:
        data = self._json("PUT", f"{API}/extensions/{student_id}/{exercise}", json={"deadline": deadline})
        if not isinstance(data, dict):
            raise ApiError(say("unexpected_answer", what="an extension"))
        return data

    def extensions(self, *, student_id: str | None = None, exercise: str | None = None) -> list[dict[str, Any]]:
        params = {k: v for k, v in (("student_id", student_id), ("exercise", exercise)) if v is not None}
        return self._items(self._json("GET", f"{API}/extensions", params=params))

    def remove_extension(self, student_id: str, exercise: str) -> None:
        self.request("DELETE", f"{API}/extensions/{student_id}/{exercise}")

    def import_extensions(self, filename: str, content: bytes) -> dict[str, Any]:
        files = {"file": (filename, content, "text/csv")}
        data = self._json("POST", f"{API}/extensions/import", files=files)
        if not isinstance(data, dict):
            raise ApiError(say("unexpected_answer", what="an import report"))
        return data

    def scoreboard_csv(self, layout: str = "default") -> bytes:
        """The server's CSV bytes unchanged (UTF-8 with a BOM, which spreadsheets need); `layout` canvas or
        moodle asks for that LMS's grade import file."""
        params = {} if layout == "default" else {"format": layout}
        return self.request("GET", f"{API}/scoreboard.csv", params=params).content

    def regrade(self, *, submission_id: int | None = None, exercise: str | None = None,
                all_: bool = False) -> dict[str, Any]:
        body = {"submission_id": submission_id, "exercise": exercise, "all": all_}
        data = self._json("POST", f"{API}/regrade", json=body)
        return data if isinstance(data, dict) else {"queued": data}

    # ------------------------------------------------------------------ regrades, requests, audit
    def regrade_with(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """POST /regrade with a full body (selector plus optional reason)."""
        data = self._json("POST", f"{API}/regrade", json=dict(body))
        return data if isinstance(data, dict) else {"queued": data}

    def _object(self, method: str, path: str, what: str, **kwargs: Any) -> dict[str, Any]:
        data = self._json(method, path, **kwargs)
        if not isinstance(data, dict):
            raise ApiError(say("unexpected_answer", what=what))
        return data

    def regrade_batches(self, limit: int = 50) -> list[dict[str, Any]]:
        return self._items(self._json("GET", f"{API}/regrades", params={"limit": limit}))

    def regrade_report(self, batch_id: int) -> dict[str, Any]:
        return self._object("GET", f"{API}/regrades/{batch_id}", "a regrade report")

    def regrade_report_csv(self, batch_id: int) -> bytes:
        return self.request("GET", f"{API}/regrades/{batch_id}.csv").content

    def gradings(self, submission_id: int) -> list[dict[str, Any]]:
        return self._items(self._json("GET", f"{API}/submissions/{submission_id}/gradings"))

    def override(self, submission_id: int, score: float, reason: str) -> dict[str, Any]:
        return self._object("POST", f"{API}/submissions/{submission_id}/override", "a grading",
                            json={"score": score, "reason": reason})

    def ask_regrade(self, submission_id: int, message: str) -> dict[str, Any]:
        return self._object("POST", f"{API}/submissions/{submission_id}/regrade-requests", "a regrade request",
                            json={"message": message})

    def regrade_requests(self, status: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"limit": limit}
        if status is not None:
            params["status"] = status
        return self._items(self._json("GET", f"{API}/regrade-requests", params=params))

    def resolve_request(self, request_id: int, action: str, score: float | None, comment: str) -> dict[str, Any]:
        body: dict[str, Any] = {"action": action, "comment": comment}
        if score is not None:
            body["score"] = score
        return self._object("POST", f"{API}/regrade-requests/{request_id}/resolve", "a regrade request", json=body)

    def audit(self, *, action: str | None = None, target: str | None = None, actor: str | None = None,
              role: str | None = None, since: str | None = None, until: str | None = None, limit: int = 50,
              offset: int = 0) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        for key, value in (("action", action), ("target", target), ("actor", actor), ("role", role),
                           ("since", since), ("until", until)):
            if value is not None:
                params[key] = value
        return self._items(self._json("GET", f"{API}/audit", params=params))
