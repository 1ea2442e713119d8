"""create_app(settings): the FastAPI application, its database, exercises and grading queue."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from cli.version import VERSION
from grader.exercise import Exercise, load_exercises
from server.access_log import AccessLogMiddleware
from server.auth.attempts import AttemptLimiter
from server.catalog import build_catalog
from server.client_dist import ClientWheel
from server.config import Settings, get_settings, with_generated_secrets
from server.db import REQUEST_THREADS, create_db_engine, run_migrations
from server.deps import AppContext
from server.errors import install_error_handlers
from server.grading.claims import requeue_stale
from server.grading.processes import ProcessQueue
from server.grading.protocol import GraderFactory, Notifier
from server.grading.queues import make_queue
from server.ingress.guard import IngressGuard
from server.ingress.shedding import LoadShedding
from server.metrics import Metrics, MetricsListener
from server.openapi import install_openapi
from server.routes import (
    audit,
    client,
    exercises,
    extensions,
    gradings,
    health,
    me,
    regrade,
    regrade_requests,
    scoreboard,
    similarity,
    staff,
    students,
    submissions,
)
from server.similarity.service import SimilarityService
from server.submissions.waiting import ResultWaits
from server.version_header import VersionHeaderMiddleware
from server.web import install as install_web

log = logging.getLogger("rnn_grader.app")

API_PREFIX = "/api/v1"


def create_app(
    settings: Settings | None = None,
    *,
    exercises_by_id: Mapping[str, Exercise] | None = None,
    grader_factory: GraderFactory | None = None,
    migrate: bool = True,
) -> FastAPI:
    """The app. Tests pass their own settings (a fresh database), preloaded exercises and, for queue
    mechanics only, a fake grader factory. Start-up (lifespan) migrates, re-queues stale claims and
    starts the grading threads; shutdown stops them."""
    settings = with_generated_secrets(settings or get_settings())
    loaded = exercises_by_id if exercises_by_id is not None else load_exercises(settings.exercises_dir)
    catalog = build_catalog(loaded, settings)
    engine = create_db_engine(settings.database_url)
    metrics = Metrics(engine)
    notifier = Notifier()
    waits = ResultWaits(engine, settings.database_url, settings.waits_per_principal)
    notifier.subscribe(waits.announce)
    queue = make_queue(engine, settings, catalog, metrics, notifier, grader_factory,
                       exercises_from_settings=exercises_by_id is None)
    attempts = AttemptLimiter(settings.auth_failures_free, settings.auth_failure_window_s,
                              settings.auth_backoff_max_s)
    ctx = AppContext(settings=settings, engine=engine, catalog=catalog, queue=queue, notifier=notifier,
                     metrics=metrics, waits=waits, attempts=attempts)
    similarity_reports = SimilarityService(engine, catalog, settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Sync routes run in worker threads, each holding at most one pooled connection at a time; `?wait=`
        # holds neither (server.submissions.waiting). Fewer threads than connections: none waits for the pool.
        anyio.to_thread.current_default_thread_limiter().total_tokens = REQUEST_THREADS
        if migrate:
            await run_in_threadpool(run_migrations, engine)
        await run_in_threadpool(requeue_stale, engine)
        await waits.start()
        await run_in_threadpool(queue.start)
        address = settings.metrics_address
        app.state.metrics_listener = MetricsListener(metrics, *address) if address is not None else None
        # What start-up allocated lives as long as the process: keep it out of every collection.
        gc.collect()
        gc.freeze()
        log.info("ready: %d exercise(s) %s, %d grading %s(s), queue=%s", len(catalog.exercises),
                 sorted(catalog.exercises), queue.workers,
                 "process" if isinstance(queue, ProcessQueue) else "thread", settings.queue)
        try:
            yield
        finally:
            if app.state.metrics_listener is not None:
                await run_in_threadpool(app.state.metrics_listener.close)
            await run_in_threadpool(queue.stop)
            await waits.stop()
            await run_in_threadpool(similarity_reports.close)
            engine.dispose()

    app = FastAPI(
        title="rnn-grader",
        version=VERSION,
        summary="Auto-graded, sandboxed programming exercises: one folder per exercise under exercises/",
        lifespan=lifespan,
    )
    app.state.ctx = ctx
    app.state.similarity = similarity_reports
    # The student client wheel, built from client/ on first request (docs/client.md).
    app.state.client_wheel = ClientWheel(settings.data_dir / "client", settings.client_dir)
    install_error_handlers(app)
    app.add_middleware(VersionHeaderMiddleware, version=VERSION, timezone=settings.timezone)
    # Bodies are bounded, and large uploads authenticated, before the application sees the request.
    app.add_middleware(IngressGuard)
    # Outside it: a request that would only queue for a request thread is refused before anything else.
    app.add_middleware(LoadShedding)
    # Outermost, so that the guard's 413/408/401 and the shedding's 503 are logged and counted like any answer
    # (an operator watching for overload or abuse sees them).
    app.add_middleware(AccessLogMiddleware, metrics=metrics, prefix=API_PREFIX)
    for module in (students, gradings, regrade_requests, submissions, regrade, exercises, extensions, scoreboard,
                   similarity, audit, staff, health, client, me):
        app.include_router(module.router, prefix=API_PREFIX)
    # Un-prefixed aliases for load balancers and container health checks, and the Prometheus endpoint (staff
    # only here; RNN_GRADER_METRICS_BIND serves it without a token on a listener of its own).
    app.add_api_route("/healthz", health.healthz, include_in_schema=False)
    app.add_api_route("/readyz", health.readyz, include_in_schema=False)
    app.include_router(health.metrics_router)
    # The teacher's pages (/scoreboard, /leaderboard, /static) and /api/v1/submissions/{id}/results.json.
    install_web(app, API_PREFIX)
    # The schema also lists what the guard and a database outage answer on each route.
    install_openapi(app)
    return app
