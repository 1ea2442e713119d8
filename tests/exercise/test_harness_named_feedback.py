"""A part where the harness names a mistake (mutates_inputs) and no catalogued mutant explains the wrong answers:
the feedback keeps the generic diagnostics (first wrong output, outputs across tests) but never says that the
grader recognises none of the common mistakes next to the one it named."""

from __future__ import annotations

from grader.exercise import load_exercises
from grader.grade import Grader
from grader.messages import msg
from grader.runner import LocalRunner
from reference.gradients_mutants import BASE_SOURCE

# A correct solution that writes into its input dh, and doubles dW_hh (a mistake the catalogue does not hold).
SOURCE = BASE_SOURCE.replace(
    "da[t] = (dh[t] + carry) * (1.0 - h[t] ** 2)", "dh[t] += carry\n        da[t] = dh[t] * (1.0 - h[t] ** 2)",
).replace('return {"a": da, "W_hh": dW_hh, "h0": carry}', 'return {"a": da, "W_hh": 2 * dW_hh, "h0": carry}')


def test_a_harness_named_mistake_is_not_contradicted_by_the_feedback() -> None:
    assert SOURCE != BASE_SOURCE and "dh[t] += carry" in SOURCE and "2 * dW_hh" in SOURCE
    exercise = load_exercises()["rnn_gradients"]
    with Grader({"rnn_gradients": exercise}, runner=LocalRunner()) as grader:
        result = grader.grade("rnn_gradients", SOURCE, 1)
    part = next(p for p in result.parts if p.name == "truncated")
    assert [m.name for m in part.mistakes] == ["mutates_inputs"]
    said = [text.en for text in part.feedback]
    assert msg("mistake_not_recognised").en not in said
    assert any("W_hh" in text and "first wrong output" in text.lower() for text in said), said
