"""The exercises this server offers, with the deadline, limit and policy overrides from the settings applied
(RNN_GRADER_DEADLINES, _LIMITS, _LATE_POLICY, _MAX_SUBMISSIONS, _VISIBILITY, _HINTS; docs/policies.md)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass

from grader.exercise import Exercise, Limits
from grader.hints import HintPolicy, parse_hint_policy
from grader.policy import LatePolicy, VisibilityPolicy, parse_late_policy, parse_max_submissions, parse_visibility
from grader.times import zone_of
from server.config import ConfigError, Settings
from server.refusals import refusal

log = logging.getLogger("rnn_grader.catalog")


@dataclass(frozen=True)
class Catalog:
    exercises: Mapping[str, Exercise]
    deadlines: Mapping[str, dt.datetime | None]
    limits: Mapping[str, Limits]
    late_policies: Mapping[str, LatePolicy] = dataclasses.field(default_factory=dict)
    max_submissions: Mapping[str, int | None] = dataclasses.field(default_factory=dict)
    visibility: Mapping[str, VisibilityPolicy] = dataclasses.field(default_factory=dict)
    hints: Mapping[str, HintPolicy] = dataclasses.field(default_factory=dict)
    # The course's time zone (RNN_GRADER_TIMEZONE): every time shown to a person is shown in it (grader.times).
    zone: dt.tzinfo = dt.UTC

    def get(self, exercise_id: str) -> Exercise:
        try:
            return self.exercises[exercise_id]
        except KeyError:
            # Here, not at the top: grading worker processes use the catalog and never import FastAPI.
            from server.errors import ExerciseNotFound

            raise ExerciseNotFound(refusal("no_exercise", exercise=exercise_id)) from None

    def is_late(self, exercise_id: str, at: dt.datetime) -> bool:
        """Against the exercise's deadline (plus its grace); a student's extension is applied by
        server.policies.deadlines, which calls late_policy() with the student's own deadline."""
        return self.late_policy(exercise_id).is_late(self.deadlines.get(exercise_id), at)

    def late_policy(self, exercise_id: str) -> LatePolicy:
        return self.late_policies.get(exercise_id, LatePolicy())

    def visibility_policy(self, exercise_id: str) -> VisibilityPolicy:
        return self.visibility.get(exercise_id, VisibilityPolicy())

    def hint_policy(self, exercise_id: str) -> HintPolicy:
        return self.hints.get(exercise_id, HintPolicy())


def _override(exercise_id: str, base: Limits, override: Mapping[str, float]) -> Limits:
    known = {f.name for f in dataclasses.fields(Limits)}
    unknown = sorted(set(override) - known)
    if unknown:
        raise ConfigError(f"RNN_GRADER_LIMITS for {exercise_id!r}: unknown limits {unknown}; known: {sorted(known)}")
    typed = {k: type(getattr(base, k))(v) for k, v in override.items()}
    return dataclasses.replace(base, **typed)


def _policies(exercise: Exercise, settings: Settings) -> tuple[LatePolicy, int | None, VisibilityPolicy]:
    """The spec's policies with this exercise's overrides applied; a bad override is a ConfigError."""
    spec = exercise.spec
    late, cap, visibility = spec.late_policy, spec.max_submissions, spec.visibility
    try:
        if exercise.id in settings.late_policy:
            late = parse_late_policy(settings.late_policy[exercise.id], late)
    except ValueError as exc:
        raise ConfigError(f"RNN_GRADER_LATE_POLICY for {exercise.id!r}: {exc}") from None
    try:
        if exercise.id in settings.max_submissions:
            cap = parse_max_submissions(settings.max_submissions[exercise.id])
    except ValueError as exc:
        raise ConfigError(f"RNN_GRADER_MAX_SUBMISSIONS for {exercise.id!r}: {exc}") from None
    try:
        if exercise.id in settings.visibility:
            names = tuple(p.name for p in spec.parts)
            visibility = parse_visibility(settings.visibility[exercise.id], names, visibility)
    except ValueError as exc:
        raise ConfigError(f"RNN_GRADER_VISIBILITY for {exercise.id!r}: {exc}") from None
    return late, cap, visibility


def _hint_policy(exercise: Exercise, settings: Settings) -> HintPolicy:
    if exercise.id not in settings.hints:
        return exercise.spec.hints
    try:
        return parse_hint_policy(settings.hints[exercise.id], exercise.spec.hints)
    except ValueError as exc:
        raise ConfigError(f"RNN_GRADER_HINTS for {exercise.id!r}: {exc}") from None


def build_catalog(exercises: Mapping[str, Exercise], settings: Settings) -> Catalog:
    for name in (*settings.deadlines, *settings.limits, *settings.late_policy, *settings.max_submissions,
                 *settings.visibility, *settings.hints):
        if name not in exercises:
            log.warning("settings override for unknown exercise %r ignored", name)
    deadlines: dict[str, dt.datetime | None] = {}
    limits: dict[str, Limits] = {}
    late_policies: dict[str, LatePolicy] = {}
    caps: dict[str, int | None] = {}
    visibility: dict[str, VisibilityPolicy] = {}
    hints: dict[str, HintPolicy] = {}
    for exercise_id, exercise in exercises.items():
        deadlines[exercise_id] = settings.deadlines.get(exercise_id, exercise.spec.deadline)
        limits[exercise_id] = _override(exercise_id, exercise.spec.limits, settings.limits.get(exercise_id, {}))
        late_policies[exercise_id], caps[exercise_id], visibility[exercise_id] = _policies(exercise, settings)
        hints[exercise_id] = _hint_policy(exercise, settings)
    return Catalog(exercises=dict(exercises), deadlines=deadlines, limits=limits, late_policies=late_policies,
                   max_submissions=caps, visibility=visibility, hints=hints, zone=zone_of(settings.timezone))

