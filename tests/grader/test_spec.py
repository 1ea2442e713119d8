"""Exercise `rnn` loads through grader.exercise, and its spec, reference and student template agree."""

from __future__ import annotations

import ast
import contextlib
import importlib.util
import inspect
import io
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from grader.exercise import Exercise, copy_value, load_exercise
from reference import rnn

ROOT = Path(__file__).resolve().parents[2]
RNN_DIR = ROOT / "exercises" / "rnn"
TINY_DIR = ROOT / "tests" / "fixtures" / "tiny"


@pytest.fixture(scope="module")
def exercise() -> Exercise:
    return load_exercise(RNN_DIR)


def load_template(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"_template_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_spec(exercise: Exercise) -> None:
    spec = exercise.spec
    assert spec.id == "rnn" and spec.student_file == "exercise_01_rnn.py" and exercise.module is rnn
    assert [(p.name, p.function, p.points) for p in spec.parts] == [
        ("forward", "rnn_forward", 30), ("backward", "rnn_backward", 50), ("clip", "clip_grad_norm", 20)
    ]
    assert spec.max_score == 100
    assert {p.name: (p.outputs, p.time_major) for p in spec.parts} == {
        "forward": (("y", "h"), ("y", "h")), "backward": ((), ("x",)), "clip": (("clipped", "total_norm"), ()),
    }
    assert spec.part("backward").time_direction == "backward"
    assert all(0 < p.rtol <= 1e-6 and 0 < p.atol <= 1e-8 for p in spec.parts)
    assert spec.deadline is not None and spec.deadline.utcoffset() is not None
    assert (spec.limits.cpu_time_limit_s, spec.limits.wall_time_limit_s, spec.limits.memory_limit_mib) == (2, 5, 768)
    assert "float32" in spec.tolerances_note and spec.title.zh != spec.title.en
    assert spec.template_path.is_file() and spec.public_examples_path.is_file()


def test_part_args_are_the_reference_signatures(exercise: Exercise) -> None:
    for part in exercise.spec.parts:
        params = tuple(inspect.signature(exercise.reference_function(part)).parameters)
        assert params == part.args, part.name
        assert set(part.shapes) <= set(part.outputs) | {"W_xh", "W_hh", "b_h", "W_hy", "b_y", "x", "h0"}


def test_template_declares_the_contract(exercise: Exercise) -> None:
    source = exercise.spec.template_path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    for part in exercise.spec.parts:
        fn = functions[part.function]
        assert tuple(a.arg for a in fn.args.args) == part.args
        doc = ast.get_docstring(fn) or ""
        assert any("\u4e00" <= ch <= "\u9fff" for ch in doc) and "Returns" in doc, part.function
    imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {(n.module or "").split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert imported - set(sys.stdlib_module_names) == {"numpy"}, "students have NumPy and nothing else"
    for formula in ("tanh(W_xh x_t + W_hh h_{t-1} + b_h)", "W_hy h_t + b_y", "W_hh^T da_{t+1}", "(1 - h_t^2)",
                    "max_norm / (total_norm + 1e-6)"):
        assert formula in source, formula


def test_template_functions_are_todo(exercise: Exercise) -> None:
    template = load_template(exercise.spec.template_path)
    for case in exercise.public_cases():
        function = getattr(template, exercise.spec.part(case.part).function)
        with pytest.raises(NotImplementedError):
            function(*copy_value(case.args))


def run_self_check(template: ModuleType) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        template._self_check(str(RNN_DIR / "public_examples.npz"))
    return out.getvalue()


def test_template_self_check(exercise: Exercise) -> None:
    template = load_template(exercise.spec.template_path)
    assert "0/9" in run_self_check(template) and "TODO" in run_self_check(template)
    for name in ("rnn_forward", "rnn_backward", "clip_grad_norm"):
        setattr(template, name, getattr(rnn, name))
    assert "9/9" in run_self_check(template)

    def forward32(*args: np.ndarray) -> tuple[np.ndarray, ...]:
        return tuple(a.astype(np.float32) for a in rnn.rnn_forward(*(a.astype(np.float32) for a in args)))

    def clip_in_place(grads: dict[str, np.ndarray], max_norm: float) -> tuple[dict[str, np.ndarray], float]:
        clipped, total = rnn.clip_grad_norm(grads, max_norm)
        for k in grads:
            grads[k][...] = clipped[k]
        return grads, total

    template.rnn_forward, template.clip_grad_norm = forward32, clip_in_place
    report = run_self_check(template)
    assert "float32" in report and "modified its input" in report and "4/9" in report


def test_tiny_fixture_loads() -> None:
    tiny = load_exercise(TINY_DIR)
    assert tiny.id == "tiny" and [p.function for p in tiny.spec.parts] == ["scale"]
    assert tiny.spec.template_path.is_file() and tiny.spec.public_examples_path.is_file()
    a, b = tiny.hidden_cases(3), tiny.hidden_cases(3)
    assert [c.name for c in a] == [c.name for c in b] and all(
        np.array_equal(x.args[0], y.args[0]) for x, y in zip(a, b, strict=True)
    )
    for case in a + tiny.public_cases():
        x, k = case.args
        assert np.array_equal(tiny.reference_function(tiny.spec.part("scale"))(x, k), x * k)
    template = load_template(tiny.spec.template_path)
    with pytest.raises(NotImplementedError):
        template.scale(np.ones(2), 2.0)
