"""Regrade (staff; a whole exercise or everything: an instructor): put graded or failed submissions back in
the queue, e.g. after a grader fix, as one batch with a report (GET /regrades/{id}: counted scores up, down
or the same, per student before/after).

The same seed gives the same hidden cases. Regrades go behind new submissions (lower priority). Until the
new result is written a regraded submission keeps its last result, which keeps counting on the scoreboard
(server.regrades.batches; docs/regrades.md).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response

from server.auth.permissions import Access, require
from server.deps import MAX_ID, ContextDep, SessionDep, StaffAuth
from server.errors import (
    InstructorOnly,
    InvalidInput,
    RegradeBatchNotFound,
    SubmissionNotFound,
    TeacherOnly,
    error_responses,
)
from server.models import RegradeRequest, RegradeResult, Submission
from server.regrades.batches import (
    REGRADE_PRIORITY,
    batch_report,
    credit_rules,
    list_batches,
    report_csv,
    start_batch,
)
from server.regrades.models import RegradeBatchSummary, RegradeReport
from server.tables import submissions_t

router = APIRouter(tags=["regrades"])
BatchId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.post(
    "/regrade",
    response_model=RegradeResult,
    summary="Queue graded/failed submissions again as one batch: one (submission_id), an exercise's, or all "
    "(those two: an instructor)",
    responses=error_responses(TeacherOnly, InstructorOnly, SubmissionNotFound, InvalidInput),
)
def regrade(staff: StaffAuth, ctx: ContextDep, session: SessionDep, body: RegradeRequest) -> RegradeResult:
    selectors = sum((body.submission_id is not None, body.exercise is not None, body.all))
    if selectors != 1:
        raise InvalidInput("give exactly one of submission_id, exercise, all=true")
    if body.submission_id is None:
        require(Access.instructor, staff, "regrading a whole exercise or every submission")
    selector: dict[str, object]
    if body.submission_id is not None:
        if session.get(Submission, body.submission_id) is None:
            raise SubmissionNotFound(f"no submission {body.submission_id}")
        where, selector = submissions_t.c.id == body.submission_id, {"submission_id": body.submission_id}
    elif body.exercise is not None:
        where, selector = submissions_t.c.exercise == body.exercise, {"exercise": body.exercise}
    else:
        where, selector = submissions_t.c.id.is_not(None), {"all": True}
    session.commit()  # end the read above; the batch commits chunk by chunk on its own connection

    def enqueue(ids: list[int]) -> None:
        for submission_id in ids:
            ctx.queue.enqueue(submission_id, priority=REGRADE_PRIORITY)

    with ctx.engine.connect() as conn:
        batch_id, queued = start_batch(conn, by=staff, reason=body.reason, selector=selector, where=where,
                                       policy=ctx.settings.score_policy, commit=conn.commit, on_queued=enqueue)
    return RegradeResult(queued=len(queued), batch_id=batch_id)


@router.get(
    "/regrades",
    response_model=list[RegradeBatchSummary],
    summary="Regrade batches, newest first, with their progress",
    responses=error_responses(TeacherOnly),
)
def regrade_batches(
    _staff: StaffAuth, session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50, offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> list[RegradeBatchSummary]:
    return list_batches(session.connection(), limit, offset)


def _report(session: SessionDep, ctx: ContextDep, batch_id: int) -> RegradeReport:
    report = batch_report(session.connection(), batch_id, credit_rules(ctx.catalog.exercises))
    if report is None:
        raise RegradeBatchNotFound(f"no regrade batch {batch_id}")
    return report


def _csv(report: RegradeReport) -> Response:
    return Response(report_csv(report), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="regrade-{report.id}.csv"', "Cache-Control": "no-store"})


@router.get(
    "/regrades/{batch_id}.csv",
    summary="A regrade batch's report as CSV (student, exercise, before, after, change)",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}, **error_responses(TeacherOnly, RegradeBatchNotFound)},
)
def regrade_report_csv(_staff: StaffAuth, session: SessionDep, ctx: ContextDep, batch_id: BatchId) -> Response:
    return _csv(_report(session, ctx, batch_id))


@router.get(
    "/regrades/{batch_id}",
    response_model=RegradeReport,
    summary="A regrade batch's report: progress, counted scores up/down/same, per student before/after",
    responses={200: {"content": {"text/csv": {}}}, **error_responses(TeacherOnly, RegradeBatchNotFound)},
)
def regrade_report(
    _staff: StaffAuth, session: SessionDep, ctx: ContextDep, batch_id: BatchId,
    format: Annotated[Literal["json", "csv"], Query(description="csv: the same as /regrades/{id}.csv")] = "json",
) -> RegradeReport | Response:
    report = _report(session, ctx, batch_id)
    return _csv(report) if format == "csv" else report
