"""Stored rows -> response models, with every Text rendered in the requested language."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from pydantic import ValidationError

from grader.hints import LEVELS, unlocked
from grader.notebook import skipped_feedback
from grader.policy import counted_score
from grader.result import Mistake, Result
from server.catalog import Catalog
from server.messages import FAILED, LATE, LATE_PENALTY, QUEUED, RUNNING
from server.models import (
    DiagnosticsStatus,
    ExercisePartPublic,
    ExercisePublic,
    LatePolicyPublic,
    LimitsPublic,
    MistakePublic,
    NotebookPublic,
    OutputCreditPublic,
    PartPublic,
    SkippedCellPublic,
    Submission,
    SubmissionPublic,
    SubmissionStatus,
    SubmissionTeacher,
    TestPublic,
)

log = logging.getLogger("rnn_grader.rendering")

STATUS_MESSAGE = {SubmissionStatus.queued: QUEUED, SubmissionStatus.running: RUNNING, SubmissionStatus.failed: FAILED}


def _result(sub: Submission) -> Result | None:
    if sub.result is None:
        return None
    try:
        return Result.model_validate(sub.result)
    except ValidationError:
        log.error("submission=%s has a result this server cannot read", sub.id)
        return None


def _part_title(catalog: Catalog, exercise_id: str, part: str, lang: str) -> str:
    exercise = catalog.exercises.get(exercise_id)
    if exercise is None:
        return part
    try:
        return exercise.spec.part(part).title.get(lang)
    except KeyError:
        return part


def render_mistake(mistake: Mistake, lang: str) -> MistakePublic:
    """A named mistake with the hints of the level stored with it (grader.hints)."""
    hints = [h.get(lang) for h in unlocked(mistake.levels[:LEVELS], mistake.hint_level)]
    return MistakePublic(name=mistake.name, message=mistake.message.get(lang), hint=hints[-1],
                         tests=list(mistake.tests), hint_level=len(hints), hints=hints,
                         consecutive=max(1, mistake.consecutive))


def render_notebook(report: dict[str, Any] | None, lang: str) -> NotebookPublic | None:
    """The stored report of a notebook upload's skipped cells, each with its message in `lang`."""
    if not isinstance(report, dict):
        return None
    cells = [c for c in report.get("skipped") or [] if isinstance(c, dict)]
    # skipped_feedback() gives the rule first, then one line per cell in the same order.
    lines = skipped_feedback({"skipped": cells})[1:]
    return NotebookPublic(
        code_cells=int(report.get("code_cells") or 0),
        skipped=[
            SkippedCellPublic(cell=int(c.get("cell") or 0), whole=bool(c.get("whole")),
                              reasons=[r for r in c.get("reasons") or [] if isinstance(r, dict)],
                              message=line.get(lang))
            for c, line in zip(cells, lines, strict=True)
        ],
    )


def render_submission(sub: Submission, catalog: Catalog, lang: str, teacher: bool) -> SubmissionPublic:
    status = SubmissionStatus(sub.status)
    result = _result(sub)
    lines = []
    if status in STATUS_MESSAGE:
        lines.append(STATUS_MESSAGE[status].get(lang))
    if sub.late_penalty > 0:
        lines.append(LATE_PENALTY.get(lang).format(percent=f"{sub.late_penalty * 100:.4g}"))
    elif sub.late:
        lines.append(LATE.get(lang))
    lines.extend(t.get(lang) for t in skipped_feedback(sub.notebook))
    parts: list[PartPublic] = []
    if result is not None:
        lines.extend(t.get(lang) for t in result.feedback)
        parts = [
            PartPublic(
                name=p.name,
                title=_part_title(catalog, sub.exercise, p.name, lang),
                score=p.score,
                max_score=p.max_score,
                feedback="\n".join(t.get(lang) for t in p.feedback),
                tests=[
                    TestPublic(
                        name=t.name,
                        description=t.description.get(lang),
                        score=t.score,
                        max_score=t.max_score,
                        outcome=t.outcome,
                        feedback=t.feedback_text(lang),
                        misconceptions=list(t.misconceptions),
                        credit=[OutputCreditPublic(name=c.name, weight=c.weight, correct=c.correct) for c in t.credit],
                    )
                    for t in p.tests
                ],
                mistakes=[render_mistake(m, lang) for m in p.mistakes],
                credit="output" if p.credit == "output" else "test",
            )
            for p in result.parts
        ]
    assert sub.id is not None
    # A submission being regraded keeps counting with its last score (its counted score stays shown too).
    graded = (status is SubmissionStatus.graded or sub.regrading) and sub.score is not None
    public = SubmissionPublic(
        id=sub.id,
        student_id=sub.student_id,
        exercise=sub.exercise,
        status=status,
        score=sub.score if status is SubmissionStatus.graded or sub.regrading else None,
        max_score=sub.max_score,
        late=sub.late,
        regrade_pending=sub.regrading,
        late_penalty=sub.late_penalty,
        counted_score=counted_score(sub.score, sub.late_penalty) if graded and sub.score is not None else None,
        created_at=sub.created_at,
        graded_at=sub.graded_at,
        attempts=sub.attempts,
        grader_version=sub.grader_version,
        grading_ms=sub.grading_ms,
        feedback="\n".join(lines),
        parts=parts,
        diagnostics=dict(result.diagnostics) if result is not None else {},
        diagnostics_status=DiagnosticsStatus(sub.diagnostics_status) if sub.diagnostics_status else None,
        notebook=render_notebook(sub.notebook, lang),
    )
    if not teacher:
        return public
    return SubmissionTeacher.model_validate(
        {
            **dict(public),
            "output": result.output if result is not None else "",
            "sandbox_layers": dict(result.sandbox_layers) if result is not None else {},
            "last_error": sub.last_error,
        }
    )


def render_exercise(
    catalog: Catalog, exercise_id: str, lang: str, extension: dt.datetime | None = None
) -> ExercisePublic:
    """`extension`: the caller's own deadline when they have one (it replaces the exercise's)."""
    exercise = catalog.get(exercise_id)
    spec = exercise.spec
    limits = catalog.limits[exercise_id]
    late = catalog.late_policy(exercise_id)
    return ExercisePublic(
        id=spec.id,
        title=spec.title.get(lang),
        description=spec.description.get(lang),
        parts=[
            ExercisePartPublic(name=p.name, title=p.title.get(lang), function=p.function, points=p.points,
                               credit="output" if p.credit.per == "output" else "test",
                               credit_weights=dict(p.credit.weights))
            for p in spec.parts
        ],
        max_score=spec.max_score,
        deadline=extension if extension is not None else catalog.deadlines.get(exercise_id),
        exercise_deadline=catalog.deadlines.get(exercise_id),
        extended=extension is not None,
        late_policy=LatePolicyPublic(grace_minutes=late.grace_minutes, penalty_per_day=late.penalty_per_day,
                                     max_penalty=late.max_penalty, cutoff_days=late.cutoff_days),
        max_submissions=catalog.max_submissions.get(exercise_id),
        template_filename=spec.template_path.name,
        examples_filename=spec.public_examples_path.name,
        limits=LimitsPublic(
            cpu_time_limit_s=limits.cpu_time_limit_s,
            wall_time_limit_s=limits.wall_time_limit_s,
            memory_limit_mib=limits.memory_limit_mib,
            output_limit_kib=limits.output_limit_kib,
        ),
    )
