"""The real grader of a grading slot: a Grader with its own sandbox zygote (a Grader is not thread-safe)."""

from __future__ import annotations

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
