"""GET /api/v1/submissions/{id}/results.json: a graded submission in Gradescope's autograder format, so
existing tooling (LMS importers, Gradescope-style dashboards) can consume it. Owner or teacher.

`score` is the counted score (after any late penalty; the raw one is in extra_data). A student's copy follows
the exercise's visibility policy (server.policies.visibility) like every other student view; the teacher's
is complete."""

from __future__ import annotations

from fastapi import APIRouter

from grader.hints import labelled, reached
from server.deps import ContextDep, LangDep, PrincipalDep, SessionDep, SubmissionOfCurrentUser
from server.errors import AppError, SubmissionNotFound, error_responses
from server.models import GradescopeResults, GradescopeTest, SubmissionStatus
from server.policies.visibility import visible_submission
from server.refusals import refusal

router = APIRouter(prefix="/submissions", tags=["submissions"])


class NotGradedYet(AppError):
    status_code = 409
    default_detail = "the submission has no result yet (queued, running or failed)"
    default_zh = "此提交还没有评测结果（排队中、评测中或评测失败）"


@router.get(
    "/{submission_id}/results.json",
    response_model=GradescopeResults,
    summary="A graded submission as a Gradescope results.json (score, tests[], output); owner or teacher",
    responses=error_responses(SubmissionNotFound, NotGradedYet),
)
def get_results_json(
    submission: SubmissionOfCurrentUser, principal: PrincipalDep, ctx: ContextDep, session: SessionDep, lang: LangDep
) -> GradescopeResults:
    if (submission.status != SubmissionStatus.graded.value and not submission.regrading) or submission.score is None:
        raise NotGradedYet(refusal("not_graded_yet", id=submission.id, status=submission.status))
    view = visible_submission(session, ctx.catalog, submission, lang, principal.is_teacher, ctx.clock())
    tests: list[GradescopeTest] = []
    for k, part in enumerate(view.parts, start=1):
        for j, test in enumerate(part.tests, start=1):
            tests.append(GradescopeTest(
                name=test.name,
                number=f"{k}.{j}",
                score=test.score,
                max_score=test.max_score,
                status="passed" if test.outcome == "passed" else "failed",
                output=test.feedback,
                tags=[part.name],
                extra_data={"description": test.description, "part": part.title, "outcome": test.outcome.value,
                            "misconceptions": list(test.misconceptions),
                            # Credit per output: which outputs earned the test's (partial) score.
                            **({"credit": [c.model_dump() for c in test.credit]} if test.credit else {})},
            ))
    assert view.score is not None and view.counted_score is not None
    # Each part's named mistakes once, above the tests (the tests' own output says what is specific to them),
    # with the hints of the level stored with the result (grader.hints).
    mistakes = [" ".join(filter(None, (f"{part.title}: {m.message}", *labelled(m.hints or [m.hint], lang),
                                       reached(m.hint_level, m.consecutive, lang), f"({', '.join(m.tests)})")))
                for part in view.parts for m in part.mistakes]
    # What a part says across its tests (a mistake not recognised, the first wrong output, patterns).
    mistakes += [f"{part.title}: {part.feedback}" for part in view.parts if part.feedback]
    penalty = {"raw_score": view.score, "late_penalty": view.late_penalty} if view.late_penalty > 0 else {}
    # The parts whose tests give credit per output (then each such test's extra_data lists its outputs).
    per_output = [part.name for part in view.parts if part.credit == "output"]
    credit = {"credit_per_output": per_output} if per_output else {}
    # The named mistakes with the level of their hint (the output above says them in words).
    levels = [{"part": part.name, "name": m.name, "hint_level": m.hint_level, "consecutive": m.consecutive}
              for part in view.parts for m in part.mistakes]
    named = {"mistakes": levels} if levels else {}
    return GradescopeResults(
        score=view.counted_score,
        execution_time=round((submission.grading_ms or 0.0) / 1000, 3),
        output="\n".join(line for line in (view.feedback, *mistakes) if line),
        tests=tests,
        extra_data={"submission_id": view.id, "exercise": view.exercise, "max_score": view.max_score,
                    "late": view.late, "graded_at": view.graded_at.isoformat() if view.graded_at else None, **penalty,
                    **credit, **named},
    )
