"""Which level of its hint each named mistake of a new result shows (grader.hints), decided once, in the
transaction that writes the result, and stored with it (Mistake.hint_level, Mistake.consecutive): a result
never changes level afterwards, whatever the student submits later or the teacher changes in the policy.

How it is counted (docs/feedback.md, "Hints that grow"):
- a mistake is a (part, name) pair; `consecutive` is the number of graded submissions in a row, of the same
  student and exercise, that named it in that part, this one included;
- "in a row" follows submission order (id) among the submissions whose result counts at the moment of the
  write (graded, or graded and waiting for a regrade): the earlier result it chains to is the newest of them
  that says something about the part. A part says nothing when it could not name a mistake: none of its tests
  was compared (a syntax error, every test crashed or ran out of time) or one crashed (naming is then off).
  Those submissions neither extend nor break a run; any other result that does not name the mistake there
  (fixed, or another mistake) breaks it;
- the earlier result's own stored `consecutive` is trusted, so one earlier result is read in the usual case
  (at most LOOKBACK of them when parts said nothing);
- a regrade keeps the level and count a mistake already had in this submission's result; a mistake the regrade
  names for the first time in it is counted as above, from the earlier results as they are stored now.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from grader.hints import HintPolicy
from grader.result import Mistake, Result
from server.scoreboard.cache import has_counted_result
from server.tables import submissions_t

# Earlier results read at most, newest first, to find one that says something about a part.
LOOKBACK = 50
PAGE = 8
JUDGED = frozenset({"passed", "wrong_answer"})
MAX_CONSECUTIVE = 10_000  # a stored count is data: bound what is trusted


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_CONSECUTIVE else 1


def _named(part: Mapping[str, Any]) -> dict[str, Mistake | int]:
    """name -> the stored mistake (its level and count), or 1 for a name only the tests carry (a result stored
    before mistakes were grouped)."""
    found: dict[str, Mistake | int] = {}
    for test in part.get("tests") or ():
        for name in test.get("misconceptions") or ():
            found[str(name)] = 1
    for item in part.get("mistakes") or ():
        try:
            found[str(item["name"])] = Mistake.model_validate(item)
        except (KeyError, TypeError, ValueError):
            continue
    return found


def _says_something(part: Mapping[str, Any]) -> bool:
    if _named(part):
        return True
    outcomes = {test.get("outcome") for test in part.get("tests") or ()}
    return bool(outcomes & JUDGED) and "runtime_error" not in outcomes


def _parts(result: Any) -> dict[str, Mapping[str, Any]]:
    if not isinstance(result, Mapping):
        return {}
    return {str(p.get("name")): p for p in result.get("parts") or () if isinstance(p, Mapping)}


def _earlier(conn: sa.Connection, student_id: str, exercise: str, before_id: int,
             parts: set[str]) -> dict[str, dict[str, int]]:
    """part -> {name: consecutive} of the newest earlier counted result that says something about the part."""
    found: dict[str, dict[str, int]] = {}
    last, read = before_id, 0
    while parts - set(found) and read < LOOKBACK:
        rows = conn.execute(
            sa.select(submissions_t.c.id, submissions_t.c.result)
            .where(submissions_t.c.student_id == student_id, submissions_t.c.exercise == exercise,
                   submissions_t.c.id < last, has_counted_result())
            .order_by(submissions_t.c.id.desc())
            .limit(1 if read == 0 else PAGE)  # the previous result nearly always decides
        ).all()
        if not rows:
            break
        for row_id, stored in rows:
            last, read = int(row_id), read + 1
            for name, part in _parts(stored).items():
                if name in parts and name not in found and _says_something(part):
                    found[name] = {n: m.consecutive if isinstance(m, Mistake) else 1 for n, m in _named(part).items()}
    return {name: {n: _count(c) for n, c in named.items()} for name, named in found.items()}


def _kept(conn: sa.Connection, submission_id: int) -> dict[tuple[str, str], tuple[int, int]]:
    """(part, name) -> (level, consecutive) of the mistakes this submission's stored result has (a regrade)."""
    stored = conn.execute(sa.select(submissions_t.c.result).where(submissions_t.c.id == submission_id)).scalar()
    return {(part_name, name): (m.hint_level, _count(m.consecutive))
            for part_name, part in _parts(stored).items()
            for name, m in _named(part).items() if isinstance(m, Mistake)}


def assign_hint_levels(conn: sa.Connection, submission_id: int, student_id: str, exercise: str, result: Result,
                       policy: HintPolicy) -> Result:
    """The result with each named mistake's hint level and count set (inside the caller's transaction)."""
    wanted = {part.name for part in result.parts if part.mistakes}
    if not wanted:
        return result
    kept = _kept(conn, submission_id)
    earlier = _earlier(conn, student_id, exercise, submission_id, wanted)
    parts = []
    for part in result.parts:
        mistakes = []
        for m in part.mistakes:
            if (part.name, m.name) in kept:
                level, consecutive = kept[(part.name, m.name)]
            else:
                consecutive = earlier.get(part.name, {}).get(m.name, 0) + 1
                level = policy.level(consecutive, len(m.levels))
            level = max(1, min(level, len(m.levels)))
            mistakes.append(m.model_copy(update={"hint_level": level, "consecutive": consecutive}))
        parts.append(part.model_copy(update={"mistakes": mistakes}))
    return result.model_copy(update={"parts": parts})
