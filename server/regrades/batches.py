"""Regrade batches: queue submissions again without losing what counts, and report what changed.

Starting a batch puts graded/failed submissions back in the queue (behind new submissions) with
`regrading` set when they have a score: that score keeps counting until the new grading is written
(server.grading.claims.write_result). Per (student, exercise) the batch keeps the counted score before it
started; each grading of the batch updates the pair's `after` and `pending` (server.regrades.history), so
the report is exact at any moment and frozen once the batch is done.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

import sqlalchemy as sa

from grader.exercise import Exercise
from server.audit import record
from server.auth.principal import Principal
from server.models import FINAL_STATUSES, Submission, SubmissionStatus
from server.regrades.history import NOTHING_COUNTED, Counted, counted_columns, counted_of
from server.regrades.models import (
    CreditPer,
    RegradeBatchSummary,
    RegradeItemPublic,
    RegradePartTotals,
    RegradeReport,
    RegradeTotals,
    regrade_batches_t,
    regrade_items_t,
)
from server.scoreboard.export import spreadsheet_number, spreadsheet_text
from server.tables import scores_t, students_t, submissions_t

REGRADE_PRIORITY = -1
CHUNK = 500
SCORE_EPSILON = 1e-9
FINAL = [status.value for status in FINAL_STATUSES]
GRADED = SubmissionStatus.graded.value
Change = Literal["up", "down", "same", "pending"]


def start_batch(
    conn: sa.Connection,
    *,
    by: Principal,
    reason: str | None,
    selector: Mapping[str, Any],
    where: Any,
    policy: str,
    commit: Callable[[], None] | None = None,
    on_queued: Callable[[list[int]], None] | None = None,
) -> tuple[int, list[int]]:
    """Create a batch and queue every graded/failed submission matching `where` in it. Returns (batch id,
    queued submission ids).

    Without `commit` everything happens in the caller's transaction (the caller commits, then enqueues).
    With `commit` (a regrade of a whole class) the batch and its report rows are committed first, then each
    chunk of CHUNK submissions in its own short transaction, handed to `on_queued` after its commit: on
    SQLite a regrade of 50,000 rewrites 50,000 rows, and one transaction would hold the only write lock
    (new submissions, graders) for all of that time; this way grading starts after the first chunk."""
    selected = [
        (int(i), str(s), str(e))
        for i, s, e in conn.execute(
            sa.select(submissions_t.c.id, submissions_t.c.student_id, submissions_t.c.exercise)
            .where(submissions_t.c.status.in_(FINAL), where)
            .order_by(submissions_t.c.id)
        ).all()
    ]
    per_pair = Counter((s, e) for _i, s, e in selected)
    batch_id = int(
        conn.execute(
            sa.insert(regrade_batches_t)
            .values(actor=by.actor, reason=reason, selector=dict(selector), policy=policy, total=len(selected))
            .returning(regrade_batches_t.c.id)
        ).scalar_one()
    )
    before = _counted_scores(conn, sorted({s for s, _ in per_pair}), policy)
    items = [
        {
            "batch_id": batch_id,
            "student_id": s,
            "exercise": e,
            "submissions": n,
            "pending": n,
            "before_id": before.get((s, e), NOTHING_COUNTED).id,
            "before_score": before.get((s, e), NOTHING_COUNTED).score,
            "before_parts": before.get((s, e), NOTHING_COUNTED).parts,
            "after_id": None,
            "after_score": None,
        }
        for (s, e), n in sorted(per_pair.items())
    ]
    for start in range(0, len(items), CHUNK):
        conn.execute(sa.insert(regrade_items_t), items[start : start + CHUNK])
    record(
        conn,
        by=by,
        action="regrade",
        target=f"batch:{batch_id}",
        reason=reason,
        detail={"selector": dict(selector), "queued": len(selected)},
    )
    if commit is not None:
        commit()
    queued: list[int] = []
    for start in range(0, len(selected), CHUNK):
        chunk = selected[start : start + CHUNK]
        ids = [
            int(i)
            for i in conn.execute(
                sa.update(Submission)
                .where(submissions_t.c.id.in_([i for i, _s, _e in chunk]), submissions_t.c.status.in_(FINAL))
                .values(
                    status=SubmissionStatus.queued.value,
                    attempts=0,
                    priority=REGRADE_PRIORITY,
                    lease_until=None,
                    lease_owner=None,
                    last_error=None,
                    regrade_batch_id=batch_id,
                    # SET sees the old row: a graded row with a score keeps counting while it waits.
                    regrading=sa.case(
                        (sa.and_(submissions_t.c.status == GRADED, submissions_t.c.score.is_not(None)), sa.true()),
                        else_=sa.false(),
                    ),
                )
                .returning(submissions_t.c.id)
            ).scalars()
        ]
        if len(ids) < len(chunk):  # some were queued by someone else meanwhile: not part of this batch
            _drop_from_batch(conn, batch_id, [(s, e) for i, s, e in chunk if i not in set(ids)])
        if commit is not None:
            commit()
        if on_queued is not None:
            on_queued(ids)
        queued.extend(ids)
    return batch_id, queued


def _drop_from_batch(conn: sa.Connection, batch_id: int, pairs: Sequence[tuple[str, str]]) -> None:
    for (student_id, exercise), n in Counter(pairs).items():
        this = sa.and_(
            regrade_items_t.c.batch_id == batch_id,
            regrade_items_t.c.student_id == student_id,
            regrade_items_t.c.exercise == exercise,
        )
        conn.execute(
            sa.update(regrade_items_t)
            .where(this)
            .values(submissions=regrade_items_t.c.submissions - n, pending=regrade_items_t.c.pending - n)
        )
        conn.execute(sa.delete(regrade_items_t).where(this, regrade_items_t.c.submissions <= 0))
    conn.execute(
        sa.update(regrade_batches_t)
        .where(regrade_batches_t.c.id == batch_id)
        .values(total=regrade_batches_t.c.total - len(pairs))
    )


def _counted_scores(conn: sa.Connection, students: Sequence[str], policy: str) -> dict[tuple[str, str], Counted]:
    out: dict[tuple[str, str], Counted] = {}
    for start in range(0, len(students), CHUNK):
        rows = conn.execute(
            counted_columns(policy).where(scores_t.c.student_id.in_(students[start : start + CHUNK]))
        ).all()
        for row in rows:
            out[(str(row.student_id), str(row.exercise))] = counted_of(row)
    return out


def change_of(before: float | None, after: float | None, pending: int) -> Change:
    if pending > 0:
        return "pending"
    if after is None and before is None:
        return "same"
    if before is None:
        return "up"
    if after is None:
        return "down"
    if after > before + SCORE_EPSILON:
        return "up"
    if after < before - SCORE_EPSILON:
        return "down"
    return "same"


def _summary(row: Any, pending: int) -> RegradeBatchSummary:
    done = int(row.total) - pending
    return RegradeBatchSummary(
        id=int(row.id),
        created_at=row.created_at,
        actor=str(row.actor),
        reason=row.reason,
        selector=dict(row.selector or {}),
        total=int(row.total),
        done=done,
        finished=done >= int(row.total),
    )


def _batch_row(conn: sa.Connection, batch_id: int) -> Any:
    return conn.execute(sa.select(regrade_batches_t).where(regrade_batches_t.c.id == batch_id)).first()


def batch_report(conn: sa.Connection, batch_id: int,
                 credit: Mapping[tuple[str, str], CreditPer] | None = None) -> RegradeReport | None:
    """The batch's report; `credit` ((exercise, part) -> "test" | "output", from the exercises offered now)
    labels its per-part totals."""
    batch = _batch_row(conn, batch_id)
    if batch is None:
        return None
    rows = conn.execute(
        sa.select(
            regrade_items_t.c.student_id,
            students_t.c.name,
            regrade_items_t.c.exercise,
            regrade_items_t.c.submissions,
            regrade_items_t.c.pending,
            regrade_items_t.c.before_score,
            regrade_items_t.c.after_score,
            regrade_items_t.c.before_parts,
            regrade_items_t.c.after_parts,
        )
        .select_from(
            regrade_items_t.outerjoin(students_t, students_t.c.student_id == regrade_items_t.c.student_id)
        )
        .where(regrade_items_t.c.batch_id == batch_id)
        .order_by(regrade_items_t.c.student_id, regrade_items_t.c.exercise)
    ).all()
    students: list[RegradeItemPublic] = []
    for student_id, name, exercise, submissions, pending, before, after, before_parts, after_parts in rows:
        students.append(
            RegradeItemPublic(
                student_id=str(student_id),
                name=str(name or ""),
                exercise=str(exercise),
                submissions=int(submissions),
                pending=int(pending),
                before=before,
                after=after if int(pending) == 0 or after is not None else None,
                change=change_of(before, after, int(pending)),
                parts_before=_parts(before_parts),
                parts_after=_parts(after_parts),
            )
        )
    counts = Counter(item.change for item in students)
    pending_subs = sum(item.pending for item in students)
    summary = _summary(batch, pending_subs)
    return RegradeReport(
        id=summary.id,
        created_at=summary.created_at,
        actor=summary.actor,
        reason=summary.reason,
        selector=summary.selector,
        policy=str(batch.policy),
        total=summary.total,
        done=summary.done,
        finished=summary.finished,
        totals=RegradeTotals(up=counts["up"], down=counts["down"], same=counts["same"], pending=counts["pending"]),
        moved=counts["up"] + counts["down"],
        students=students,
        parts=part_totals(students, credit or {}),
    )


def _parts(raw: Any) -> dict[str, float] | None:
    if not isinstance(raw, dict):
        return None
    return {str(k): float(v) for k, v in raw.items() if isinstance(v, int | float)}


def part_totals(students: Sequence[RegradeItemPublic],
                credit: Mapping[tuple[str, str], CreditPer]) -> list[RegradePartTotals]:
    """Per (exercise, part), over the pairs that are done and have both per-part records: up, down, same.
    `credit`: how each (exercise, part) gives credit now."""
    moves: dict[tuple[str, str], Counter[str]] = {}
    for item in students:
        if item.pending or item.parts_before is None or item.parts_after is None:
            continue
        for part in dict.fromkeys([*item.parts_before, *item.parts_after]):
            change = change_of(item.parts_before.get(part), item.parts_after.get(part), 0)
            moves.setdefault((item.exercise, part), Counter())[change] += 1
    return [RegradePartTotals(exercise=e, part=p, credit=credit.get((e, p)), up=c["up"], down=c["down"],
                              same=c["same"])
            for (e, p), c in sorted(moves.items())]


def list_batches(conn: sa.Connection, limit: int = 50, offset: int = 0) -> list[RegradeBatchSummary]:
    batches = conn.execute(
        sa.select(regrade_batches_t).order_by(regrade_batches_t.c.id.desc()).offset(offset).limit(limit)
    ).all()
    if not batches:
        return []
    pending: dict[Any, Any] = dict(
        conn.execute(
            sa.select(regrade_items_t.c.batch_id, sa.func.coalesce(sa.func.sum(regrade_items_t.c.pending), 0))
            .where(regrade_items_t.c.batch_id.in_([int(b.id) for b in batches]))
            .group_by(regrade_items_t.c.batch_id)
        ).all()
    )
    return [_summary(b, int(pending.get(b.id, 0))) for b in batches]


def report_csv(report: RegradeReport) -> bytes:
    """One row per (student, exercise): before, after and the change (`pending` while not regraded yet).
    UTF-8 with a BOM, like the scoreboard's CSV."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(["student_id", "name", "exercise", "before", "after", "change", "submissions", "pending"])
    for item in report.students:
        writer.writerow(
            [
                spreadsheet_text(item.student_id),
                spreadsheet_text(item.name),
                spreadsheet_text(item.exercise),
                _num(item.before),
                _num(item.after),
                item.change,
                item.submissions,
                item.pending,
            ]
        )
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")


def _num(value: float | None) -> str:
    return "" if value is None else spreadsheet_number(value)


def credit_rules(exercises: Mapping[str, Exercise]) -> dict[tuple[str, str], CreditPer]:
    """How each part of the offered exercises gives credit now, for batch_report."""
    return {(exercise_id, part.name): "output" if part.credit.per == "output" else "test"
            for exercise_id, exercise in exercises.items() for part in exercise.spec.parts}
