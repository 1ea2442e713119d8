"""The ‖∂L/∂h_t‖ chart: its unscored cases, the suffix trick (checked against torch autograd), the chart as data
drawn by the server, and
the curves of a correct and of a broken submission graded through the real grader (LocalRunner)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from grader.exercise import copy_value, load_exercises
from grader.grade import Grader
from grader.runner import LocalRunner
from reference import rnn, rnn_chart, rnn_feedback
from reference.rnn_chart import SERIES, STEPS, chart, chart_cases, public_sequence
from reference.rnn_mutants import BY_NAME
from server.web.result_charts import draw, result_charts, safe_svg

CORRECT = (Path(__file__).resolve().parents[1] / "solutions" / "correct_rnn.py").read_text(encoding="utf-8")


def _reference_outputs() -> list[Any]:
    return [rnn.rnn_backward(*copy_value(c.args)) for c in chart_cases()]


def test_chart_cases_are_few_tiny_unscored_backward_cases_without_values_in_their_facts() -> None:
    cases = chart_cases()
    assert len(cases) == len(SERIES) * len(STEPS) <= 50
    assert all(c.part == "backward" and not c.scored for c in cases)
    assert len({c.name for c in cases}) == len(cases)
    for c in cases:
        assert all(isinstance(v, int | str) for v in c.facts.values())
        assert sum(a.size for a in c.args) < 2000
        assert all(a.dtype == np.float64 and a.flags.c_contiguous for a in c.args)


def test_the_suffix_trick_gives_dl_dh_t_of_the_whole_sequence() -> None:
    """torch autograd on the full sequence, L = sum(dy * y), against the reference's answers on the suffixes."""
    curves = chart(_reference_outputs(), _reference_outputs(), chart_cases()).values["grad_norm_series"]
    assert isinstance(curves, list)
    for k, curve in enumerate(curves):
        seq = {n: torch.tensor(v) for n, v in public_sequence(k).items()}
        states = [seq["h0"].clone().requires_grad_(True)]
        ys = []
        for t in range(rnn_chart.T):
            h = torch.tanh(seq["x"][t] @ seq["W_xh"].T + states[-1] @ seq["W_hh"].T + seq["b_h"])
            h.retain_grad()
            states.append(h)
            ys.append(h @ seq["W_hy"].T + seq["b_y"])
        loss = (torch.stack(ys) * seq["dy"]).sum()
        loss.backward()  # type: ignore[no-untyped-call]
        expected = [float(states[t].grad.norm()) for t in STEPS]  # type: ignore[union-attr]
        np.testing.assert_allclose(curve["reference"], expected, rtol=1e-10)


def test_the_two_curves_show_vanishing_and_exploding_gradients() -> None:
    series = chart(_reference_outputs(), _reference_outputs(), chart_cases()).values["grad_norm_series"]
    assert isinstance(series, list)
    vanishing, exploding = series
    assert vanishing["reference"][0] < 1e-4 * vanishing["reference"][-1]
    assert exploding["reference"][0] > 10 * exploding["reference"][-1]


def test_the_chart_is_data_the_server_draws_self_contained_with_a_legend_and_log_axis() -> None:
    refs = _reference_outputs()
    for students in (refs, [None] * len(refs)):
        out = chart(students, refs, chart_cases())
        (data,) = out.charts
        assert data.y_scale == "log" and data.x == [float(t) for t in STEPS] and len(data.panels) == len(SERIES)
        assert json.loads(json.dumps(out.as_json()))["charts"][0]["name"] == "grad_norm"
        for lang, legend in (("en", "reference"), ("zh", "参考答案")):
            svg = str(draw(data, lang).picture)
            root = ET.fromstring(svg)  # well-formed XML
            assert root.tag.endswith("svg") and safe_svg(svg) is not None
            assert legend in svg and "10⁻" in svg and "‖∂L/∂h_t‖" in svg
            assert len(svg) < 20_000
    assert out.values["grad_norm_student_available"] is False
    assert out.values["grad_norm_student"] == [None] * len(STEPS)
    assert "no valid dL/dh0" in str(draw(out.charts[0], "en").picture)


def test_garbage_from_the_student_is_drawn_as_missing_points() -> None:
    refs = _reference_outputs()
    students: list[Any] = [dict(r) for r in refs]
    students[0]["h0"] = np.full_like(refs[0]["h0"], np.nan)
    students[1] = {"h0": np.zeros((1, 1))}
    students[2] = "not a dict"
    students[3]["h0"] = np.zeros_like(refs[3]["h0"])
    out = chart(students, refs, chart_cases())
    assert out.values["grad_norm_student"][:4] == [None, None, None, 0.0]  # type: ignore[index]
    ET.fromstring(str(draw(out.charts[0], "en").picture))


@pytest.fixture(scope="module")
def grader() -> Grader:
    exercise = load_exercises()["rnn"]
    assert exercise.hooks is rnn_feedback
    return Grader({"rnn": exercise}, LocalRunner())


def _curves(diagnostics: dict[str, object]) -> list[tuple[list[Any], list[Any]]]:
    series = diagnostics["grad_norm_series"]
    assert isinstance(series, list)
    return [(s["student"], s["reference"]) for s in series]


def test_a_correct_submissions_curve_is_the_reference_curve(grader: Grader) -> None:
    result = grader.grade("rnn", CORRECT, seed=3)
    assert result.score == result.max_score and result.all_passed
    # The result comes without the charts (they are computed afterwards, on request: server.grading.diagnostics).
    assert result.diagnostics == {} and grader.has_diagnostics("rnn")
    diagnostics = grader.diagnose("rnn", CORRECT)
    assert diagnostics["grad_norm_student_available"] is True
    for student, ref in _curves(diagnostics):
        np.testing.assert_allclose(student, ref, rtol=1e-9)
    # Stored and served as JSON with the rest of the result.
    stored = result.model_copy(update={"diagnostics": diagnostics})
    assert json.loads(stored.model_dump_json())["diagnostics"]["grad_norm_student_available"] is True
    # The chart's cases are not tests: they add no points and no results.
    assert sum(len(p.tests) for p in result.parts) == len(grader.exercise("rnn").hidden_cases(3))


def test_without_the_carry_through_h_t_minus_1_the_curve_vanishes_at_once(grader: Grader) -> None:
    source = CORRECT.replace("dh = dy[t] @ W_hy + dh_next", "dh = dy[t] @ W_hy")
    assert source != CORRECT
    result = grader.grade("rnn", source, seed=3)
    assert not result.all_passed
    for student, ref in _curves(grader.diagnose("rnn", source)):
        assert student[-1] == pytest.approx(ref[-1], rel=1e-9)  # the last step has nothing to carry
        assert student[:-1] == [0.0] * (len(STEPS) - 1)
        assert not np.allclose(student, ref)
    # The same mistake is named on the scored tests.
    backward = next(p for p in result.parts if p.name == "backward")
    assert any("backward.no_dh_next" in t.misconceptions for t in backward.tests)


def test_a_crashing_backward_leaves_the_reference_curve_alone(grader: Grader) -> None:
    source = CORRECT.replace("    T = x.shape[0]\n    grads", "    raise ValueError('no')\n    grads")
    assert source != CORRECT
    diagnostics = grader.diagnose("rnn", source)
    assert diagnostics["grad_norm_student_available"] is False
    drawn, refused = result_charts(diagnostics, "en")
    assert not refused and "no valid dL/dh0" in str(drawn[0].picture)


def test_the_mutant_catalogue_and_the_chart_agree_on_no_dh_next() -> None:
    cases = chart_cases()
    mutant = BY_NAME["backward.no_dh_next"].variants[0].run
    out = chart([mutant(*copy_value(c.args)) for c in cases], _reference_outputs(), cases)
    assert out.values["grad_norm_student"][:-1] == [0.0] * (len(STEPS) - 1)  # type: ignore[index]
