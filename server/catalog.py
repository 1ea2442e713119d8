"""The exercises this server offers, with the deadline and limit overrides from the settings applied."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass

from grader.exercise import Exercise, Limits
from server.config import ConfigError, Settings

log = logging.getLogger("rnn_grader.catalog")


@dataclass(frozen=True)
class Catalog:
    exercises: Mapping[str, Exercise]
    deadlines: Mapping[str, dt.datetime | None]
    limits: Mapping[str, Limits]

    def get(self, exercise_id: str) -> Exercise:
        try:
            return self.exercises[exercise_id]
        except KeyError:
            # Here, not at the top: grading worker processes use the catalog and never import FastAPI.
            from server.errors import ExerciseNotFound

            raise ExerciseNotFound(f"no exercise {exercise_id!r}") from None

    def is_late(self, exercise_id: str, at: dt.datetime) -> bool:
        deadline = self.deadlines.get(exercise_id)
        return deadline is not None and at > deadline


def _override(exercise_id: str, base: Limits, override: Mapping[str, float]) -> Limits:
    known = {f.name for f in dataclasses.fields(Limits)}
    unknown = sorted(set(override) - known)
    if unknown:
        raise ConfigError(f"RNN_GRADER_LIMITS for {exercise_id!r}: unknown limits {unknown}; known: {sorted(known)}")
    typed = {k: type(getattr(base, k))(v) for k, v in override.items()}
    return dataclasses.replace(base, **typed)


def build_catalog(exercises: Mapping[str, Exercise], settings: Settings) -> Catalog:
    for name in (*settings.deadlines, *settings.limits):
        if name not in exercises:
            log.warning("settings override for unknown exercise %r ignored", name)
    deadlines: dict[str, dt.datetime | None] = {}
    limits: dict[str, Limits] = {}
    for exercise_id, exercise in exercises.items():
        deadlines[exercise_id] = settings.deadlines.get(exercise_id, exercise.spec.deadline)
        limits[exercise_id] = _override(exercise_id, exercise.spec.limits, settings.limits.get(exercise_id, {}))
    return Catalog(exercises=dict(exercises), deadlines=deadlines, limits=limits)

