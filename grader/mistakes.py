"""One paragraph per named mistake and part: the grouping every view (JSON, CLI, pages) shows.

A failing test records the names of the catalogued mistakes that explain it (TestResult.misconceptions).
Written out on every test, one dropped term repeats the same paragraph eight times, so the part says it
once instead: the mistake with its hint and the tests it explains. The per-test lines keep what only that
test knows (which output, relative error, first wrong time step).

The names' titles and hints come from the exercise's optional `misconception_catalogue()` hook (a list of
dicts with `name`, `title` {en, zh} and `hint` {en, zh}; `title_en`/`title_zh` also read; optionally `hints`, a
list of {en, zh}: every level of the hint, level 1 first (grader.hints)). Each Mistake keeps every level; the
server decides which a student has reached (server.grading.hint_levels).

A part with wrong answers that no catalogued mistake explains (grader.mutants names precision first) says so,
and gives what the tests show instead (`unrecognised`): the first wrong output with its time step, and which
outputs are wrong across the failing tests. The exercise's patterns across tests follow.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from grader.compare import compare, label
from grader.exercise import Case, Part
from grader.hints import LEVELS
from grader.messages import msg
from grader.result import Mistake, Outcome, TestResult, Text

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Described:
    title: Text
    hint: Text
    # Every level of the hint, level 1 first; () when the catalogue gives only `hint`.
    hints: tuple[Text, ...] = ()


Catalogue = Mapping[str, Described]


def _text(item: Mapping[str, Any], key: str) -> Text | None:
    value = item.get(key)
    if isinstance(value, Mapping):
        en, zh = value.get("en"), value.get("zh")
    else:
        en, zh = item.get(f"{key}_en", value), item.get(f"{key}_zh")
    if not en and not zh:
        return None
    return Text(en=str(en or zh), zh=str(zh or en))


def _level(value: Any) -> Text | None:
    """One level of a `hints` list: {en, zh} (one language missing takes the other's text)."""
    if not isinstance(value, Mapping):
        return None
    return _text({"level": value}, "level")


def catalogue_of(hooks: ModuleType | object | None) -> dict[str, Described]:
    """name -> title and hint from the hook; {} when there is none. A broken hook costs the paragraphs'
    wording (the names still group), never a grading."""
    hook = getattr(hooks, "misconception_catalogue", None)
    if not callable(hook):
        return {}
    try:
        found: dict[str, Described] = {}
        for item in hook():
            if not isinstance(item, Mapping) or "name" not in item:
                continue
            name = str(item["name"])
            title = _text(item, "title") or Text(en=name, zh=name)
            levels = tuple(t for t in (_level(level) for level in item.get("hints") or ()) if t is not None)[:LEVELS]
            hint = _text(item, "hint") or (levels[0] if levels else Text(en="", zh=""))
            found[name] = Described(title=title, hint=hint, hints=levels)
        return found
    except Exception:
        log.exception("misconception_catalogue() failed")
        return {}


def group_mistakes(tests: Sequence[TestResult], catalogue: Catalogue) -> list[Mistake]:
    """The named mistakes of one part, in the order the tests first show them, each with the tests it
    explains (in test order, each once)."""
    order: dict[str, list[str]] = {}
    for test in tests:
        for name in test.misconceptions:
            explained = order.setdefault(name, [])
            if test.name not in explained:
                explained.append(test.name)
    out = []
    for name, explained in order.items():
        described = catalogue.get(name) or Described(Text(en=name, zh=name), Text(en="", zh=""))
        out.append(Mistake(name=name, message=msg("mistake", title=described.title),
                           hint=described.hint, tests=explained, hints=list(described.hints)))
    return out


def unrecognised(part: Part, failing: Sequence[tuple[Case, TestResult, Any, Any]],
                 says_none_named: bool = True) -> list[Text]:
    """What to say about a part whose wrong answers no catalogued mistake explains. `failing` holds the
    part's tests with a wrong answer: (case, result, the student's decoded answer, the reference's).
    `says_none_named=False` when a mistake was named another way (the harness's): the diagnostics only."""
    comparisons = [(case, compare(value, expected, part, dict(case.facts)))
                   for case, test, value, expected in failing if test.outcome is Outcome.wrong_answer]
    comparisons = [(case, c) for case, c in comparisons if c.mismatches]
    if not comparisons:
        return []  # no answer to describe: each test's own message says what went wrong
    # The first wrong output of the first failing test, preferring one that says where along time it goes
    # wrong (a single-step test cannot).
    case, mismatch = next(((c, m) for c, comparison in comparisons for m in comparison.mismatches[:1] if m.where),
                          (comparisons[0][0], comparisons[0][1].mismatches[0]))
    texts = [*([msg("mistake_not_recognised")] if says_none_named else []),
             msg("unrecognised_first", what=label(part.function, mismatch.path), test=case.name,
                 where=mismatch.where or Text(en="", zh=""))]
    counts: dict[str, int] = {}  # in the order compare meets them: the reference's order of outputs
    for _case, comparison in comparisons:
        for output in dict.fromkeys(m.path.split(".")[0] for m in comparison.mismatches):
            counts[output] = counts.get(output, 0) + 1
    shown = [f"{o or part.function + '()'} ({n})" for o, n in counts.items()]
    texts.append(msg("unrecognised_outputs", failing=len(comparisons),
                     outputs=Text(en=", ".join(shown), zh="、".join(shown))))
    return texts
