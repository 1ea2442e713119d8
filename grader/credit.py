"""Credit per compared output (a part's `[parts.credit] per = "output"`, grader.exercise.Credit).

A test compares several outputs at once (forward's y and h, backward's seven gradients). All or nothing, a
backward with six of seven gradients right earns what an empty file earns. Per output, the test earns the
share of its points that its right outputs weigh. Which outputs are right comes from the comparison's
mismatches (grader.compare), so the verdict is the very one the student's feedback states.
"""

from __future__ import annotations

from typing import Any

from grader.compare import Comparison
from grader.exercise import Part
from grader.messages import msg
from grader.result import OutputCredit, Text


def output_credit(part: Part, comparison: Comparison, student: Any, reference: Any) -> list[OutputCredit]:
    """Each compared output with its weight and verdict; [] when the part gives credit per test or its
    function has a single output. A wrong type, length or None at the top makes every output wrong; a
    missing dict key makes that output wrong."""
    if part.credit.per != "output":
        return []
    names = list(part.outputs) or (list(reference) if isinstance(reference, dict) else [])
    if len(names) < 2:
        return []
    whole_wrong = any(m.path == "" and m.kind != "keys" for m in comparison.mismatches)
    out = []
    for name in names:
        present = bool(part.outputs) or (isinstance(student, dict) and name in student)
        wrong = any(m.path == name or m.path.startswith(name + ".") for m in comparison.mismatches)
        out.append(OutputCredit(name=name, weight=part.credit.weight(name),
                                correct=present and not wrong and not whole_wrong))
    return out


def credited_share(credit: list[OutputCredit]) -> float:
    """The share of the test's points its right outputs earn."""
    total = sum(c.weight for c in credit)
    return sum(c.weight for c in credit if c.correct) / total if total > 0 else 0.0


def credit_message(credit: list[OutputCredit], score: float, max_score: float) -> Text:
    """"Credit per output: 6 of 7 outputs right (5.36 of 6.25 points); wrong: W_hh." in both languages.
    Points to three significant digits: enough to read, and no number that could echo a hidden value."""
    wrong = [c.name for c in credit if not c.correct]
    return msg("credit_per_output", right=len(credit) - len(wrong), total=len(credit), score=f"{score:.3g}",
               max_score=f"{max_score:.3g}", wrong=Text(en=", ".join(wrong), zh="、".join(wrong)))
