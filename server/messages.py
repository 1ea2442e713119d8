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
LATE_PENALTY = Text(
    en="Submitted after the deadline: {percent}% of the score is deducted.",
    zh="提交时间晚于截止时间：扣除 {percent}% 的分数。",
)
LIKELY_MISTAKE = Text(en="Likely mistake: {title}. {hint}", zh="可能的错误：{title}。{hint}")
LIMITED_FEEDBACK = Text(
    en="Until the deadline this exercise shows {what}; the full feedback opens after it.",
    zh="截止时间之前，本练习只显示{what}；截止后显示完整反馈。",
)
