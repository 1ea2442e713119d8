"""What credit per output changes: a class graded all or nothing, then regraded with backward's credit per
output, through the server's own regrade batch and report. Prints how many counted scores moved (the regrade
report's totals), which parts moved, and by how much.

The class: one student per solution of the corpus, each with one submission graded on its own seed: the ten
independent correct solutions, every catalogued mistake written into 5-7 of them, and the uncatalogued
mistakes (tests/exercise/written_mistakes.py). "Before" is the same grader with every part all or nothing
per test (the spec as it was); "after" is exercises/rnn as it is. Both grade in the sandbox. The database is
a fresh SQLite file; everything from the batch on is the production path (start_batch, write_result with its
history row and the pair's refresh, batch_report).

    .venv/bin/python benchmarks/regrade_credit.py
"""

from __future__ import annotations

import dataclasses
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "exercise"))

import sqlalchemy as sa  # noqa: E402
from written_mistakes import UNCATALOGUED, every_written, solution, write, write_uncatalogued  # noqa: E402

from grader.exercise import Credit, Exercise, load_exercises  # noqa: E402
from grader.grade import Grader  # noqa: E402
from server.db import create_db_engine, run_migrations, utcnow  # noqa: E402
from server.grading.claims import write_result  # noqa: E402
from server.models import Student, Submission  # noqa: E402
from server.regrades.batches import batch_report, credit_rules, start_batch  # noqa: E402
from server.tables import submissions_t  # noqa: E402


def all_or_nothing(exercise: Exercise) -> Exercise:
    parts = tuple(dataclasses.replace(p, credit=Credit()) for p in exercise.spec.parts)
    return dataclasses.replace(exercise, spec=dataclasses.replace(exercise.spec, parts=parts))


def the_class() -> list[tuple[str, str]]:
    """(what the student wrote, source) for every student."""
    stems = sorted({stem for _, stem in every_written()})
    students = [(f"correct {stem}", solution(stem)) for stem in stems]
    students += [(f"{name} in {stem}", write(name, stem)) for name, stem in every_written()]
    students += [(f"uncatalogued: {d}", write_uncatalogued(d)) for d in UNCATALOGUED]
    return students


def main() -> None:
    exercise = load_exercises()["rnn"]
    students = the_class()
    with open("/proc/loadavg") as f:
        load_before = f.read().split()[:3]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp, Grader({"rnn": all_or_nothing(exercise)}) as before, \
            Grader({"rnn": exercise}) as after:
        engine = create_db_engine(f"sqlite:///{tmp}/regrade.db")
        run_migrations(engine)
        now = utcnow()
        with engine.begin() as conn:
            conn.execute(sa.insert(Student.__table__), [  # type: ignore[attr-defined]
                {"student_id": f"s{i:04d}", "name": what[:200], "token_hash": f"{i:064x}", "created_at": now}
                for i, (what, _source) in enumerate(students)])
            ids = [int(conn.execute(sa.insert(Submission.__table__).values(  # type: ignore[attr-defined]
                student_id=f"s{i:04d}", exercise="rnn", source=source, status="queued", max_score=100.0,
                seed=1000 + i, created_at=now).returning(submissions_t.c.id)).scalar_one())
                for i, (_what, source) in enumerate(students)]
        for (_what, source), sid, seed in zip(students, ids, range(1000, 1000 + len(students)), strict=True):
            assert write_result(engine, sid, "graded", before.grade("rnn", source, seed))
        with engine.connect() as conn:
            batch_id, queued = start_batch(conn, actor="benchmark", reason="credit per output in backward",
                                           selector={"exercise": "rnn"}, where=submissions_t.c.exercise == "rnn",
                                           policy="best", commit=conn.commit)
        assert sorted(queued) == sorted(ids)
        for (_what, source), sid, seed in zip(students, ids, range(1000, 1000 + len(students)), strict=True):
            assert write_result(engine, sid, "graded", after.grade("rnn", source, seed))
        with engine.connect() as conn:
            report = batch_report(conn, batch_id, credit_rules({"rnn": exercise}))
        engine.dispose()
    elapsed = time.perf_counter() - started
    with open("/proc/loadavg") as f:
        load_after = f.read().split()[:3]
    assert report is not None and report.finished

    totals = report.totals
    print(f"{len(students)} students, one submission each; regrade batch {report.id}: {report.done}/{report.total} "
          f"graded again")
    print(f"counted scores: {totals.up} up, {totals.down} down, {totals.same} same, {totals.pending} pending; "
          f"moved: {report.moved}")
    print(f"{'part':10s} {'credit now':10s} {'up':>4s} {'down':>4s} {'same':>4s}")
    for part in report.parts:
        print(f"{part.part:10s} {part.credit or '-':10s} {part.up:>4d} {part.down:>4d} {part.same:>4d}")
    gains = [s.after - s.before for s in report.students
             if s.change == "up" and s.after is not None and s.before is not None]
    if gains:
        print(f"gains of the {len(gains)} that moved: median {statistics.median(gains):.2f}, "
              f"min {min(gains):.2f}, max {max(gains):.2f} points of 100")
    moved_by = Counter(name.split(" in ")[0] for name, s in zip((w for w, _ in students), report.students,
                                                                 strict=True) if s.change == "up")
    print("moved, by what was written: " + ", ".join(f"{k} {v}" for k, v in moved_by.most_common()))
    print(f"{2 * len(students)} sandboxed gradings in {elapsed:.1f} s; load average {' '.join(load_before)} "
          f"before, {' '.join(load_after)} after")


if __name__ == "__main__":
    main()
