"""GET /audit (staff): every audited change, newest first, with who (id and role), what, when and why; filters."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Query, Response

from server.audit import AuditEntryPublic, audit_t
from server.auth.models import ActorRole
from server.deps import SessionDep, StaffAuth
from server.errors import TeacherOnly, error_responses
from server.models import TIME_FORMAT_HINT, UtcTime

router = APIRouter(tags=["audit"])
STAFF_ACTIONS = "staff."  # staff.add, staff.disable, staff.enable, staff.token (server.auth.staff)


def audit_entries(
    conn: sa.Connection,
    *,
    actor: str | None = None,
    role: ActorRole | None = None,
    action: str | None = None,
    target: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    limit: int = 100,
    offset: int = 0,
    staff_accounts: bool = True,
) -> tuple[int, list[AuditEntryPublic]]:
    """Entries matching the filters, newest first, and how many match. `staff_accounts=False` (a TA looking)
    leaves out the staff accounts' own entries: e-mails and account states are the instructors' business,
    as GET /staff is (server.auth.route_access)."""
    conditions = []
    if not staff_accounts:
        conditions.append(sa.not_(audit_t.c.action.startswith(STAFF_ACTIONS, autoescape=True)))
    if actor is not None:
        conditions.append(audit_t.c.actor == actor)
    if role is not None:
        conditions.append(audit_t.c.role == role.value)
    if action is not None:
        conditions.append(audit_t.c.action == action)
    if target is not None:
        conditions.append(audit_t.c.target == target)
    if since is not None:
        conditions.append(audit_t.c.at >= since)
    if until is not None:
        conditions.append(audit_t.c.at < until)
    total = conn.execute(sa.select(sa.func.count()).select_from(audit_t).where(*conditions)).scalar_one()
    rows = conn.execute(
        sa.select(audit_t).where(*conditions).order_by(audit_t.c.id.desc()).offset(offset).limit(limit)
    ).all()
    return int(total), [
        AuditEntryPublic(
            id=int(r.id),
            at=r.at,
            actor=r.actor,
            role=r.role,
            action=r.action,
            target=r.target,
            reason=r.reason,
            detail=dict(r.detail or {}),
        )
        for r in rows
    ]


@router.get(
    "/audit",
    response_model=list[AuditEntryPublic],
    summary="The audit log (staff), newest first: who (staff_id and role) changed what, when and why",
    responses=error_responses(TeacherOnly),
)
def list_audit(
    response: Response,
    staff: StaffAuth,
    session: SessionDep,
    actor: Annotated[str | None, Query(max_length=64, description="A staff_id (or student_id)")] = None,
    role: Annotated[ActorRole | None, Query(description="instructor, ta or student")] = None,
    action: Annotated[str | None, Query(max_length=64, description="e.g. regrade, override")] = None,
    target: Annotated[str | None, Query(max_length=200, description="e.g. submission:12, batch:3")] = None,
    since: Annotated[UtcTime | None, Query(description=f"From this time on: {TIME_FORMAT_HINT} (without an offset: "
                                                   "422)")] = None,
    until: Annotated[UtcTime | None, Query(description=f"Before this time: {TIME_FORMAT_HINT}")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> list[AuditEntryPublic]:
    total, rows = audit_entries(
        session.connection(),
        actor=actor,
        role=role,
        action=action,
        target=target,
        since=since,
        until=until,
        limit=limit,
        offset=offset,
        staff_accounts=staff.is_instructor,
    )
    response.headers["X-Total-Count"] = str(total)
    return rows
