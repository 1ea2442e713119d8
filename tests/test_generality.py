"""Nothing in server/ or grader/ names the RNN exercise: a second exercise, defined only in the tests,
is graded end to end by the real grader (sandbox included) and served by the real API."""

from __future__ import annotations

import ast
import re
import tokenize
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from grader.exercise import load_exercise, load_exercises
from grader.grade import Grader
from grader.result import Outcome

ROOT = Path(__file__).resolve().parent.parent
TINY = ROOT / "tests" / "fixtures" / "tiny"
GOOD = "def scale(x, k):\n    return x * k\n"
# Identifiers only the RNN exercise uses. Docstrings, comments and API examples may mention the course.
EXERCISE_NAMES = re.compile(r"rnn_forward|rnn_backward|clip_grad_norm|W_hh|W_xh|W_hy|b_h|b_y")
# Words of the RNN exercise in any text the generic code shows or keys it uses (docstrings aside): its
# identifiers, its subject, its chart. "rnn" alone is the exercise id; rnn-grader / RNN_GRADER_ name the product.
EXERCISE_WORDS = re.compile(
    r"rnn_forward|rnn_backward|clip_grad_norm|grad_norm|\b(W_hh|W_xh|W_hy|b_h|b_y|gradients?|tanh|bptt|"
    r"spectral|vanishing|exploding|hidden states?|recurrent)\b|(?<![\w-])rnn(?![\w-])",
    re.IGNORECASE,
)


def _code_tokens(path: Path) -> Iterator[tuple[int, str, str]]:
    with path.open("rb") as f:
        for tok in tokenize.tokenize(f.readline):
            if tok.type in (tokenize.NAME, tokenize.STRING):
                yield tok.start[0], tokenize.tok_name[tok.type], tok.string


def test_generic_code_names_no_exercise() -> None:
    offenders = []
    for folder in ("server", "grader"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            lines = path.read_text(encoding="utf-8").splitlines()
            for number, kind, text in _code_tokens(path):
                named = kind == "NAME" and EXERCISE_NAMES.fullmatch(text)
                # A literal exercise id used as a value, e.g. `if exercise == "rnn"`; examples for the docs are fine.
                literal = kind == "STRING" and text.strip("\"'") == "rnn" and "examples=" not in lines[number - 1]
                if named or literal:
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {lines[number - 1].strip()}")
    assert offenders == []


def _string_literals(path: Path) -> Iterator[tuple[int, str]]:
    """(line, text) of every string constant that is not a docstring (f-strings' literal parts included)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docstrings.add(id(first.value))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            yield node.lineno, node.value


# Strings that may say such a word, and why.
ALLOWED_STRINGS = {
    # The child's warm-up stand-in (trusted, never shown): common NumPy calls, np.tanh among them.
    ("grader/harness.py", "_WARM_UP_SOURCE"),
}
# Words one generic module may say, and why: a gradient check (`rnn-grader gradcheck`, of any exercise that
# declares a forward/backward pair) is about gradients, and says so; every other word of the list stays banned.
ALLOWED_WORDS = {
    "grader/gradcheck.py": re.compile(r"\bgradients?\b", re.IGNORECASE),
    "grader/gradcheck_spec.py": re.compile(r"\bgradients?\b", re.IGNORECASE),
    "grader/gradcheck_text.py": re.compile(r"\bgradients?\b", re.IGNORECASE),
}


def test_generic_code_says_no_exercise_word_in_its_strings_and_pages() -> None:
    offenders = []
    for folder in ("server", "grader"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            lines = path.read_text(encoding="utf-8").splitlines()
            for number, text in _string_literals(path):
                line = lines[number - 1]
                allowed = any(path.relative_to(ROOT).as_posix() == f and line.startswith(name)
                              for f, name in ALLOWED_STRINGS)
                words = ALLOWED_WORDS.get(path.relative_to(ROOT).as_posix())
                if words is not None:
                    text = words.sub("", text)
                # The exercise id as an example value in the API's schema is documentation.
                if EXERCISE_WORDS.search(text) and not allowed and "examples=" not in line:
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {text[:80]!r}")
        for path in sorted((ROOT / folder).rglob("*")):
            if path.suffix in (".html", ".js", ".css"):
                for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                    if EXERCISE_WORDS.search(line):
                        offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:80]}")
    assert offenders == []


def test_the_word_list_catches_what_it_should() -> None:
    for text in ("Gradient norm over time", "grad_norm_chart_svg", 'exercise == "rnn"', "the rnn exercise",
                 "np.tanh", "W_hh"):
        assert EXERCISE_WORDS.search(text), text
    for text in ("rnn-grader", "RNN_GRADER_SECRET", "rnn_grader.web", "hidden cases", "grader"):
        assert not EXERCISE_WORDS.search(text), text


@pytest.fixture(scope="module")
def tiny_grader() -> Iterator[Grader]:
    grader = Grader({"tiny": load_exercise(TINY)})  # the real sandbox
    yield grader
    grader.close()


def test_the_tiny_exercise_is_graded_end_to_end_in_the_sandbox(tiny_grader: Grader) -> None:
    result = tiny_grader.grade("tiny", GOOD, seed=3)
    assert result.score == result.max_score == 10
    assert result.sandbox_layers.get("seccomp") is True and result.sandbox_layers.get("landlock") is True
    wrong = tiny_grader.grade("tiny", "def scale(x, k):\n    return x + k\n", seed=3)
    assert wrong.score == 0
    assert {t.outcome for p in wrong.parts for t in p.tests} == {Outcome.wrong_answer}
    slow = tiny_grader.grade("tiny", "def scale(x, k):\n    while True:\n        pass\n", seed=3)
    assert slow.score == 0 and slow.parts[0].tests[0].outcome is Outcome.time_limit


def test_the_api_serves_and_grades_any_exercise_folder(
    tmp_path: Path, make_client: Callable[..., Any], create_student: Callable[..., dict[str, str]]
) -> None:
    exercises = {**load_exercises(), "tiny": load_exercise(TINY)}
    client = make_client(workers=1, exercises=exercises)
    student = {"Authorization": create_student(client, "s-tiny")["authorization"]}
    listed = {e["id"] for e in client.get("/api/v1/exercises", headers=student).json()}
    assert {"rnn", "tiny"} <= listed
    template = client.get("/api/v1/exercises/tiny/template", headers=student)
    assert template.status_code == 200 and "def scale" in template.text
    response = client.post("/api/v1/submissions?wait=30", json={"exercise": "tiny", "source": GOOD}, headers=student)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["score"], body["max_score"]) == ("graded", 10, 10)
