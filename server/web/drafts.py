"""Unsent form text that survives a sign-in. A page form posted without a valid session (it expired, or the
browser signed out in another tab) loses nothing: the sign-in form carries the text along as hidden fields,
and once the person is signed in again the page of that form comes back with the text filled in, to check
and send again. The forms: a student's pasted code (server.web.student_routes) and the teacher's answer to a
regrade request (server.web.regrade_pages).

Why in the sign-in form and not on the server: nothing is stored for a browser nobody has authenticated yet
(no table to fill, nothing to expire), and the text stays where its author is looking. The ingress guard
already reads such a body without a session up to `paste_bytes`, and the student's sign-in form takes as
much at its /draft address (server.ingress.budgets; the plain sign-in forms stay at a few KiB). Nothing is
ever sent on the person's behalf: the form comes back, filled in.

A draft is kept only from this site's own pages (`same_origin`): another site cannot prefill anyone's form.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request, Response
from sqlmodel import Session

from server.auth.sessions import BrowserSession, CookieSpec, same_origin
from server.config import Settings
from server.deps import AppContext, ContextDep

TARGET_MAX_CHARS = 200
PREFIX = "draft_"
# A sign-in form carrying a draft posts to <its path>/draft: the plain sign-in keeps its few KiB.
DRAFT_SIGN_IN = "/draft"

# How the page of a form comes back: (request, ctx, db, the session, the draft, the message key of the notice
# to show with it; the page fills in its own values, e.g. {id}).
Resume = Callable[[Request, AppContext, Session, BrowserSession, "Draft", str], Response]


@dataclass(frozen=True)
class DraftForm:
    """One page form whose text may outlive its session."""

    kind: str  # also the name of its message keys: draft_kept_<kind>, draft_back_<kind>
    spec: CookieSpec  # the pages (and so the sign-in form) it belongs to
    # Each field kept -> its most UTF-8 bytes. The sign-in form sends them URL-encoded (at most 3 bytes a
    # byte), which its budget must hold: a draft that would not fit is not kept.
    limits: dict[str, Callable[[Settings], int]]
    typed: tuple[str, ...]  # the fields someone types into: a draft without any of them is not worth keeping
    resume: Resume = field(compare=False)

    @property
    def kept_key(self) -> str:
        return f"draft_kept_{self.kind}"

    @property
    def back_key(self) -> str:
        return f"draft_back_{self.kind}"


@dataclass(frozen=True)
class Draft:
    form: DraftForm
    target: str  # which one: an exercise id, a request id
    fields: dict[str, str]

    def hidden_fields(self) -> list[tuple[str, str]]:
        """What the sign-in form repeats."""
        return [(f"{PREFIX}kind", self.form.kind), (f"{PREFIX}target", self.target),
                *((PREFIX + name, value) for name, value in self.fields.items())]


_FORMS: dict[str, DraftForm] = {}


def draft_form(kind: str, spec: CookieSpec, limits: dict[str, Callable[[Settings], int]],
               typed: tuple[str, ...]) -> Callable[[Resume], Resume]:
    """Declare a page form whose text survives a sign-in; the decorated function shows its page again."""
    def register(resume: Resume) -> Resume:
        _FORMS[kind] = DraftForm(kind, spec, limits, typed, resume)
        return resume

    return register


def _draft(settings: Settings, form: DraftForm | None, target: object, given: dict[str, object]) -> Draft | None:
    if form is None or not isinstance(target, str) or not target or len(target) > TARGET_MAX_CHARS:
        return None
    fields = {name: given.get(name, "") for name in form.limits}
    if not all(isinstance(v, str) and len(v.encode("utf-8", "replace")) <= form.limits[k](settings)
               for k, v in fields.items()):
        return None
    texts = {k: str(v) for k, v in fields.items()}
    return Draft(form, target, texts) if any(texts[k].strip() for k in form.typed) else None


def keep_draft(ctx: AppContext, request: Request, kind: str, target: str, fields: dict[str, str]) -> Draft | None:
    """The draft of a page form that could not be acted on; None when there is nothing worth keeping, it is
    too long, or the form did not come from this site."""
    if not same_origin(request):
        return None
    return _draft(ctx.settings, _FORMS[kind], target, dict(fields))


async def _posted_draft(request: Request, ctx: ContextDep) -> Draft | None:
    if not same_origin(request):
        return None  # another site's sign-in form: its "draft" would prefill the victim's page
    form = await request.form()  # the sign-in form, parsed (and bounded by the guard) already
    kind = form.get(f"{PREFIX}kind")
    known = _FORMS.get(kind) if isinstance(kind, str) else None
    given = {name: form.get(PREFIX + name, "") for name in (known.limits if known else ())}
    return _draft(ctx.settings, known, form.get(f"{PREFIX}target"), dict(given))


# The draft a sign-in form carries, if any (checked like a new one: known form, bounded fields).
PostedDraft = Annotated[Draft | None, Depends(_posted_draft)]
