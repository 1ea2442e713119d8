"""The real grader of a grading slot: a Grader with its own sandbox zygote (a Grader is not thread-safe), and
the CPU priority of a grading process."""

from __future__ import annotations

import logging
import os

from grader.grade import Grader
from server.catalog import Catalog
from server.config import Settings
from server.grading.protocol import GraderFactory, GraderLike


def default_grader_factory(catalog: Catalog, settings: Settings | None = None) -> GraderFactory:
    """A real Grader per worker thread; RNN_GRADER_SANDBOX_REQUIRED overrides the sandbox's required layers
    (docs/deployment.md: what a container can offer)."""
    required = settings.sandbox_required_layers if settings is not None else None

    def make() -> GraderLike:
        if required is None:
            return Grader(catalog.exercises, limits=catalog.limits)
        from grader.sandbox import Sandbox

        return Grader(catalog.exercises, runner=Sandbox(required=required), limits=catalog.limits)

    return make


def lower_priority(settings: Settings) -> None:
    """A grading process (and the sandbox children it forks, which inherit it) runs RNN_GRADER_GRADING_NICE
    below the API: on a shared host a deadline's backlog then waits in the queue, and the API still answers
    every POST at once. Only contention is affected: an idle host grades at full speed."""
    if settings.grading_nice <= 0:
        return
    try:
        os.nice(settings.grading_nice)
    except OSError as exc:  # pragma: no cover - not permitted here: grade at the normal priority
        logging.getLogger("rnn_grader.grading").warning("cannot lower the grading priority: %s", exc)
