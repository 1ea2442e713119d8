"""The teacher's regrade pages: resolve a regrade request from the scoreboard (a form with the CSRF token),
a regrade batch's report (HTML and CSV) and the audit log. Same rules as the JSON API (server.regrades)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlmodel import Session

from server.auth.models import ActorRole
from server.auth.sessions import STAFF, BrowserSession, OptionalStaff, StaffData, StaffPage, form_is_genuine
from server.deps import AppContext, ContextDep, SessionDep
from server.errors import AppError, InvalidInput, RegradeRequestNotFound
from server.regrades.batches import REGRADE_PRIORITY, batch_report, credit_rules, report_csv
from server.regrades.models import MAX_MESSAGE_CHARS, RegradeRequestResolve, RequestStatus
from server.regrades.requests import get_request, resolve_request
from server.routes.audit import audit_entries
from server.web.drafts import Draft, draft_form, keep_draft
from server.web.i18n import request_lang, t
from server.web.routes import HOME, render_page, scoreboard_response
from server.web.signin import TEACHER_LOGIN, sign_in_again

router = APIRouter(include_in_schema=False)
AUDIT_PAGE_ROWS = 200


RESOLVE = "resolve"  # the draft of a resolve form (server.web.drafts)
ACTION_MAX_CHARS = 16
SCORE_MAX_CHARS = 32


@draft_form(RESOLVE, STAFF, {"action": lambda _s: ACTION_MAX_CHARS, "score": lambda _s: SCORE_MAX_CHARS,
                             "comment": lambda _s: 4 * MAX_MESSAGE_CHARS}, typed=("score", "comment"))
def _answer_back(request: Request, ctx: AppContext, db: Session, session: BrowserSession, draft: Draft,
                 notice: str) -> Response:
    """The scoreboard with the unsent answer back in its request's form (or said, if the request was resolved
    meanwhile: then nothing is left to fill in, but the answer is not lost)."""
    lang = request_lang(request)
    if not _is_open(db, draft.target):
        notice = "draft_gone_resolve"
    text = t(notice, lang, id=draft.target, answer=draft.fields["comment"] or draft.fields["action"])
    return scoreboard_response(request, ctx, db, session, draft=draft, draft_notice=text)


def _is_open(db: Session, request_id: str) -> bool:
    if not (request_id.isascii() and request_id.isdigit() and 1 <= int(request_id) < 2**63):
        return False
    try:
        return get_request(db.connection(), int(request_id)).status is RequestStatus.open
    except RegradeRequestNotFound:
        return False


@router.post("/scoreboard/regrade-requests/{request_id}/resolve")
def resolve_from_page(
    request: Request,
    request_id: int,
    ctx: ContextDep,
    db: SessionDep,
    session: OptionalStaff,
    csrf: Annotated[str, Form(max_length=200)] = "",
    action: Annotated[str, Form(max_length=ACTION_MAX_CHARS)] = "",
    score: Annotated[str, Form(max_length=SCORE_MAX_CHARS)] = "",
    comment: Annotated[str, Form(max_length=MAX_MESSAGE_CHARS)] = "",
) -> Response:
    lang = request_lang(request)
    if session is None or not form_is_genuine(request, session, csrf):
        # No session (it ended while the page was open), or a form of an earlier session: nothing is done; the
        # answer comes back in its form. A form from another site is ignored (keep_draft keeps nothing).
        draft = keep_draft(ctx, request, RESOLVE, str(request_id), {"action": action, "score": score,
                                                                     "comment": comment})
        if session is None:
            return sign_in_again(ctx, request, TEACHER_LOGIN, HOME, draft)
        if draft is None:
            return RedirectResponse(HOME, status_code=303)
        return _answer_back(request, ctx, db, session, draft, "draft_form_expired")
    try:
        if action not in ("regrade", "override", "reject"):
            raise InvalidInput("choose regrade, override or reject")
        try:
            value = float(score) if score.strip() and action == "override" else None
        except ValueError:
            raise InvalidInput(f"the score must be a number, not {score!r}") from None
        try:
            body = RegradeRequestResolve(action=action, score=value, comment=comment.strip())  # type: ignore[arg-type]
        except ValidationError as exc:  # "nan", "inf", a comment that cannot be stored: a 422 page, never a 500
            first = exc.errors()[0]
            raise InvalidInput(f"{'.'.join(map(str, first['loc']))}: {first['msg']}") from None
        if 1 <= request_id < 2**63:
            _resolved, queued = resolve_request(db.connection(), request_id, body, session.principal,
                                                ctx.settings.score_policy)
        else:
            raise InvalidInput("no such request")
        db.commit()
    except AppError as exc:
        db.rollback()
        return render_page(request, "message.html", lang, status=exc.status_code, session=session,
                           heading=t("resolve_failed", lang), message=exc.detail)
    for submission_id in queued:
        ctx.queue.enqueue(submission_id, priority=REGRADE_PRIORITY)
    return RedirectResponse(f"{HOME}#requests", status_code=303)


@router.get("/scoreboard/regrades/{batch_id}.csv")
def report_csv_download(batch_id: int, db: SessionDep, _session: StaffData) -> Response:
    report = batch_report(db.connection(), batch_id) if 1 <= batch_id < 2**63 else None
    if report is None:
        return Response("no such regrade batch\n", status_code=404, media_type="text/plain")
    return Response(report_csv(report), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="regrade-{batch_id}.csv"', "Cache-Control": "no-store"})


@router.get("/scoreboard/regrades/{batch_id}")
def report_page(request: Request, batch_id: int, db: SessionDep, ctx: ContextDep, session: StaffPage) -> Response:
    lang = request_lang(request)
    report = (batch_report(db.connection(), batch_id, credit_rules(ctx.catalog.exercises))
              if 1 <= batch_id < 2**63 else None)
    if report is None:
        return render_page(request, "message.html", lang, status=404, session=session,
                           heading=t("batches_title", lang), message=t("no_batch", lang))
    return render_page(request, "regrade_report.html", lang, session=session, report=report)


@dataclass(frozen=True)
class AuditFilters:
    """The audit page's filters, as the API's (GET /api/v1/audit): a value that cannot match is no filter."""

    actor: str | None = None
    role: ActorRole | None = None
    action: str | None = None
    target: str | None = None

    @classmethod
    def of(cls, query: Mapping[str, str]) -> AuditFilters:
        def text(name: str, limit: int) -> str | None:
            value = query.get(name, "").strip()
            return value if value and len(value) <= limit else None

        role = query.get("role", "")
        return cls(actor=text("actor", 64), role=ActorRole(role) if role in set(ActorRole) else None,
                   action=text("action", 64), target=text("target", 200))

    @property
    def any(self) -> bool:
        return any((self.actor, self.role, self.action, self.target))


@router.get("/scoreboard/audit")
def audit_page(request: Request, db: SessionDep, session: StaffPage) -> Response:
    lang = request_lang(request)
    filters = AuditFilters.of(request.query_params)
    total, entries = audit_entries(db.connection(), actor=filters.actor, role=filters.role, action=filters.action,
                                   target=filters.target, limit=AUDIT_PAGE_ROWS,
                                   staff_accounts=session.principal.is_instructor)
    return render_page(request, "audit.html", lang, session=session, audit=entries, audit_total=total,
                       filters=filters, roles=list(ActorRole))
