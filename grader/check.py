"""A student's offline check: their file against the public examples, with the server's own comparison
and feedback code (grader.procedure), run in a plain subprocess on their machine (grader.runner.LocalRunner).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from grader.casefile import load_cases, read_manifest
from grader.exercise import ExerciseSpec, Limits, Part, parse_credit
from grader.gradable import require_something_to_grade
from grader.notebook import extract_notebook
from grader.procedure import Procedure
from grader.result import Result, Text
from grader.runner import LocalRunner, Runner


def spec_from_manifest(manifest: dict[str, Any], student_file: str) -> ExerciseSpec:
    """Enough of the exercise spec to grade public examples: parts, tolerances, points, limits."""
    parts = []
    for name, p in manifest["parts"].items():
        parts.append(
            Part(
                name=name,
                function=str(p["function"]),
                points=float(p.get("points", 1.0)),
                rtol=float(p["rtol"]),
                atol=float(p["atol"]),
                title=Text(**p["title"]) if isinstance(p.get("title"), dict) else Text(en=name, zh=name),
                outputs=tuple(p.get("outputs", ())),
                time_major=tuple(p.get("time_major", ())),
                time_direction=str(p.get("time_direction", "forward")),
                shapes=dict(p.get("shapes", {})),
                credit=parse_credit(p.get("credit", {})),
            )
        )
    limits = manifest.get("limits")
    return ExerciseSpec(
        id=str(manifest.get("exercise", "local")),
        title=Text(en="", zh=""),
        description=Text(en="", zh=""),
        student_file=student_file,
        reference="",
        parts=tuple(parts),
        limits=Limits.from_mapping(limits) if isinstance(limits, dict) else Limits(wall_time_limit_s=60.0),
        deadline=None,
        public_examples="",
        directory=Path("."),
    )


def check_file(student_file: Path, examples: Path, runner: Runner | None = None) -> Result:
    """Grade `student_file` (a .py file, or an .ipynb notebook whose definitions are extracted by
    grader.notebook) on the examples in `examples` (an .npz case file). Raises OSError if either file cannot
    be read, grader.notebook.NotebookError for a broken notebook, UnicodeDecodeError for a .py file that is
    not UTF-8, grader.gradable.NothingToGrade for a file with nothing to grade (the server refuses it with the
    same words), and grader.casefile.CaseFileError if the examples file is not one."""
    if student_file.suffix.lower() == ".ipynb":
        notebook = extract_notebook(student_file.read_bytes())
        return check_source(notebook.source, student_file.name, examples, runner, notebook.feedback(),
                            notebook.report())
    return check_source(student_file.read_text(encoding="utf-8"), student_file.name, examples, runner)


def check_source(source: str, student_file: str, examples: Path, runner: Runner | None = None,
                 notes: list[Text] | None = None, notebook: Mapping[str, Any] | None = None) -> Result:
    """Grade `source` on the public examples; `notes` (e.g. skipped notebook cells) go first in the feedback.
    `notebook`: the report of the notebook the source came from, which names the cells when there is nothing
    to grade."""
    started = time.perf_counter()
    manifest, _ = read_manifest(examples)
    spec = spec_from_manifest(manifest, student_file)
    require_something_to_grade(source, notebook, [part.function for part in spec.parts])
    pairs = load_cases(examples)
    cases = [c for c, _ in pairs]
    expected = [e for _, e in pairs]
    # Your own code on your own machine: a generous wall limit, no CPU limit beyond it.
    limits = Limits(
        cpu_time_limit_s=spec.limits.cpu_time_limit_s * 10,
        wall_time_limit_s=max(spec.limits.wall_time_limit_s * 10, 30.0),
        memory_limit_mib=spec.limits.memory_limit_mib,
        output_limit_kib=spec.limits.output_limit_kib,
        result_limit_mib=spec.limits.result_limit_mib,
    )
    parts, record = Procedure(spec, runner or LocalRunner(), limits).run(cases, expected, source, public=True)
    return Result(
        exercise=spec.id,
        score=round(sum(p.score for p in parts), 4),
        max_score=spec.max_score,
        parts=parts,
        feedback=[*(notes or []), *record.submission_feedback],
        grader_version="local",
        grading_ms=(time.perf_counter() - started) * 1000,
        output="".join(record.output),
    )
