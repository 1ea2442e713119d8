"""An exercise: its spec (exercises/<id>/spec.toml) and its trusted reference module.

Nothing here names a particular exercise: a new exercise is a new folder with a spec.toml whose
`reference` names a module (or a .py file next to the spec) that provides the part functions and
`hidden_cases(seed)` / `public_cases()`.
"""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.util
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol, cast

import numpy as np

from grader.gradcheck_spec import GradcheckSpec, parse_gradcheck
from grader.hints import HintPolicy, parse_hint_policy
from grader.hooks import HOOK_NAMES, ExerciseHooks, ModuleHooks
from grader.policy import (
    LatePolicy,
    VisibilityPolicy,
    parse_late_policy,
    parse_max_submissions,
    parse_visibility,
)
from grader.result import Text

# A value passed to or returned by a contract function: arrays, Python scalars, dicts and tuples of them.
Value = Any

DEFAULT_EXERCISES_DIR = Path(__file__).resolve().parent.parent / "exercises"


class SpecError(ValueError):
    """The spec file is malformed. A teacher's mistake, reported at load time, never during grading."""


@dataclass(frozen=True)
class Limits:
    """Per-run limits. CPU time is the main limit; wall time is a backstop for sleeping or blocked code."""

    cpu_time_limit_s: float = 2.0
    wall_time_limit_s: float = 5.0
    memory_limit_mib: int = 768
    output_limit_kib: int = 64
    result_limit_mib: int = 64

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Limits:
        known = {f for f in cls.__dataclass_fields__}
        unknown = set(data) - known
        if unknown:
            raise SpecError(f"unknown limits: {sorted(unknown)}")
        return cls(**data)


CREDIT_PER = ("test", "output")


@dataclass(frozen=True)
class Credit:
    """How one part's tests give credit (`[parts.credit]` in spec.toml). `per = "test"` (the default): a test
    earns its points only if every compared output is right. `per = "output"`: a test earns the share of its
    points that its right outputs weigh (the function's tuple items, or the keys of the dict it returns);
    an output not named in `weights` weighs 1, so the default is equal weights. `why` is the teacher's
    reason, kept with the spec."""

    per: str = "test"
    weights: Mapping[str, float] = field(default_factory=dict)
    why: str = ""

    def weight(self, output: str) -> float:
        return self.weights.get(output, 1.0)


def parse_credit(data: Any) -> Credit:
    if not isinstance(data, Mapping):
        raise SpecError(f"credit must be a table, not {data!r}")
    unknown = set(data) - {"per", "weights", "why"}
    if unknown:
        raise SpecError(f"unknown credit keys: {sorted(unknown)}")
    per = str(data.get("per", "test"))
    if per not in CREDIT_PER:
        raise SpecError(f"credit.per must be one of {list(CREDIT_PER)}, not {per!r}")
    raw = data.get("weights", {})
    if not isinstance(raw, Mapping):
        raise SpecError("credit.weights must be a table of output = weight")
    if raw and per != "output":
        raise SpecError('credit.weights needs credit.per = "output"')
    weights: dict[str, float] = {}
    for output, value in raw.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
            raise SpecError(f"credit.weights.{output} must be a number >= 0, not {value!r}")
        weights[str(output)] = float(value)
    if weights and not any(weights.values()):
        raise SpecError("credit.weights must not all be 0")
    return Credit(per=per, weights=weights, why=str(data.get("why", "")).strip())


@dataclass(frozen=True)
class Part:
    name: str
    function: str
    points: float
    rtol: float
    atol: float
    title: Text
    # Names of the items when the function returns a tuple, e.g. ("y", "h"); paths join names and dict
    # keys with "." ("y", "x", "clipped.W_xh").
    outputs: tuple[str, ...] = ()
    # Output paths whose first axis is time: feedback names the first wrong step. "backward" counts
    # from the end, as BPTT does.
    time_major: tuple[str, ...] = ()
    time_direction: str = "forward"
    # Symbolic shapes for feedback, e.g. {"y": "T, B, O"}: students see symbols, not hidden sizes.
    shapes: Mapping[str, str] = field(default_factory=dict)
    # Parameter names of the function, for feedback such as "changed its input W_hh in place".
    args: tuple[str, ...] = ()
    credit: Credit = field(default_factory=Credit)


@dataclass(frozen=True)
class Case:
    """One test: which part, a stable name, a description safe to show, and the positional arguments."""

    part: str
    name: str
    description: Text
    args: tuple[Value, ...]
    # Facts about the case the feedback may use (sizes, kind); never input or output values.
    facts: Mapping[str, Any] = field(default_factory=dict)
    # Unscored cases run beside the scored ones only to draw diagnostics (charts on public inputs).
    scored: bool = True


class ReferenceModule(Protocol):
    def hidden_cases(self, seed: int) -> list[Case]: ...
    def public_cases(self) -> list[Case]: ...


@dataclass(frozen=True)
class ExerciseSpec:
    id: str
    title: Text
    description: Text
    student_file: str
    reference: str
    parts: tuple[Part, ...]
    limits: Limits
    deadline: dt.datetime | None
    public_examples: str
    directory: Path
    tolerances_note: str = ""
    # Optional trusted module with feedback hooks (grader.hooks.ExerciseHooks).
    feedback: str = ""
    # The teacher's policies (grader.policy; docs/policies.md): [late_policy], max_submissions, [visibility].
    late_policy: LatePolicy = LatePolicy()
    max_submissions: int | None = None
    visibility: VisibilityPolicy = VisibilityPolicy()
    # The forward/backward pair students may check offline (`rnn-grader gradcheck`; grader.gradcheck_spec).
    gradcheck: GradcheckSpec | None = None
    # Authoring (`rnn-grader exercise validate`, docs/authoring.md): the trusted module with BASE_SOURCE and
    # MISCONCEPTIONS, whose mutants are submitted through the sandbox; an independent implementation of the
    # part functions (e.g. with PyTorch) that the reference must agree with.
    mutants: str = ""
    oracle: str = ""
    # Top-level `hints` and `hint_repeats`: how a repeated mistake's hint grows (grader.hints).
    hints: HintPolicy = HintPolicy()

    @property
    def max_score(self) -> float:
        return sum(p.points for p in self.parts)

    def part(self, name: str) -> Part:
        for p in self.parts:
            if p.name == name:
                return p
        raise KeyError(name)

    @property
    def template_path(self) -> Path:
        return self.directory / self.student_file

    @property
    def public_examples_path(self) -> Path:
        return self.directory / self.public_examples


def _text(data: Mapping[str, Any], key: str, default: str = "") -> Text:
    en = str(data.get(key, default))
    return Text(en=en, zh=str(data.get(f"{key}_zh", en)))


def load_spec(directory: Path) -> ExerciseSpec:
    path = directory / "spec.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SpecError(f"{path}: {exc}") from exc
    try:
        parts = tuple(
            Part(
                name=str(p["name"]),
                function=str(p["function"]),
                points=float(p["points"]),
                rtol=float(p["rtol"]),
                atol=float(p["atol"]),
                title=_text(p, "title", str(p["name"])),
                outputs=tuple(str(x) for x in p.get("outputs", ())),
                time_major=tuple(str(x) for x in p.get("time_major", ())),
                time_direction=str(p.get("time_direction", "forward")),
                shapes={str(k): str(v) for k, v in p.get("shapes", {}).items()},
                args=tuple(str(x) for x in p.get("args", ())),
                credit=parse_credit(p.get("credit", {})),
            )
            for p in data["parts"]
        )
        deadline = data.get("deadline")
        if isinstance(deadline, str):
            deadline = dt.datetime.fromisoformat(deadline)
        if isinstance(deadline, dt.datetime) and deadline.tzinfo is None:
            deadline = deadline.replace(tzinfo=dt.UTC)
        spec = ExerciseSpec(
            id=str(data["id"]),
            title=_text(data, "title"),
            description=_text(data, "description"),
            student_file=str(data["student_file"]),
            reference=str(data["reference"]),
            parts=parts,
            limits=Limits.from_mapping(data.get("limits", {})),
            deadline=deadline if isinstance(deadline, dt.datetime) else None,
            public_examples=str(data.get("public_examples", "public_examples.npz")),
            directory=directory.resolve(),
            tolerances_note=str(data.get("tolerances", {}).get("why", "")),
            feedback=str(data.get("feedback", "")),
            late_policy=parse_late_policy(data.get("late_policy", {})),
            max_submissions=parse_max_submissions(data.get("max_submissions")),
            visibility=parse_visibility(data.get("visibility", {}), tuple(p.name for p in parts)),
            gradcheck=parse_gradcheck(data.get("gradcheck")),
            mutants=str(data.get("mutants", "")),
            oracle=str(data.get("oracle", "")),
            hints=parse_hint_policy({k: data[k] for k in ("hints", "hint_repeats") if k in data}),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise SpecError(f"{path}: {exc!r}") from exc
    if len({p.name for p in parts}) != len(parts) or not parts:
        raise SpecError(f"{path}: parts must be non-empty with unique names")
    for part in parts:
        unknown = set(part.credit.weights) - set(part.outputs)
        if part.outputs and unknown:
            raise SpecError(f"{path}: part {part.name}: credit.weights names no output: {sorted(unknown)}")
    return spec


def _import_trusted(spec: ExerciseSpec, ref: str) -> ModuleType:
    if ref.endswith(".py"):
        file = (spec.directory / ref).resolve()
        mod_spec = importlib.util.spec_from_file_location(f"_reference_{spec.id}", file)
        if mod_spec is None or mod_spec.loader is None:
            raise SpecError(f"cannot load reference file {file}")
        module = importlib.util.module_from_spec(mod_spec)
        mod_spec.loader.exec_module(module)
        return module
    return importlib.import_module(ref)


@dataclass(frozen=True)
class Exercise:
    """A spec bound to its trusted reference module. Lives only in trusted processes."""

    spec: ExerciseSpec
    module: ModuleType
    # The feedback hooks: from the spec's `feedback` module, else from the reference module itself.
    hooks: ExerciseHooks
    # The module they come from (its source is part of the exercise's version).
    hooks_module: ModuleType

    @property
    def id(self) -> str:
        return self.spec.id

    def reference_function(self, part: Part) -> Callable[..., Any]:
        return cast(Callable[..., Any], getattr(self.module, part.function))

    def hidden_cases(self, seed: int) -> list[Case]:
        return cast(ReferenceModule, self.module).hidden_cases(seed)

    def public_cases(self) -> list[Case]:
        return cast(ReferenceModule, self.module).public_cases()


def load_exercise(directory: Path) -> Exercise:
    spec = load_spec(directory)
    module = _import_trusted(spec, spec.reference)
    hooks_module = _import_trusted(spec, spec.feedback) if spec.feedback else module
    for part in spec.parts:
        if not callable(getattr(module, part.function, None)):
            raise SpecError(f"reference {spec.reference} lacks {part.function}()")
    for name in ("hidden_cases", "public_cases"):
        if not callable(getattr(module, name, None)):
            raise SpecError(f"reference {spec.reference} lacks {name}()")
    exercise = Exercise(spec=spec, module=module, hooks=load_hooks(hooks_module), hooks_module=hooks_module)
    _check_credit_weights(exercise)
    return exercise


def _check_credit_weights(exercise: Exercise) -> None:
    """Weights of a part that returns a dict must name its keys: read them from the reference's answer to one
    public case (a typo would otherwise silently weigh 0 extra outputs and leave the real one at 1)."""
    for part in exercise.spec.parts:
        if part.outputs or not part.credit.weights:
            continue
        case = next((c for c in exercise.public_cases() if c.part == part.name), None)
        if case is None:
            continue
        answer = exercise.reference_function(part)(*copy_value(case.args))
        names = set(answer) if isinstance(answer, dict) else set()
        unknown = set(part.credit.weights) - names
        if unknown:
            raise SpecError(f"{exercise.id}: part {part.name}: credit.weights names no output: {sorted(unknown)}")
        if not any(part.credit.weight(n) for n in names):
            raise SpecError(f"{exercise.id}: part {part.name}: every output weighs 0")


def load_hooks(module: ModuleType) -> ExerciseHooks:
    """The module itself when it defines every hook, else an object that fills in the missing ones. A hook
    name bound to something that is not callable is a SpecError now rather than a failure while grading."""
    found = {name: vars(module)[name] for name in HOOK_NAMES if name in vars(module)}
    for name, function in found.items():
        if not callable(function):
            raise SpecError(f"{module.__name__}.{name} is not a function")
    if len(found) == len(HOOK_NAMES):
        return cast(ExerciseHooks, module)
    return ModuleHooks(module, found)


def load_exercises(root: Path = DEFAULT_EXERCISES_DIR) -> dict[str, Exercise]:
    """Every folder under `root` with a spec.toml, keyed by exercise id."""
    found: dict[str, Exercise] = {}
    for spec_file in sorted(root.glob("*/spec.toml")):
        exercise = load_exercise(spec_file.parent)
        if exercise.id in found:
            raise SpecError(f"duplicate exercise id {exercise.id!r}")
        found[exercise.id] = exercise
    return found


def copy_value(value: Value) -> Value:
    """A deep copy of a case argument, so neither side can change what the other sees."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, dict):
        return {k: copy_value(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return type(value)(copy_value(v) for v in value)
    return value
