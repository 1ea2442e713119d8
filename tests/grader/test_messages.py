"""The feedback catalogue is complete in both languages."""

from __future__ import annotations

from language_checks import assert_bilingual

from grader.messages import CATALOG


def test_every_message_exists_in_english_and_chinese_with_the_same_placeholders() -> None:
    assert len(CATALOG) >= 20
    assert_bilingual(CATALOG, optional_fields={"good"})


def test_every_gradcheck_message_exists_in_english_and_chinese_with_the_same_placeholders() -> None:
    from grader.gradcheck_text import CATALOG as GRADCHECK

    assert_bilingual(GRADCHECK)
