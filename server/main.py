"""`rnn-grader serve`: read the settings, migrate, say where the teacher token is, run uvicorn."""

from __future__ import annotations

import sys

import uvicorn

from grader.exercise import SpecError
from server.app import create_app
from server.bootstrap import configure_logging, describe, load_settings, migrated_engine
from server.config import ConfigError


def serve() -> None:
    configured, settings = load_settings()
    configure_logging(settings.log_level)
    migrated_engine(settings).dispose()
    for line in describe(configured, settings):
        print(f"rnn-grader: {line}", flush=True)
    try:
        app = create_app(settings, migrate=False)
    except (ConfigError, SpecError) as exc:
        print(f"rnn-grader: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        access_log=False,  # server.access_log writes one line per request
        log_config=None,
        timeout_graceful_shutdown=10,
        # Client address and scheme from X-Forwarded-For/-Proto, trusted only from these proxies.
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
    )
