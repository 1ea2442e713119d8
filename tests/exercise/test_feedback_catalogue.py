"""The misconception catalogue and the feedback texts of reference.rnn_feedback are complete in English and
Chinese, and every mutant is valid student code (NumPy only)."""

from __future__ import annotations

import ast
import json
import string

from reference import rnn_feedback
from reference.rnn_chart import chart, chart_cases
from reference.rnn_mutants import BASE_SOURCE, MISCONCEPTIONS, base_function_source


def _cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_misconception_has_a_title_and_a_hint_in_both_languages() -> None:
    assert len(MISCONCEPTIONS) >= 15
    for m in MISCONCEPTIONS:
        for t in (m.title, m.hint):
            assert t.en.strip() and t.zh.strip(), m.name
            assert _cjk(t.zh), m.name  # really Chinese, not a copy of the English text
            assert not _cjk(t.en), m.name
        assert m.part in ("forward", "backward", "clip", "any"), m.name
        assert m.name.startswith(f"{m.part}.") or m.part == "any", m.name
        assert m.variants, m.name  # every mistake can be submitted as code (tests/test_misconceptions.py)


def test_every_feedback_message_exists_in_both_languages_with_the_same_placeholders() -> None:
    for key, entry in rnn_feedback.CATALOG.items():
        assert set(entry) == {"en", "zh"}, key
        assert entry["en"].strip() and entry["zh"].strip(), key
        assert _fields(entry["en"]) == _fields(entry["zh"]), key
        assert _cjk(entry["zh"]) and not _cjk(entry["en"]), key


def test_the_teacher_catalogue_is_plain_json_with_both_languages() -> None:
    entries = rnn_feedback.misconception_catalogue()
    assert [e["name"] for e in entries] == [m.name for m in MISCONCEPTIONS]
    for e in entries:
        assert set(e["title"]) == {"en", "zh"} and set(e["hint"]) == {"en", "zh"}
        assert e["detected_by"] in ("mutant", "harness")
    assert next(e for e in entries if e["name"] == "mutates_inputs")["detected_by"] == "harness"
    json.dumps(entries, ensure_ascii=False)


def test_every_mutant_is_numpy_only_student_code_of_the_right_function() -> None:
    ast.parse(BASE_SOURCE)
    for m in MISCONCEPTIONS:
        for v in m.variants:
            tree = ast.parse(v.source)
            assert [type(n) for n in tree.body] == [ast.FunctionDef], m.name
            fn = tree.body[0]
            assert isinstance(fn, ast.FunctionDef) and fn.name == v.function, m.name
            base_args = ast.parse(base_function_source(v.function)).body[0]
            assert isinstance(base_args, ast.FunctionDef)
            assert ast.dump(fn.args) == ast.dump(base_args.args), m.name
            names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
            assert not any(isinstance(n, ast.Import | ast.ImportFrom) for n in ast.walk(tree)), m.name
            assert "open" not in names and "__import__" not in names, m.name
            assert v.source != base_function_source(v.function), m.name
            assert callable(v.run)


def test_the_chart_labels_are_bilingual_or_language_neutral() -> None:
    cases = chart_cases()
    (data,) = chart([None] * len(cases), [None] * len(cases), cases).charts
    texts = [data.title, data.x_label, data.y_label, *data.notes,
             *(p.title for p in data.panels), *(s.label for p in data.panels for s in p.series)]
    for text in texts:
        assert text.en.strip() and text.zh.strip() and not _cjk(text.en)
    assert data.y_label.en == data.y_label.zh == "‖∂L/∂h_t‖" and data.x_label.en == "t"
    assert [s.label.zh for s in data.panels[0].series] == ["参考答案", "你的结果：没有返回有效的 dL/dh0"]
