"""What the scoreboard page shows below the table for the teacher to act on: open regrade requests (with a
resolve form each), recent regrade batches (with links to their reports) and the latest audit entries."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from server.regrades.batches import list_batches
from server.regrades.models import RequestStatus
from server.regrades.requests import list_requests
from server.routes.audit import audit_entries

OPEN_REQUESTS_SHOWN = 100
BATCHES_SHOWN = 10
AUDIT_SHOWN = 15


def teacher_actions(session: Session, instructor: bool) -> dict[str, Any]:
    conn = session.connection()
    open_total, open_requests = list_requests(conn, student_id=None, status=RequestStatus.open, exercise=None,
                                              limit=OPEN_REQUESTS_SHOWN, offset=0)
    audit_total, audit = audit_entries(conn, limit=AUDIT_SHOWN, staff_accounts=instructor)
    return {"open_requests": open_requests, "open_total": open_total, "batches": list_batches(conn, BATCHES_SHOWN),
            "audit": audit, "audit_total": audit_total}
