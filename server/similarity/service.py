"""The similarity reports of a running server: which submissions to compare, the cached report for them,
and the background process that computes a new one.

A report is keyed by the counted submissions (the scoreboard's own choice: best or latest, through
`counted_by_pair`) and the template, so it stays valid until a new counted submission arrives. It lives
in memory and in `<data_dir>/similarity/<exercise>.npz`, so other API processes and restarts reuse it.
Computing happens in one separate, lower-priority process (never in the grading path, never holding the
API's GIL): the page shows the last report while a new one is computed; the API waits for the current one
(up to WAIT_S, then a 503 with Retry-After). Once a teacher has asked for an exercise, a refresher thread
recomputes its report in the background whenever its key changes, so the next look is instant.
"""

from __future__ import annotations

import datetime as dt
import logging
import multiprocessing
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Annotated, Literal, cast

import numpy as np
import sqlalchemy as sa
from fastapi import Depends, Request
from sqlalchemy.engine import Engine
from sqlmodel import Session

from server.catalog import Catalog
from server.config import Settings
from server.errors import AppError
from server.scoreboard.query import IN_CHUNK, counted_by_pair
from server.similarity import compute
from server.similarity.report import Member, Report, load, report_key, save
from server.tables import submissions_t

log = logging.getLogger("rnn_grader.similarity")
WAIT_S = 20.0  # an API request waits this long for a report being computed (the CLI's timeout is 30 s)
REFRESH_S = 30.0
State = Literal["ready", "stale", "computing"]


class SimilarityComputing(AppError):
    status_code = 503
    default_detail = "the similarity report is still being computed; retry in a few seconds"
    default_zh = "相似度报告仍在计算中；请几秒后重试"

    def __init__(self, retry_after_s: int = 5) -> None:
        super().__init__(None, {"Retry-After": str(retry_after_s)})


class SimilarityFailed(AppError):
    status_code = 503
    default_detail = "computing the similarity report failed; retry shortly (the server log says why)"
    default_zh = "计算相似度报告失败；请稍后重试（服务器日志中有原因）"

    def __init__(self) -> None:
        super().__init__(None, {"Retry-After": "10"})


@dataclass(frozen=True)
class Inputs:
    exercise: str
    key: str
    members: tuple[Member, ...]
    template: str


@dataclass(frozen=True)
class Status:
    """`ready`: `report` is for the current counted submissions. `stale`: `report` is an older one and the
    current one is being computed. `computing`: no report yet. `compared` counts the current submissions."""

    report: Report | None
    state: State
    compared: int


class SimilarityService:
    def __init__(self, engine: Engine, catalog: Catalog, settings: Settings, *, refresh_s: float = REFRESH_S) -> None:
        self.engine = engine
        self.catalog = catalog
        self._policy = settings.score_policy
        self._directory = settings.data_dir / "similarity"
        self._refresh_s = refresh_s
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        self._latest: dict[str, Report] = {}
        self._running: dict[str, tuple[str, Future[Report]]] = {}
        self._templates: dict[str, str] = {}
        self._watched: set[str] = set()
        self._stop = threading.Event()
        self._refresher: threading.Thread | None = None

    # ------------------------------------------------------------------ what to compare
    def template(self, exercise: str) -> str:
        if exercise not in self._templates:
            path = self.catalog.get(exercise).spec.template_path
            self._templates[exercise] = path.read_text(encoding="utf-8", errors="replace")
        return self._templates[exercise]

    def inputs(self, exercise: str) -> Inputs:
        """The counted submission of every student with one (raises ExerciseNotFound for an unknown id)."""
        template = self.template(exercise)
        with Session(self.engine) as session:
            counted = counted_by_pair(session, self._policy)
        members = sorted(
            Member(student_id, pair.counted.submission_id)
            for (student_id, exercise_id), pair in counted.items()
            if exercise_id == exercise and pair.counted is not None
        )
        return Inputs(exercise, report_key(members, template), tuple(members), template)

    def sources(self, ids: Sequence[int]) -> dict[int, str]:
        out: dict[int, str] = {}
        with self.engine.connect() as conn:
            for start in range(0, len(ids), IN_CHUNK):
                chunk = list(ids[start : start + IN_CHUNK])
                query = sa.select(submissions_t.c.id, submissions_t.c.source).where(submissions_t.c.id.in_(chunk))
                for sid, source in conn.execute(query):
                    out[int(sid)] = str(source)
        return out

    # ------------------------------------------------------------------ reports
    def _cached(self, inputs: Inputs) -> Report | None:
        report = self._latest.get(inputs.exercise)
        if report is not None and report.key == inputs.key:
            return report
        saved = load(self._directory, inputs.exercise)
        if saved is not None and (report is None or saved.computed_at >= report.computed_at):
            with self._lock:
                self._latest[inputs.exercise] = saved
            if saved.key == inputs.key:
                return saved
        return None

    def status(self, exercise: str, *, wait: bool, timeout_s: float = WAIT_S) -> Status:
        inputs = self.inputs(exercise)
        self._watch(exercise)
        report = self._cached(inputs)
        if report is not None:
            return Status(report, "ready", len(inputs.members))
        future = self._start(inputs)
        if wait:
            try:
                return Status(future.result(timeout=timeout_s), "ready", len(inputs.members))
            except FutureTimeout:
                raise SimilarityComputing() from None
            except Exception as exc:
                log.error("similarity report for %r failed", exercise, exc_info=exc)
                raise SimilarityFailed() from None
        if future.done() and future.exception() is None:
            return Status(future.result(), "ready", len(inputs.members))
        previous = self._latest.get(exercise)
        return Status(previous, "stale" if previous is not None else "computing", len(inputs.members))

    def _start(self, inputs: Inputs) -> Future[Report]:
        with self._lock:
            running = self._running.get(inputs.exercise)
            if running is not None and running[0] == inputs.key and not running[1].done():
                return running[1]
        sources = self.sources([m.submission_id for m in inputs.members])
        docs = [sources.get(m.submission_id, "") for m in inputs.members]
        result: Future[Report] = Future()
        started = time.perf_counter()
        with self._lock:
            running = self._running.get(inputs.exercise)
            if running is not None and running[0] == inputs.key and not running[1].done():
                return running[1]
            try:
                job = self._executor().submit(compute.compute_shares, inputs.template, docs)
            except (BrokenProcessPool, RuntimeError) as exc:
                self._pool = None
                log.error("similarity process unavailable: %s", exc)
                raise SimilarityFailed() from None
            self._running[inputs.exercise] = (inputs.key, result)

        def finished(job: Future[np.ndarray]) -> None:
            if job.cancelled():  # the server is shutting down
                result.cancel()
                return
            error = job.exception()
            if error is not None:
                if isinstance(error, BrokenProcessPool):
                    with self._lock:
                        self._pool = None
                result.set_exception(error)
                return
            report = Report(inputs.exercise, inputs.key, inputs.members, job.result(),
                            dt.datetime.now(dt.UTC), time.perf_counter() - started)
            save(self._directory, report)
            with self._lock:
                self._latest[inputs.exercise] = report
            log.info("similarity report for %r: %d submissions in %.1f s", inputs.exercise,
                     len(inputs.members), report.seconds)
            result.set_result(report)

        job.add_done_callback(finished)
        return result

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # spawn: a clean interpreter (forking a process that runs threads is unsafe).
            self._pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                             initializer=compute.lower_priority)
        return self._pool

    # ------------------------------------------------------------------ background refresh
    def _watch(self, exercise: str) -> None:
        with self._lock:
            self._watched.add(exercise)
            if self._refresher is None and self._refresh_s > 0 and not self._stop.is_set():
                self._refresher = threading.Thread(target=self._refresh_loop, name="similarity-refresh",
                                                   daemon=True)
                self._refresher.start()

    def _refresh_loop(self) -> None:
        while not self._stop.wait(self._refresh_s):
            for exercise in sorted(self._watched):
                try:
                    inputs = self.inputs(exercise)
                    if self._cached(inputs) is None:
                        self._start(inputs)
                except Exception as exc:  # the next round tries again; a request reports its own errors
                    log.warning("similarity refresh of %r: %s", exercise, exc)

    def close(self) -> None:
        self._stop.set()
        if self._refresher is not None:
            self._refresher.join(timeout=5)
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def get_similarity(request: Request) -> SimilarityService:
    return cast(SimilarityService, request.app.state.similarity)


SimilarityDep = Annotated[SimilarityService, Depends(get_similarity)]
