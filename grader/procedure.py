"""One exercise's grading procedure: which cases, which parts, how many points, in which runs.

It computes the reference outputs in this (trusted) process, sends only the student source and the case
inputs to the runner, reads back the untrusted records, and turns each case into a TestResult. When the
child dies on one case (time, memory, crash), the cases after it run again in a fresh child, so one
endless loop in `forward` does not cost the `clip` points.
"""

from __future__ import annotations

import logging
import re
import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from grader import harness, wire
from grader.compare import compare
from grader.credit import credit_message, credited_share, output_credit
from grader.exercise import Case, Exercise, ExerciseSpec, Limits, Part, copy_value
from grader.hooks import NO_ANSWER, Observation
from grader.messages import msg
from grader.mistakes import Catalogue, group_mistakes, unrecognised
from grader.result import Outcome, OutputCredit, PartResult, TestResult, Text
from grader.runner import Runner, RunReport, RunStatus

log = logging.getLogger(__name__)

# A child that dies (time, memory, crash) costs one run. After this many deaths inside one part, its
# remaining cases are not run again: they take the outcome of the last death. Bounds the runs per
# submission by parts * DEATHS_PER_PART + 1 while one hanging function never costs another part.
DEATHS_PER_PART = 2
MAX_FEEDBACK_PER_TEST = 8
# Exception messages may echo hidden inputs (raise ValueError(x)); hide any that carry real numbers.
_FLOATISH = re.compile(r"\d\.\d|\d[eE][+-]?\d|\bnan\b|\binf\b", re.IGNORECASE)

# Optional hook (issue: feedback that teaches): given the part, case, the student's decoded output and the
# reference output, return extra messages and misconception names. Installed by the exercise's reference.
Explainer = Callable[[Part, Case, Any, Any], tuple[list[Text], list[str]]]
# Optional hook: given one part's cases and their results, return part-level feedback (patterns across
# tests, e.g. "passes T=1 but fails T>1").
PartExplainer = Callable[[Part, Sequence[Case], Sequence[TestResult]], list[Text]]
# Optional hook: given one part's scored tests (grader.hooks.Observation), the names of the catalogued
# mistakes recognised on each (grader.mutants.MutantMatcher.name_part: only what explains the whole part).
MistakeNamer = Callable[[Part, Sequence[Observation]], list[list[str]]]


@dataclass
class RunRecord:
    """What running the submission produced, by case index, filled in as the child's records arrive."""

    tests: dict[int, TestResult] = field(default_factory=dict)
    submission_feedback: list[Text] = field(default_factory=list)
    output: list[str] = field(default_factory=list)
    # The student's decoded return values, by case index, for cases that returned normally.
    values: dict[int, Any] = field(default_factory=dict)
    # Cases during which the child died (time, memory, crash), in order.
    died: list[int] = field(default_factory=list)


def _make_test(case: Case, max_score: float, outcome: Outcome, feedback: list[Text],
               misconceptions: Sequence[str] = (), credit: Sequence[OutputCredit] = ()) -> TestResult:
    """A test's result; a wrong answer in a part with credit per output earns the share its right outputs
    weigh (grader.credit), anything else all or nothing."""
    if outcome is Outcome.passed:
        score = max_score
    else:
        score = max_score * credited_share(list(credit)) if credit else 0.0
    return TestResult(
        name=case.name,
        description=case.description,
        score=score,
        max_score=max_score,
        outcome=outcome,
        feedback=feedback[:MAX_FEEDBACK_PER_TEST],
        misconceptions=list(misconceptions),
        credit=list(credit),
    )


def error_feedback(function: str, error: Any, limits: Limits, show_message: bool) -> tuple[Outcome, Text]:
    if not isinstance(error, dict):
        error = {}
    etype = str(error.get("type", "Exception"))[:64]
    line = error.get("line")
    line_s = str(line) if type(line) is int else "?"
    message = str(error.get("message", ""))[:300]
    if etype == "MemoryError":
        return Outcome.memory_limit, msg("memory_error", function=function, limit_mib=limits.memory_limit_mib)
    if etype == "NotImplementedError":
        return Outcome.runtime_error, msg("not_implemented", function=function, line=line_s)
    if etype == "RecursionError":
        return Outcome.runtime_error, msg("recursion_error", function=function, line=line_s)
    if etype in ("PermissionError", "BlockingIOError") or "not permitted" in message:
        return Outcome.runtime_error, msg("forbidden", function=function)
    if show_message or not _FLOATISH.search(message):
        return Outcome.runtime_error, msg("runtime_error", function=function, error=etype, line=line_s,
                                          message=message or "-")
    return Outcome.runtime_error, msg("runtime_error_hidden_message", function=function, error=etype, line=line_s)


def death_feedback(report: RunReport, function: str, limits: Limits) -> tuple[Outcome, Text]:
    """The child stopped while running `function`: say why, in the student's terms."""
    status = report.status
    if status is RunStatus.cpu_limit:
        return Outcome.time_limit, msg("time_limit", function=function, limit_s=limits.cpu_time_limit_s)
    if status is RunStatus.wall_limit:
        return Outcome.time_limit, msg("wall_limit", function=function, limit_s=limits.wall_time_limit_s)
    if status is RunStatus.memory_limit:
        return Outcome.memory_limit, msg("memory_error", function=function, limit_mib=limits.memory_limit_mib)
    if status is RunStatus.output_limit:
        return Outcome.output_limit, msg("output_limit")
    if status is RunStatus.signaled:
        if report.signal == signal.SIGSYS:
            return Outcome.runtime_error, msg("forbidden", function=function)
        try:
            how = signal.Signals(report.signal or 0).name
        except ValueError:
            how = f"signal {report.signal}"
        return Outcome.runtime_error, msg("crashed", function=function, how=how)
    if status is RunStatus.exited:
        return Outcome.runtime_error, msg("exited", function=function, code=report.exit_code)
    return Outcome.internal_error, msg("grader_error")


def import_feedback(head: dict[str, Any]) -> Text:
    """Why the file could not be imported, from the harness's import record (one that is not "ok")."""
    raw_error = head.get("error")
    error: dict[str, Any] = raw_error if isinstance(raw_error, dict) else {}
    key = "syntax_error" if head.get("import") == "syntax_error" else "import_error"
    line = error.get("line") if type(error.get("line")) is int else "?"
    return msg(key, error=str(error.get("type", "Error"))[:64], line=line, message=str(error.get("message", ""))[:200])


def missing_functions(head: dict[str, Any]) -> list[str]:
    """The functions the import record says the file does not define."""
    raw = head.get("missing")
    return [str(f) for f in raw] if isinstance(raw, list) else []


class _EarlyJudge:
    """Judges each call's answer as its record arrives, while the child runs the next calls (the child is
    another process: the comparison overlaps with the student's code; answers that need the explainer wait
    for the end of the run). It follows the
    rules of `Procedure._one_run` exactly: the harness's "ready" record, then an import record that says
    "ok", then the first record of each call; `_one_run` uses these verdicts only if the streamed bytes are
    the whole result, and decides everything else (deaths, missing functions, internal errors) itself."""

    def __init__(self, procedure: Procedure, cases: Sequence[Case], pending: list[int],
                 resolve: Callable[[], Sequence[Any]], max_scores: list[float], public: bool,
                 max_elements: int) -> None:
        self.procedure = procedure
        self.cases = cases
        self.pending = pending
        self.resolve = resolve
        self.max_scores = max_scores
        self.public = public
        self.stream = wire.RecordStream(max_elements)
        self.fed = 0
        self.failed = False
        self.judged: dict[int, TestResult] = {}
        self.scratch = RunRecord()  # the decoded values of the calls judged here
        self._seen = 0
        self._calls: set[int] = set()  # as `by_call` in _one_run: only a call's first record counts
        self._missing: list[str] = []  # set by the import record, which comes before any call's
        self._stopped = False

    def feed(self, data: bytes) -> None:
        self.fed += len(data)
        if self.failed:
            return
        try:
            for header, blobs in self.stream.feed(data):
                self._take(header, blobs)
        except Exception:  # a bug here must not cost the run: _one_run then judges everything itself
            log.exception("judging during the run failed; judging after it")
            self.failed = True

    def _take(self, header: dict[str, Any], blobs: list[Any]) -> None:
        index, self._seen = self._seen, self._seen + 1
        if self._stopped:
            return
        if index == 0:
            self._stopped = header.get("harness") != "ready"
            return
        if index == 1:
            self._stopped = header.get("import") != "ok"
            self._missing = missing_functions(header)
            return
        j = header.get("call")
        if type(j) is not int or not 0 <= j < len(self.pending) or j in self._calls:
            return
        self._calls.add(j)
        i = self.pending[j]
        case = self.cases[i]
        part = self.procedure.spec.part(case.part)
        if part.function in self._missing:
            return
        # Only verdicts that cost little: while this runs nobody drains the child's result pipe.
        test = self.procedure._judge(case, part, self.resolve()[i], self.max_scores[i], header, blobs,
                                     self.public, self.scratch, i, explain=False)
        if test is not None:
            self.judged[j] = test


def expected_outputs(exercise: Exercise, cases: Sequence[Case]) -> list[Any]:
    """The reference's answers, computed here in the trusted process on copies of the inputs."""
    spec = exercise.spec
    return [exercise.reference_function(spec.part(c.part))(*copy_value(c.args)) for c in cases]


class Procedure:
    """Grades one source against a list of cases of one exercise, given the expected outputs (from the
    reference on the server, from the public example file in a student's offline check)."""

    def __init__(self, spec: ExerciseSpec, runner: Runner, limits: Limits | None = None,
                 explainer: Explainer | None = None, part_explainer: PartExplainer | None = None,
                 catalogue: Catalogue | None = None, namer: MistakeNamer | None = None) -> None:
        self.spec = spec
        self.runner = runner
        self.limits = limits or spec.limits
        self.explainer = explainer
        self.part_explainer = part_explainer
        self.namer = namer
        # Titles and hints of the named mistakes, said once per part (grader.mistakes).
        self.catalogue: Catalogue = catalogue or {}

    def run(self, cases: Sequence[Case], expected: Sequence[Any] | Callable[[], Sequence[Any]], source: str, *,
            public: bool = False) -> tuple[list[PartResult], RunRecord]:
        """`expected` may be a callable (e.g. a future's result) so that the reference outputs are computed
        while the first child runs. `public` cases may show the student's own exception messages verbatim."""
        spec = self.spec
        resolve: Callable[[], Sequence[Any]] = expected if callable(expected) else (lambda: expected)
        per_part = {p.name: sum(1 for c in cases if c.part == p.name and c.scored) for p in spec.parts}
        max_scores = [spec.part(c.part).points / per_part[c.part] if c.scored else 0.0 for c in cases]
        record = RunRecord()
        pending = list(range(len(cases)))
        while pending:
            deaths_before = len(record.died)
            pending = self._one_run(cases, resolve, max_scores, pending, source, public, record)
            if len(record.died) > deaths_before and not any(cases[i].scored for i in pending):
                pending = []  # never spend another run only on unscored (diagnostic) cases
            for i in list(pending):
                dead = [d for d in record.died if cases[d].part == cases[i].part]
                if len(dead) >= DEATHS_PER_PART:
                    record.tests[i] = _make_test(cases[i], max_scores[i], record.tests[dead[-1]].outcome,
                                              [msg("not_run_after_failures", count=len(dead))])
                    pending.remove(i)
        parts = []
        for p in spec.parts:
            indices = [i for i, c in enumerate(cases) if c.part == p.name and c.scored]
            mine = [(cases[i], record.tests[i]) for i in indices]
            tests = [t for _, t in mine]
            feedback: list[Text] = []
            if any(t.outcome is Outcome.wrong_answer for t in tests):
                feedback = self._explain_part(p, indices, cases, resolve(), record)
            parts.append(PartResult(name=p.name, score=round(sum(t.score for t in tests), 6),
                                    max_score=p.points, tests=tests, feedback=feedback,
                                    mistakes=group_mistakes(tests, self.catalogue), credit=p.credit.per))
        return parts, record

    def _explain_part(self, part: Part, indices: list[int], cases: Sequence[Case], expected: Sequence[Any],
                      record: RunRecord) -> list[Text]:
        """A part with a wrong answer: name the mistakes that explain it (into its tests' `misconceptions`),
        or say that none is recognised and what the tests show; then the patterns across its tests."""
        feedback: list[Text] = []
        named = False
        if self.namer is not None:
            observations = [Observation(cases[i], record.tests[i].outcome, record.values.get(i, NO_ANSWER),
                                        expected[i]) for i in indices]
            try:
                found = self.namer(part, observations)
            except Exception:  # never let a diagnostic cost the student their result
                log.exception("mistake namer failed on %s", part.name)
                found = []
            for i, names in zip(indices, found, strict=False):
                test = record.tests[i]
                for name in names:
                    named = True
                    if name not in test.misconceptions:
                        test.misconceptions.append(name)
        if self.catalogue and not named:
            failing = [(cases[i], record.tests[i], record.values[i], expected[i]) for i in indices
                       if record.tests[i].outcome is Outcome.wrong_answer and i in record.values]
            # A mistake the harness named on a test (mutates_inputs) is named: the diagnostics stay, but not
            # the sentence that the grader recognises none.
            harness_named = any(record.tests[i].misconceptions for i in indices)
            feedback.extend(unrecognised(part, failing, says_none_named=not harness_named))
        # Patterns across tests explain wrong answers; a part that only crashed has its own messages.
        if self.part_explainer is not None:
            try:
                feedback.extend(self.part_explainer(part, [cases[i] for i in indices],
                                                    [record.tests[i] for i in indices]))
            except Exception:  # never let a diagnostic cost the student their result
                log.exception("part explainer failed on %s", part.name)
        return feedback

    def _one_run(self, cases: Sequence[Case], resolve: Callable[[], Sequence[Any]], max_scores: list[float],
                 pending: list[int], source: str, public: bool, record: RunRecord) -> list[int]:
        """Run the pending cases in one child; return those that still need a run."""
        spec = self.spec
        limits = self.limits
        calls = [(spec.part(cases[i].part).function, tuple(cases[i].args)) for i in pending]
        max_blob = limits.result_limit_mib * 1024 * 1024
        payload = harness.encode_payload(source, spec.student_file, calls, max_blob)
        early = _EarlyJudge(self, cases, pending, resolve, max_scores, public, max_blob // 8)
        report = self.runner.run(payload, limits, early.feed)
        expected = resolve()
        if report.output:
            record.output.append(report.output.decode("utf-8", "replace"))
        if early.fed == len(report.result) and not early.failed:
            records = early.stream.records  # parsed while the child ran
        else:  # the runner did not stream its results (or the listener failed): parse them all now
            records = wire.decode_records(report.result, max_elements=max_blob // 8)
            early.judged.clear()
        if report.status is RunStatus.internal_error:
            log.error("runner internal error: %s", report.detail)
            for i in pending:
                record.tests[i] = _make_test(cases[i], max_scores[i], Outcome.internal_error, [msg("grader_error")])
            return []
        if not records or records[0][0].get("harness") != "ready":
            log.error("harness did not start: %s %s", report.status, report.output[-500:])
            for i in pending:
                record.tests[i] = _make_test(cases[i], max_scores[i], Outcome.internal_error, [msg("grader_error")])
            return []
        records = records[1:]
        head = records[0][0] if records else None
        if head is None or "import" not in head:
            # Died before or while importing the file: blame the import, run nothing else.
            function = "import"
            outcome, text = death_feedback(report, function, limits)
            record.submission_feedback.append(text)
            for i in pending:
                record.tests[i] = _make_test(cases[i], max_scores[i], outcome, [msg("not_run_import")])
            return []
        if head["import"] != "ok":
            record.submission_feedback.append(import_feedback(head))
            for i in pending:
                record.tests[i] = _make_test(cases[i], max_scores[i], Outcome.runtime_error, [msg("not_run_import")])
            return []
        missing = missing_functions(head)
        for function in sorted(set(missing)):
            text = msg("missing_function", function=function)
            if text not in record.submission_feedback:
                record.submission_feedback.append(text)
        by_call: dict[int, tuple[dict[str, Any], list[Any]]] = {}
        for header, blobs in records[1:]:
            j = header.get("call")
            if type(j) is int and 0 <= j < len(pending) and j not in by_call:
                by_call[j] = (header, blobs)
        for j, i in enumerate(pending):
            case, part = cases[i], spec.part(cases[i].part)
            if part.function in missing:
                record.tests[i] = _make_test(case, max_scores[i], Outcome.runtime_error,
                                          [msg("not_run_missing", function=part.function)])
            elif j in early.judged:  # judged while the child ran, on the same record
                record.tests[i] = early.judged[j]
                if i in early.scratch.values:
                    record.values[i] = early.scratch.values[i]
            elif j in by_call:
                test = self._judge(case, part, expected[i], max_scores[i], *by_call[j], public, record, i)
                assert test is not None  # with explain=True there is always a verdict
                record.tests[i] = test
            else:
                outcome, text = death_feedback(report, part.function, limits)
                record.tests[i] = _make_test(case, max_scores[i], outcome, [text])
                record.died.append(i)
                if outcome is Outcome.internal_error:
                    log.error("unclassified child exit: %s", report)
                return pending[j + 1 :]
        return []

    def _judge(self, case: Case, part: Part, expected: Any, max_score: float, header: dict[str, Any],
               blobs: list[Any], public: bool, record: RunRecord, index: int,
               explain: bool = True) -> TestResult | None:
        """The test's verdict. With `explain=False`, None for a wrong answer the explainer would look at
        (the mutant search may take up to its CPU budget): that one is judged after the run."""
        if header.get("ok") is not True:
            outcome, text = error_feedback(part.function, header.get("error"), self.limits, public)
            return _make_test(case, max_score, outcome, [text])
        try:
            value = wire.decode_value(header.get("tree"), blobs)
        except wire.WireError:
            text = msg("wrong_type", what=f"{part.function}()", expected="arrays, floats, dicts and tuples",
                       got="something that cannot be read back")
            return _make_test(case, max_score, Outcome.wrong_answer, [text])
        record.values[index] = value
        if not case.scored:  # diagnostics only: its value feeds a chart, it earns and explains nothing
            return _make_test(case, max_score, Outcome.passed, [])
        comparison = compare(value, expected, part, dict(case.facts))
        credit = output_credit(part, comparison, value, expected)
        raw_mutated = header.get("mutated")
        mutated = [k for k in raw_mutated if type(k) is int] if isinstance(raw_mutated, list) else []
        feedback = [m.message for m in comparison.mismatches]
        names: list[str] = []
        # Changing an input in place is named (it breaks callers that still need the original), but a
        # right answer stays right: torch's own clip_grad_norm_ scales in place.
        warnings = [
            msg("mutated_input", function=part.function, arg=part.args[k] if k < len(part.args) else f"#{k + 1}")
            for k in mutated[:3]
        ]
        if mutated:
            names.append("mutates_inputs")
        if comparison.ok:
            return _make_test(case, max_score, Outcome.passed, [msg("passed"), *warnings], names, credit)
        feedback.extend(warnings)
        if self.explainer is not None and not explain:
            return None
        if self.explainer is not None and not comparison.ok and case.scored:
            try:
                extra, found = self.explainer(part, case, value, expected)
                feedback = extra + feedback
                names.extend(found)
            except Exception:  # a broken explainer must not cost the student the test result
                log.exception("explainer failed on %s", case.name)
        if credit:  # first, so that the cap on a test's feedback never drops it
            feedback.insert(0, credit_message(credit, max_score * credited_share(credit), max_score))
        return _make_test(case, max_score, Outcome.wrong_answer, feedback, names, credit)
