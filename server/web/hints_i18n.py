"""The labels of a named mistake's hint levels on the pages (grader.hints), taken from the grader's message
catalogue so that the pages, the CLI and results.json say the same words."""

from __future__ import annotations

from grader.messages import CATALOG

HINT_MESSAGES: dict[str, dict[str, str]] = {
    key: CATALOG[key] for key in ("hint_level_1", "hint_level_2", "hint_level_3", "hint_reached")
}
