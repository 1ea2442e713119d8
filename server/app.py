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
from server.catalog import build_catalog
from server.client_dist import ClientWheel
from server.config import Settings, get_settings, with_generated_secrets
from server.db import create_db_engine, run_migrations
from server.deps import AppContext
from server.errors import install_error_handlers
from server.grading.claims import requeue_stale
from server.grading.processes import ProcessQueue
from server.grading.protocol import GraderFactory, Notifier
from server.grading.queues import make_queue
from server.ingress.guard import IngressGuard
from server.metrics import Metrics
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
    students,
    submissions,
)
from server.similarity.service import SimilarityService
from server.version_header import VersionHeaderMiddleware
from server.web import install as install_web

log = logging.getLogger("rnn_grader.app")

API_PREFIX = "/api/v1"
REQUEST_THREADS = 200


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
    queue = make_queue(engine, settings, catalog, metrics, notifier, grader_factory,
                       exercises_from_settings=exercises_by_id is None)
    ctx = AppContext(settings=settings, engine=engine, catalog=catalog, queue=queue, notifier=notifier,
                     metrics=metrics)
    similarity_reports = SimilarityService(engine, catalog, settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Sync routes run in worker threads; `?wait=` holds one for up to 60 s, so allow more than 40.
        anyio.to_thread.current_default_thread_limiter().total_tokens = REQUEST_THREADS
        if migrate:
            await run_in_threadpool(run_migrations, engine)
        await run_in_threadpool(requeue_stale, engine)
        await run_in_threadpool(queue.start)
        # What start-up allocated lives as long as the process: keep it out of every collection.
        gc.collect()
        gc.freeze()
        log.info("ready: %d exercise(s) %s, %d grading %s(s), queue=%s", len(catalog.exercises),
                 sorted(catalog.exercises), queue.workers,
                 "process" if isinstance(queue, ProcessQueue) else "thread", settings.queue)
        try:
            yield
        finally:
            await run_in_threadpool(queue.stop)
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
    app.add_middleware(AccessLogMiddleware, metrics=metrics, prefix=API_PREFIX)
    app.add_middleware(VersionHeaderMiddleware, version=VERSION, timezone=settings.timezone)
    # Outermost: bodies are bounded, and large uploads authenticated, before anything else sees the request.
    app.add_middleware(IngressGuard)
    for module in (students, gradings, regrade_requests, submissions, regrade, exercises, extensions, scoreboard,
                   similarity, audit, health, client, me):
        app.include_router(module.router, prefix=API_PREFIX)
    # Un-prefixed aliases for load balancers and container health checks, and the Prometheus endpoint.
    app.add_api_route("/healthz", health.healthz, include_in_schema=False)
    app.add_api_route("/readyz", health.readyz, include_in_schema=False)
    app.include_router(health.metrics_router)
    # The teacher's pages (/scoreboard, /leaderboard, /static) and /api/v1/submissions/{id}/results.json.
    install_web(app, API_PREFIX)
    return app
