"""The teacher's regrade pages: resolve a regrade request from the scoreboard (a form with the CSRF token),
a regrade batch's report (HTML and CSV) and the audit log. Same rules as the JSON API (server.regrades)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

from server.auth.models import ActorRole
from server.auth.sessions import StaffData, StaffPage, form_is_genuine
from server.deps import ContextDep, SessionDep
from server.errors import AppError, InvalidInput
from server.regrades.batches import REGRADE_PRIORITY, batch_report, credit_rules, report_csv
from server.regrades.models import MAX_MESSAGE_CHARS, RegradeRequestResolve
from server.regrades.requests import resolve_request
from server.routes.audit import audit_entries
from server.web.i18n import request_lang, t
from server.web.routes import HOME, render_page

router = APIRouter(include_in_schema=False)
AUDIT_PAGE_ROWS = 200


@router.post("/scoreboard/regrade-requests/{request_id}/resolve")
def resolve_from_page(
    request: Request,
    request_id: int,
    ctx: ContextDep,
    db: SessionDep,
    session: StaffPage,
    csrf: Annotated[str, Form(max_length=200)] = "",
    action: Annotated[str, Form(max_length=16)] = "",
    score: Annotated[str, Form(max_length=32)] = "",
    comment: Annotated[str, Form(max_length=MAX_MESSAGE_CHARS)] = "",
) -> Response:
    lang = request_lang(request)
    if not form_is_genuine(request, session, csrf):
        return RedirectResponse(HOME, status_code=303)  # a forged form: ignore it
    try:
        if action not in ("regrade", "override", "reject"):
            raise InvalidInput("choose regrade, override or reject")
        try:
            value = float(score) if score.strip() and action == "override" else None
        except ValueError:
            raise InvalidInput(f"the score must be a number, not {score!r}") from None
        body = RegradeRequestResolve(action=action, score=value, comment=comment.strip())  # type: ignore[arg-type]
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
                                   target=filters.target, limit=AUDIT_PAGE_ROWS)
    return render_page(request, "audit.html", lang, session=session, audit=entries, audit_total=total,
                       filters=filters, roles=list(ActorRole))
