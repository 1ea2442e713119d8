"""Liveness and readiness (no token: for load balancers), and Prometheus metrics (a staff token here)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from server.db import ping
from server.deps import ContextDep, StaffAuth
from server.models import Health, Readiness

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health, summary="The process is alive")
async def healthz() -> Health:  # async: answers even when every request thread is busy
    return Health()


@router.get(
    "/readyz",
    response_model=Readiness,
    summary="The database answers and the grading threads run",
    responses={503: {"model": Readiness, "description": "Not ready (database or graders down)"}},
)
def readyz(ctx: ContextDep) -> Response:
    database = ping(ctx.engine)
    graders = ctx.queue.healthy()
    ready = Readiness(
        status="ok" if database and graders else "unavailable",
        database=database,
        graders=graders,
        workers=ctx.queue.workers,
    )
    return JSONResponse(ready.model_dump(), status_code=200 if database and graders else 503)


metrics_router = APIRouter()


@metrics_router.get("/metrics", include_in_schema=False)
def metrics(ctx: ContextDep, _staff: StaffAuth) -> Response:
    """On the public port only for staff: a scrape runs a query, and the figures are the course's. A scraper
    uses RNN_GRADER_METRICS_BIND (its own listener, no token) or a staff token."""
    return Response(ctx.metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8")

