"""Comparison order and messages: None -> type -> shape -> dtype -> non-finite -> closeness."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from grader.compare import allclose, compare, relative_error
from grader.exercise import Part
from grader.result import Text
from grader.wire import Opaque

PART = Part(
    name="forward", function="f", points=10, rtol=1e-6, atol=1e-8, title=Text(en="f", zh="f"),
    outputs=("y", "h"), time_major=("y", "h"), shapes={"y": "T, B, O", "h": "T, B, H"},
)
FACTS = {"T": 5, "B": 2, "O": 3, "H": 4}
REF = (np.linspace(0.1, 1, 30).reshape(5, 2, 3), np.linspace(-1, 1, 40).reshape(5, 2, 4))


def _kinds(student: Any, reference: Any = REF, part: Part = PART) -> list[str]:
    return [m.kind for m in compare(student, reference, part, FACTS).mismatches]


def _text(student: Any, reference: Any = REF, part: Part = PART) -> str:
    return " | ".join(m.message.en for m in compare(student, reference, part, FACTS).mismatches)


def test_exact_and_within_tolerance_pass() -> None:
    assert compare(REF, REF, PART, FACTS).ok
    y, h = REF
    assert compare((y * (1 + 1e-9), list(REF)[1]), REF, PART, FACTS).ok
    assert compare([y, h], REF, PART, FACTS).ok  # a list is accepted where a tuple is expected


def test_none_is_named_first() -> None:
    assert _kinds(None) == ["none"]
    assert "return" in _text((None, REF[1]))


def test_type_errors_name_what_was_expected() -> None:
    assert _kinds(Opaque("Tensor")) == ["type"]
    assert _kinds((REF[0].tolist(), REF[1])) == ["type"]
    assert _kinds((REF[0],)) == ["length"]
    assert "(y, h)" in _text((REF[0],))
    assert "Tensor" in _text(Opaque("Tensor"))


def test_shapes_are_named_in_symbols_not_hidden_sizes() -> None:
    text = _text((REF[0].transpose(1, 0, 2), REF[1]))
    assert "(T, B, O)" in text and "(B, T, O)" in text
    assert "5" not in text and "2," not in text
    too_big = (Opaque("ndarray", shape=(10**9,), dtype="float64"), REF[1])
    assert _kinds(too_big) == ["shape"] and "(T, B, O)" in _text(too_big)


def test_dtype_before_values() -> None:
    y32 = REF[0].astype(np.float32)
    assert _kinds((y32, REF[1])) == ["dtype"]
    assert "float32" in _text((y32, REF[1]))
    assert _kinds((REF[0].astype(np.int64), REF[1])) == ["dtype"]


def test_non_finite_before_closeness_and_where_in_time() -> None:
    y = REF[0].copy()
    y[3, 1, 2] = np.nan
    assert _kinds((y, REF[1])) == ["non_finite"]
    assert "NaN" in _text((y, REF[1])) and "t=4" in _text((y, REF[1]))
    y[3, 1, 2] = np.inf
    assert "inf" in _text((y, REF[1]))


def test_not_close_reports_relative_error_and_first_wrong_step() -> None:
    h = REF[1].copy()
    h[2:] *= 1.01
    mismatches = compare((REF[0], h), REF, PART, FACTS).mismatches
    assert [m.kind for m in mismatches] == ["not_close"]
    assert mismatches[0].rel_error == pytest.approx(relative_error(h, REF[1], PART.atol))
    assert "t=3" in mismatches[0].message.en and "t=3" in mismatches[0].message.zh


def test_backward_direction_counts_from_the_end() -> None:
    part = Part(name="backward", function="g", points=1, rtol=1e-6, atol=1e-8, title=Text(en="g", zh="g"),
                time_major=("x",), time_direction="backward")
    ref = {"x": np.linspace(1, 2, 10).reshape(5, 2), "W": np.eye(2)}
    x = ref["x"].copy()
    x[:3] += 0.5  # the last two steps are right, as when the carried dh is lost
    text = " ".join(m.message.en for m in compare({"x": x, "W": np.eye(2)}, ref, part, {}).mismatches)
    assert "last 2 time step" in text


def test_dict_keys_missing_and_scalars() -> None:
    part = Part(name="clip", function="clip", points=1, rtol=1e-6, atol=1e-8, title=Text(en="c", zh="c"),
                outputs=("clipped", "total_norm"))
    ref = ({"a": np.ones(2), "b": np.zeros(3)}, 3.0)
    assert compare(({"a": np.ones(2), "b": np.zeros(3)}, np.float64(3.0)), ref, part, {}).ok
    kinds = [m.kind for m in compare(({"a": np.ones(2)}, 3.0), ref, part, {}).mismatches]
    assert kinds == ["keys"]
    assert [m.kind for m in compare(({"a": np.ones(2), "b": np.zeros(3)}, 3.5), ref, part, {}).mismatches] == [
        "not_close"
    ]
    assert [m.kind for m in compare(({"a": np.ones(2), "b": np.zeros(3)}, "3"), ref, part, {}).mismatches] == [
        "type"
    ]


@settings(max_examples=300, deadline=None)
@given(
    arrays(np.float64, st.integers(1, 6), elements=st.floats(allow_nan=True, allow_infinity=True, width=64)),
    st.floats(-1e-6, 1e-6),
    st.sampled_from([0.0, 1e-12, 1e-9, 1e-6]),
    st.sampled_from([0.0, 1e-10, 1e-8]),
)
def test_fast_allclose_agrees_with_numpy(reference: np.ndarray, nudge: float, rtol: float, atol: float) -> None:
    with np.errstate(all="ignore"):  # huge values overflow in the nudge and inside np.allclose itself
        student = reference * (1 + nudge) + nudge
        want = np.allclose(student, reference, rtol=rtol, atol=atol)
        want_same = np.allclose(reference, reference, rtol=rtol, atol=atol)
    assert allclose(student, reference, rtol, atol) == want
    assert allclose(reference, reference, rtol, atol) == want_same
