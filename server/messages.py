"""The few messages the server itself shows (the grader's catalogue covers everything about the code)."""

from __future__ import annotations

from grader.result import Text

QUEUED = Text(en="Waiting to be graded.", zh="等待评测。")
RUNNING = Text(en="Being graded.", zh="正在评测。")
FAILED = Text(
    en="The grader could not grade this submission (an internal error, not your fault). Your teacher can "
    "see what happened; you may submit again.",
    zh="评测系统无法评测此次提交（内部错误，不是你的问题）。老师可以查看原因；你可以重新提交。",
)
LATE = Text(en="Submitted after the deadline.", zh="提交时间晚于截止时间。")
