"""How many body bytes each route may receive, and who must be known before any of them is read: the one
table the ingress guard (server.ingress.guard) applies to every request before routing.

A route not in the table gets DEFAULT_BYTES whatever its method: every JSON body and form of the API and the
pages fits in a few KiB, except the uploads listed here. A rule with `access` authenticates the request
(bearer token, or the pages' session cookie) before one byte of its body is read. The routes read their sizes
from here too, so the guard and the route never disagree.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from server.auth.permissions import Access
from server.auth.sessions import STUDENT, CookieSpec
from server.config import Settings

KIB = 1024
# Any request's body when no rule says more: sign-in forms (a token, a return path, a CSRF value) and JSON
# bodies without free text are well under this.
DEFAULT_BYTES = 8 * KIB
# Bodies with one free-text field of MAX_MESSAGE_CHARS (2,000) characters: a regrade request, a reason, a
# comment. As JSON each character may be escaped into 6 bytes (\uXXXX); in a form, a CJK character is 9 (%XX x 3).
TEXT_BYTES = 24 * KIB
# What surrounds the payload of an upload: multipart boundaries and headers, the other form fields.
ENVELOPE_BYTES = 16 * KIB
# JSON may escape each byte of a submitted source into up to 6 characters.
JSON_OVERHEAD_FACTOR = 6
# Pasted code travels as a form field: room for the source plus its encoding.
PASTE_FACTOR = 4
ROSTER_BYTES = 1024 * KIB
EXTENSIONS_BYTES = 2048 * KIB
API = "/api/v1"


def upload_file_bytes(settings: Settings) -> int:
    """The largest file a student may upload: a notebook may be larger than the source it holds."""
    return max(settings.max_source_bytes, settings.max_notebook_bytes)


def submission_api_bytes(settings: Settings) -> int:
    """POST /api/v1/submissions: a JSON body with the source escaped, or a multipart .py or .ipynb file."""
    return max(settings.max_source_bytes * JSON_OVERHEAD_FACTOR, upload_file_bytes(settings)) + ENVELOPE_BYTES


def paste_bytes(settings: Settings) -> int:
    """The student page's submit form with pasted code only (no file)."""
    return settings.max_source_bytes * PASTE_FACTOR + ENVELOPE_BYTES


def student_page_upload_bytes(settings: Settings) -> int:
    return max(upload_file_bytes(settings), settings.max_source_bytes * PASTE_FACTOR) + ENVELOPE_BYTES


@dataclass(frozen=True)
class Rule:
    methods: frozenset[str]
    path: re.Pattern[str]
    max_bytes: Callable[[Settings], int]
    # Checked before the body is read (None: anyone may send up to max_bytes; the route decides).
    access: Access | None = None
    # For a page: the session that authenticates it (None: a bearer token).
    session: CookieSpec | None = None
    # For a page whose form must survive an expired session (the pasted code comes back after sign-in):
    # without a session the body is still read, up to this many bytes, and the page asks to sign in.
    anonymous_bytes: Callable[[Settings], int] | None = None


def _fixed(n: int) -> Callable[[Settings], int]:
    return lambda _settings: n


def _rule(methods: str, path: str, max_bytes: Callable[[Settings], int], **kw: object) -> Rule:
    return Rule(frozenset(methods.split()), re.compile(path), max_bytes, **kw)  # type: ignore[arg-type]


_ID = r"[^/]+"
RULES: tuple[Rule, ...] = (
    _rule("POST", rf"^{API}/submissions$", submission_api_bytes, access=Access.student),
    _rule("POST", rf"^{API}/students/import$", _fixed(ROSTER_BYTES + ENVELOPE_BYTES), access=Access.instructor),
    _rule("POST", rf"^{API}/extensions/import$", _fixed(EXTENSIONS_BYTES + ENVELOPE_BYTES), access=Access.staff),
    _rule("POST", rf"^/student/exercises/{_ID}/submit$", student_page_upload_bytes, access=Access.student,
          session=STUDENT, anonymous_bytes=paste_bytes),
    # Free text (a message, a reason, a comment) in JSON or a form.
    _rule("POST", rf"^{API}/submissions/{_ID}/regrade-requests$", _fixed(TEXT_BYTES)),
    _rule("POST", rf"^{API}/regrade-requests/{_ID}/resolve$", _fixed(TEXT_BYTES)),
    _rule("POST", rf"^{API}/submissions/{_ID}/override$", _fixed(TEXT_BYTES)),
    _rule("POST", rf"^{API}/regrade$", _fixed(TEXT_BYTES)),
    _rule("PUT", rf"^{API}/extensions/{_ID}/{_ID}$", _fixed(TEXT_BYTES)),
    _rule("POST", rf"^/scoreboard/regrade-requests/{_ID}/resolve$", _fixed(TEXT_BYTES)),
    # The sign-in forms that carry the unsent text of the form that led to them (server.web.drafts): a
    # student's pasted code, the teacher's answer to a regrade request. The plain sign-in forms stay small.
    _rule("POST", r"^/student/login/draft$", paste_bytes),
    _rule("POST", r"^/scoreboard/login/draft$", _fixed(TEXT_BYTES)),
)
DEFAULT_RULE = Rule(frozenset(), re.compile(""), _fixed(DEFAULT_BYTES))


def rule_for(method: str, path: str) -> Rule:
    for rule in RULES:
        if method in rule.methods and rule.path.match(path):
            return rule
    return DEFAULT_RULE


def largest_body_bytes(settings: Settings) -> int:
    """The largest body any route accepts: what a reverse proxy in front may let through (the compose
    stack's RNN_GRADER_PROXY_MAX_BODY, docs/deployment.md); the guard still applies each route's own."""
    return max(rule.max_bytes(settings) for rule in (*RULES, DEFAULT_RULE))
