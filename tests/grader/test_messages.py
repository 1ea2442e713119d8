"""The feedback catalogue is complete in both languages."""

from __future__ import annotations

import string

from grader.messages import CATALOG


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_message_exists_in_english_and_chinese_with_the_same_placeholders() -> None:
    assert len(CATALOG) >= 20
    for key, entry in CATALOG.items():
        assert set(entry) == {"en", "zh"}, key
        assert entry["en"].strip() and entry["zh"].strip(), key
        assert _fields(entry["en"]) <= _fields(entry["zh"]) | {"good"}, key
        # the Chinese text is really Chinese, not a copy of the English one
        assert any("\u4e00" <= ch <= "\u9fff" for ch in entry["zh"]), key


def test_every_gradcheck_message_exists_in_english_and_chinese_with_the_same_placeholders() -> None:
    from grader.gradcheck_text import CATALOG as GRADCHECK

    for key, entry in GRADCHECK.items():
        assert set(entry) == {"en", "zh"}, key
        assert entry["en"].strip() and entry["zh"].strip(), key
        assert _fields(entry["en"]) == _fields(entry["zh"]), key
        assert any("\u4e00" <= ch <= "\u9fff" for ch in entry["zh"]), key
