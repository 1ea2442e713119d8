"""The authoring kit from the command line: `rnn-grader exercise new ID` writes a complete small exercise that
`rnn-grader exercise validate` accepts as written; each kind of defect an author can make is caught by its own
check (non-zero exit, a readable line, `--json`); the starter files share one self-check text.

Each command runs as a fresh process whose Python path starts with the scratch root, where the new exercise's
trusted modules live (reference/ID*.py), as an author's own tree would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from grader.authoring.selfcheck import SELF_CHECK, SELF_CHECK_MAIN
from grader.exercise import load_exercises

pytestmark = pytest.mark.slow


def rnn_grader(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run([sys.executable, "-m", "cli.main", *args], cwd=root, env=env, capture_output=True,
                          text=True, timeout=600, check=False)


def validate(root: Path) -> tuple[int, dict[str, dict[str, object]], str]:
    done = rnn_grader(root, "exercise", "validate", "exercises/demo", "--json")
    report = json.loads(done.stdout)
    return done.returncode, {c["name"]: c for c in report["checks"]}, done.stdout


@pytest.fixture
def root(tmp_path: Path) -> Path:
    made = rnn_grader(tmp_path, "exercise", "new", "demo", "--root", str(tmp_path))
    assert made.returncode == 0, made.stderr
    assert "wrote" in made.stderr and "exercise validate" in made.stderr
    return tmp_path


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_new_writes_an_exercise_that_validate_accepts_as_written(root: Path) -> None:
    for path in ("exercises/demo/spec.toml", "exercises/demo/exercise_demo.py",
                 "exercises/demo/demo_public_examples.npz", "reference/demo.py", "reference/demo_mutants.py",
                 "reference/demo_feedback.py"):
        assert (root / path).is_file(), path
    done = rnn_grader(root, "exercise", "validate", "exercises/demo")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ok   mutants: 5 of 5 mutants" in done.stdout and done.stdout.rstrip().splitlines()[-1].startswith("valid")
    code, checks, _ = validate(root)
    assert code == 0 and all(c["ok"] for c in checks.values())
    assert checks["oracle"]["skipped"] is True  # the skeleton declares none
    # it refuses to overwrite, and refuses an id that is no module name
    again = rnn_grader(root, "exercise", "new", "demo", "--root", str(root))
    assert again.returncode == 1 and again.stderr.startswith("error: ") and "already exist" in again.stderr
    bad = rnn_grader(root, "exercise", "new", "Bad-Id", "--root", str(root))
    assert bad.returncode == 1 and "not a usable id" in bad.stderr


def test_a_mistake_that_is_never_caught_fails_the_mutants_check(root: Path) -> None:
    edit(root / "reference" / "demo_mutants.py", '(_v("layer_backward", "da.sum(axis=0)", "da.sum(axis=1)", ("b",)),)',
         '(_v("layer_backward", "da.sum(axis=0)", "da.sum(axis=0) + 0.0", ("b",)),)')
    code, checks, out = validate(root)
    assert code == 1 and not checks["mutants"]["ok"]
    assert any("backward.bias_wrong_axis" in d and "not named as itself" in d for d in checks["mutants"]["details"])
    assert all(c["ok"] for name, c in checks.items() if name != "mutants"), out


def test_cases_built_with_a_matrix_product_fail_the_kernel_check(root: Path) -> None:
    edit(root / "reference" / "demo.py", "W = rng.standard_normal((H, I)) * (scale / np.sqrt(I))",
         "W = (rng.standard_normal((H, 8)) @ rng.standard_normal((8, I))) * (scale / np.sqrt(8 * I))")
    subprocess.run([sys.executable, "-m", "grader.public_examples", "exercises/demo"], cwd=root, check=True,
                   env={**os.environ, "PYTHONPATH": str(root)}, capture_output=True)
    code, checks, out = validate(root)
    assert code == 1 and not checks["blas_kernels"]["ok"], out
    assert "build inputs elementwise" in " ".join(checks["blas_kernels"]["details"])
    assert checks["reference"]["ok"] and checks["mutants"]["ok"]


def test_tolerances_template_examples_texts_and_a_broken_reference_are_each_caught(root: Path) -> None:
    spec = root / "exercises" / "demo" / "spec.toml"
    edit(spec, 'title = "Forward"\ntitle_zh = "前向传播"\nrtol = 1e-9\natol = 1e-10',
         'title = "Forward"\nrtol = 1e-15\natol = 1e-300')  # too tight, and no Chinese title
    edit(root / "exercises" / "demo" / "exercise_demo.py", '    raise NotImplementedError("layer_forward")',
         "    return np.tanh(x @ W.T + b)")  # a template that gives points away
    mutants = root / "reference" / "demo_mutants.py"
    edit(mutants, "sigmoid gives 1 / (1 + e^-1)", "sigmoid 得到 1 / (1 + e^-1)")  # Chinese in the English
    mutants.write_text(mutants.read_text(encoding="utf-8") + "\nimport dataclasses  # noqa: E402\n\nMISCONCEPTIONS = "
                       "(dataclasses.replace(MISCONCEPTIONS[0], levels=None), *MISCONCEPTIONS[1:])\n",
                       encoding="utf-8")  # a mistake with its hint only
    code, checks, out = validate(root)
    assert code == 1
    assert not checks["tolerances"]["ok"] and "loosen rtol/atol" in checks["tolerances"]["details"][0]
    texts = checks["texts"]["details"]
    assert not checks["texts"]["ok"] and any("parts.forward.title" in d for d in texts)
    assert "1 of 5 named mistakes lack their 3 hint levels" in str(checks["texts"]["summary"])
    assert any(d.startswith("misconception_catalogue() forward.missing_bias: 1 of 3 hint levels") for d in texts)
    assert any(d.startswith("misconception_catalogue() forward.wrong_activation.hints[2]:") for d in texts), texts
    assert not checks["template"]["ok"] and "students would get points for nothing" in out
    assert not checks["public_examples"]["ok"]  # the rtol in the committed file is no longer the spec's
    assert "FAIL tolerances" in rnn_grader(root, "exercise", "validate", "exercises/demo").stdout

    edit(root / "reference" / "demo.py", "return {\"x\": da @", "return {\"x\": np.log(-1.0 + 0 * x) + da @")
    code, checks, _ = validate(root)
    assert code == 1 and not checks["reference"]["ok"]
    assert "the reference returns NaN or inf" in checks["reference"]["details"][0]


def test_a_spec_that_does_not_load_is_one_failed_check(root: Path) -> None:
    edit(root / "exercises" / "demo" / "spec.toml", 'reference = "reference.demo"', 'reference = "reference.nope"')
    code, checks, _ = validate(root)
    assert code == 1 and list(checks) == ["spec"] and "cannot be loaded" in str(checks["spec"]["summary"])
    missing = rnn_grader(root, "exercise", "validate", "nowhere")
    assert missing.returncode == 1 and "no spec.toml in nowhere" in missing.stderr


def test_every_starter_file_ends_with_the_shared_self_check() -> None:
    for exercise in load_exercises().values():
        text = exercise.spec.template_path.read_text(encoding="utf-8")
        assert text.endswith(SELF_CHECK + SELF_CHECK_MAIN.format(examples=exercise.spec.public_examples_path.name))
