"""Prometheus metrics, in a registry per app (tests build many apps in one process).

Counts by status and the queue depth are read from the database at scrape time, so they are true
across processes; grading latency and request counts are this process's own. They are served on a listener
of their own (`MetricsListener`: RNN_GRADER_METRICS_BIND for the API, RNN_GRADER_METRICS_PORT for a worker),
off the public API port, where `/metrics` needs a staff token.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from wsgiref.simple_server import WSGIServer

import sqlalchemy as sa
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, start_http_server
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.engine import Engine

from server.models import SubmissionStatus
from server.tables import submissions_t

log = logging.getLogger("rnn_grader.metrics")

GRADING_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0)


class _SubmissionsCollector(Collector):
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _families(self) -> tuple[GaugeMetricFamily, GaugeMetricFamily]:
        by_status = GaugeMetricFamily(
            "rnn_grader_submissions", "Submissions in the database by status", labels=["status"]
        )
        depth = GaugeMetricFamily("rnn_grader_queue_depth", "Submissions waiting to be graded (status queued)")
        return by_status, depth

    def describe(self) -> Iterable[Metric]:
        return self._families()

    def collect(self) -> Iterable[Metric]:
        by_status, depth = self._families()
        try:
            with self.engine.connect() as conn:
                rows = conn.execute(
                    sa.select(submissions_t.c.status, sa.func.count()).group_by(submissions_t.c.status)
                ).all()
        except sa.exc.SQLAlchemyError:
            log.warning("metrics: database unreachable")
            return []
        counts = {str(status): int(n) for status, n in rows}
        for status in SubmissionStatus:
            by_status.add_metric([status.value], counts.get(status.value, 0))
        depth.add_metric([], counts.get(SubmissionStatus.queued.value, 0))
        return [by_status, depth]


class Metrics:
    def __init__(self, engine: Engine) -> None:
        self.registry = CollectorRegistry()
        self.grading_seconds = Histogram(
            "rnn_grader_grading_seconds",
            "Wall time to grade one submission (claim to result)",
            ["exercise"],
            buckets=GRADING_BUCKETS,
            registry=self.registry,
        )
        self.diagnostics_seconds = Histogram(
            "rnn_grader_diagnostics_seconds",
            "Wall time to compute one result's optional diagnostics (after the result was written)",
            buckets=GRADING_BUCKETS,
            registry=self.registry,
        )
        self.gradings = Counter(
            "rnn_grader_gradings",
            "Grading attempts by result (graded, failed, retried, discarded, released)",
            ["result"],
            registry=self.registry,
        )
        self.requests = Counter(
            "rnn_grader_http_requests",
            "HTTP requests by route template and status code",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.request_seconds = Histogram(
            "rnn_grader_http_request_seconds", "HTTP request latency", ["method"], registry=self.registry
        )
        self.registry.register(_SubmissionsCollector(engine))

    def render(self) -> bytes:
        return generate_latest(self.registry)


class MetricsListener:
    """`/metrics` of one registry on its own address, in a daemon thread (prometheus_client's server)."""

    def __init__(self, metrics: Metrics, host: str, port: int) -> None:
        self._server: WSGIServer
        self._thread: threading.Thread
        self._server, self._thread = start_http_server(port, addr=host, registry=metrics.registry)
        self.port = int(self._server.server_address[1])
        log.info("metrics: http://%s:%d/metrics", host, self.port)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
