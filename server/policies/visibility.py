"""How much of a result a student sees: one function, `student_view`, applied to every rendered submission a
student gets (the API, and through it the CLI; results.json; the student's pages), so no view can show more
than the exercise's visibility policy allows.

Levels per part (grader.policy.Visibility): `full` is the rendered result as it is; `summary` keeps each
test's outcome and points and, as feedback, only the named mistake (its catalogue title and hint, which
carry no numbers); `score_only` keeps the part's score and nothing else. Before the student's own deadline
(plus the grace) the policy's `before_deadline` level applies, after it `after_deadline` (default `full`).
The teacher always gets the full view.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from sqlmodel import Session

from grader.exercise import Exercise
from grader.policy import Visibility, VisibilityPolicy
from server.catalog import Catalog
from server.messages import LIKELY_MISTAKE, LIMITED_FEEDBACK
from server.models import PartPublic, Submission, SubmissionPublic
from server.policies.deadlines import after_deadline, extensions_of, own_deadline
from server.rendering import render_submission

log = logging.getLogger("rnn_grader.visibility")

LEVEL_WORDS = {
    Visibility.summary: {"en": "each test's outcome and points", "zh": "每个测试的结果与得分"},
    Visibility.score_only: {"en": "the score of each part", "zh": "每个部分的得分"},
}


def mistake_texts(exercise: Exercise | None, lang: str) -> dict[str, str]:
    """name -> "Likely mistake: title. hint" from the exercise's optional misconception_catalogue() hook
    (static catalogue text: no numbers from the run). A broken hook costs the texts, not the view."""
    catalogue = getattr(getattr(exercise, "hooks", None), "misconception_catalogue", None)
    if not callable(catalogue):
        return {}
    texts: dict[str, str] = {}
    try:
        items: Any = catalogue()
        for item in items:
            if not isinstance(item, Mapping) or "name" not in item:
                continue
            title, hint = item.get("title"), item.get("hint")
            title_text = title.get(lang) or title.get("en") if isinstance(title, Mapping) else title
            hint_text = hint.get(lang) or hint.get("en") if isinstance(hint, Mapping) else hint
            texts[str(item["name"])] = LIKELY_MISTAKE.get(lang).format(
                title=title_text or item["name"], hint=hint_text or ""
            ).strip()
    except Exception:
        log.exception("misconception_catalogue() of %s failed", getattr(exercise, "id", "?"))
        return {}
    return texts


def _limit_part(part: PartPublic, level: Visibility, mistakes: Mapping[str, str]) -> PartPublic:
    if level is Visibility.score_only:
        return part.model_copy(update={"feedback": "", "tests": [], "mistakes": []})
    # The part's grouped mistakes (catalogue title and hint, no numbers) stay; a test's own feedback is the
    # named mistake only when no grouping says it already.
    # Which outputs were right is feedback too: a test keeps its points, not their breakdown.
    tests = [
        test.model_copy(update={"feedback": "" if part.mistakes else
                                "\n".join(mistakes.get(m, m) for m in test.misconceptions), "credit": []})
        for test in part.tests
    ]
    return part.model_copy(update={"feedback": "", "tests": tests})


def student_view(
    view: SubmissionPublic, policy: VisibilityPolicy, after: bool, exercise: Exercise | None, lang: str
) -> SubmissionPublic:
    """The rendered submission cut down to what the policy shows a student now (`after`: their deadline
    has passed). Diagnostics (charts) are kept only when every part is shown in full."""
    levels = {part.name: policy.for_part(part.name).at(after) for part in view.parts}
    if all(level is Visibility.full for level in levels.values()):
        return view
    mistakes = mistake_texts(exercise, lang)
    parts = [part if levels[part.name] is Visibility.full else _limit_part(part, levels[part.name], mistakes)
             for part in view.parts]
    least = max(levels.values(), key=list(Visibility).index)
    note = LIMITED_FEEDBACK.get(lang).format(what=LEVEL_WORDS[least]["zh" if lang.startswith("zh") else "en"])
    feedback = "\n".join(filter(None, (view.feedback, note)))
    return view.model_copy(update={"parts": parts, "diagnostics": {}, "diagnostics_status": None,
                                   "feedback": feedback})


def visible_submissions(
    session: Session,
    catalog: Catalog,
    submissions: Iterable[Submission],
    lang: str,
    teacher: bool,
    now: dt.datetime,
) -> list[SubmissionPublic]:
    """Render these submissions for the caller: everything for the teacher, `student_view` for a student
    (their own deadline per exercise; one query for the extensions of each student)."""
    extensions: dict[str, dict[str, dt.datetime]] = {}
    out: list[SubmissionPublic] = []
    for sub in submissions:
        view = render_submission(sub, catalog, lang, teacher)
        policy = catalog.visibility_policy(sub.exercise)
        if teacher or policy.is_full:
            out.append(view)
            continue
        if sub.student_id not in extensions:
            extensions[sub.student_id] = extensions_of(session, sub.student_id)
        deadline = own_deadline(catalog, sub.exercise, extensions[sub.student_id]).deadline
        after = after_deadline(catalog, sub.exercise, deadline, now)
        out.append(student_view(view, policy, after, catalog.exercises.get(sub.exercise), lang))
    return out


def visible_submission(
    session: Session, catalog: Catalog, sub: Submission, lang: str, teacher: bool, now: dt.datetime
) -> SubmissionPublic:
    return visible_submissions(session, catalog, [sub], lang, teacher, now)[0]
