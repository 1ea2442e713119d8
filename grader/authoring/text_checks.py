"""The `texts` check of `exercise validate`: every student-facing string exists in English and Chinese, and every
named mistake's hint has the three levels a student unlocks by repeating it (grader.hints: what is wrong, where,
a worked 1x1 example), level 1 being the mistake's `hint`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from grader.authoring.report import Check
from grader.exercise import Exercise
from grader.hints import LEVELS
from grader.procedure import expected_outputs
from grader.result import Text


def _has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def _bilingual(text: Text) -> bool:
    """Both languages present, the English without Chinese characters (a student reading English gets English),
    and the Chinese really Chinese unless the text is only symbols and numbers."""
    has_words = any(len(w) >= 3 and w.isalpha() and w.isascii() for w in text.en.replace("_", " ").split())
    return bool(text.en.strip() and text.zh.strip()) and not _has_cjk(text.en) and (
        _has_cjk(text.zh) or not has_words)


def _texts_of(value: Any, where: str) -> list[tuple[str, Text]]:
    """Every Text (or {"en", "zh"} dict) inside a value, with where it was found."""
    if isinstance(value, Text):
        return [(where, value)]
    if isinstance(value, Mapping):
        if set(value) >= {"en", "zh"} and all(isinstance(value[k], str) for k in ("en", "zh")):
            return [(where, Text(en=value["en"], zh=value["zh"]))]
        return [t for k, v in value.items() for t in _texts_of(v, f"{where}.{k}")]
    if isinstance(value, list | tuple):
        return [t for i, v in enumerate(value) for t in _texts_of(v, f"{where}[{i}]")]
    if hasattr(value, "model_dump"):
        return _texts_of(value.model_dump(), where)
    return []


def hint_level_problems(entries: Sequence[Mapping[str, Any]]) -> list[str]:
    """What keeps each catalogue item (an ExerciseHooks.misconception_catalogue() item) from having the three
    levels of grader.hints: `hints` with LEVELS levels, level 1 equal to `hint`, each level saying something new.
    Their languages are checked with every other text."""
    problems = []
    for entry in entries:
        where = f"misconception_catalogue() {entry.get('name', '?')}"
        hints = entry.get("hints")
        if not isinstance(hints, list):
            hints = [entry.get("hint")]  # without `hints`, the hint is the only level
        count = len(hints)
        if count != LEVELS:
            problems.append(f"{where}: {count} of {LEVELS} hint levels; give level 2 (where) and level 3 (a worked "
                            "1x1 example) as grader.hints.HintLevels (docs/feedback.md)")
        elif hints[0] != entry.get("hint"):
            problems.append(f"{where}: hint level 1 is not the mistake's hint")
        elif len({str(level.get("en")) if isinstance(level, Mapping) else "" for level in hints}) != LEVELS:
            problems.append(f"{where}: two hint levels say the same")
    return problems


def check_texts(exercise: Exercise) -> Check:
    """Every student-facing string in English and Chinese: titles, descriptions, case descriptions, named
    mistakes (title and every level of the hint), the feedback module's messages and the chart's words; and
    three hint levels for every named mistake."""
    spec, hooks = exercise.spec, exercise.hooks
    found = [("title", spec.title), ("description", spec.description)]
    found += [(f"parts.{p.name}.title", p.title) for p in spec.parts]
    found += [(f"case {c.name}", c.description) for c in exercise.public_cases() + exercise.hidden_cases(0)]
    mistakes = list(hooks.misconception_catalogue())
    for entry in mistakes:
        found += _texts_of(entry, f"misconception_catalogue() {entry.get('name', '?')}")
    catalog = getattr(exercise.hooks_module, "CATALOG", None)
    if isinstance(catalog, Mapping):
        found += _texts_of(catalog, "CATALOG")
    chart_cases = [c for c in hooks.chart_cases() if not c.scored]
    if chart_cases:
        expected = expected_outputs(exercise, chart_cases)
        found += _texts_of(hooks.chart(list(expected), expected, chart_cases).charts, "chart")
    missing = [f"{where}: {text.en[:60]!r} / {text.zh[:30]!r}" for where, text in found if not _bilingual(text)]
    levels = hint_level_problems(mistakes)
    summary = f"{len(found)} student-facing texts"
    if missing or levels:
        what = [f"{len(missing)} of {summary} lack English or Chinese"] if missing else []
        what += [f"{len(levels)} of {len(mistakes)} named mistakes lack their {LEVELS} hint levels"] if levels else []
        return Check.failed("texts", "; ".join(what), missing + levels)
    return Check.passed("texts", f"{summary}, each in English and Chinese; {len(mistakes)} named mistakes, each with "
                                 f"{LEVELS} hint levels")
