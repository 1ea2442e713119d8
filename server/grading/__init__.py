"""Grading work, from a committed `queued` row to a written result.

- `protocol`: the Queue, GraderLike and Notifier interfaces the API depends on;
- `claims`: the SQL of a claim (lease), its heartbeat, the exactly-once result write, stale-lease recovery;
- `loop`: `GradingLoop`, claim -> grade -> write -> retry, shared by every queue;
- `grader_factory`: the real Grader (sandbox zygote) each grading slot owns;
- `inprocess`: the embedded default queue (`RNN_GRADER_QUEUE=inprocess`);
- `procrastinate_queue`, `procrastinate_slots`: the deployment queue on PostgreSQL and its job slots;
- `queues`: picks the queue the settings name;
- `command`: `rnn-grader worker`, grading in a process of its own.

Words: a *worker* is the `rnn-grader worker` process, nothing else; a *grading thread* (in-process queue) or
*slot* (procrastinate) is one Grader with its GradingLoop; RNN_GRADER_WORKERS (`Queue.workers`, /healthz
`workers`) counts those in one process; procrastinate's own "worker" is its job runner inside the slots.
"""
