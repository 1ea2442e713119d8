"""Every string of the teacher's pages, in English and Chinese, and how a request picks its language.

Order: `?lang=` (remembered in a cookie), then the cookie, then Accept-Language, then English.
"""

from __future__ import annotations

from fastapi import Request, Response

from server.deps import get_lang
from server.web.drafts_i18n import DRAFT_MESSAGES
from server.web.hints_i18n import HINT_MESSAGES
from server.web.regrades_i18n import REGRADE_MESSAGES
from server.web.similarity_i18n import SIMILARITY_MESSAGES
from server.web.student_i18n import STUDENT_MESSAGES

LANGS = ("en", "zh")
LANG_COOKIE = "rnn_grader_lang"
LANG_COOKIE_MAX_AGE_S = 365 * 24 * 3600

MESSAGES: dict[str, dict[str, str]] = {
    "app_name": {"en": "rnn-grader", "zh": "rnn-grader"},
    "scoreboard": {"en": "Scoreboard", "zh": "成绩总览"},
    "leaderboard": {"en": "Leaderboard", "zh": "排行榜"},
    "leaderboard_note": {
        "en": "Best score per exercise. Names are pseudonyms: only your teacher can tell who is who.",
        "zh": "每个练习的最高分。姓名为化名：只有老师知道对应的是谁。",
    },
    "rank": {"en": "Rank", "zh": "名次"},
    "pseudonym": {"en": "Pseudonym", "zh": "化名"},
    "login_title": {"en": "Teacher sign-in", "zh": "教师登录"},
    "login_help": {
        "en": "Paste your staff token (instructor or TA; the first instructor's is RNN_GRADER_ADMIN_TOKEN, or the "
        "admin-token file in the server's data directory).",
        "zh": "请粘贴你的教师令牌（教师或助教；第一位教师的令牌为 RNN_GRADER_ADMIN_TOKEN，或服务器数据目录中的 "
        "admin-token 文件）。",
    },
    "token": {"en": "Teacher token", "zh": "教师令牌"},
    "sign_in": {"en": "Sign in", "zh": "登录"},
    "sign_out": {"en": "Sign out", "zh": "退出登录"},
    "login_missing": {"en": "Enter the teacher token.", "zh": "请输入教师令牌。"},
    "login_unknown": {"en": "This token is not valid.", "zh": "令牌无效。"},
    "login_too_many": {
        "en": "Too many invalid tokens came from your network address. Try again in {seconds} s.",
        "zh": "来自你的网络地址的无效令牌过多，请在 {seconds} 秒后重试。",
    },
    "login_student": {
        "en": "This is a student token. The scoreboard is for teachers only: sign in with the teacher token.",
        "zh": "这是学生令牌。成绩总览仅供教师使用：请使用教师令牌登录。",
    },
    "login_form_expired": {
        "en": "This sign-in form expired or was not sent from this site. Sign in again here.",
        "zh": "此登录表单已过期，或并非从本站提交。请在此重新登录。",
    },
    "signed_in_staff": {"en": "{name} · {role}", "zh": "{name} · {role}"},
    "role_instructor": {"en": "instructor", "zh": "教师"},
    "role_ta": {"en": "TA", "zh": "助教"},
    "role_student": {"en": "student", "zh": "学生"},
    "role": {"en": "Role", "zh": "角色"},
    "signed_out": {"en": "You are signed out.", "zh": "你已退出登录。"},
    "students": {"en": "Students", "zh": "学生"},
    "student": {"en": "Student", "zh": "学生"},
    "student_id": {"en": "ID", "zh": "学号"},
    "name": {"en": "Name", "zh": "姓名"},
    "total": {"en": "Total", "zh": "总分"},
    "late": {"en": "Late", "zh": "迟交"},
    "yes": {"en": "yes", "zh": "是"},
    "no": {"en": "no", "zh": "否"},
    "score": {"en": "Score", "zh": "得分"},
    "submissions_short": {"en": "Subm.", "zh": "提交"},
    "submissions": {"en": "Submissions", "zh": "提交次数"},
    "last_submission": {"en": "Last", "zh": "最近提交"},
    "filter_placeholder": {"en": "Filter by name or ID", "zh": "按姓名或学号筛选"},
    "filter": {"en": "Filter", "zh": "筛选"},
    "clear": {"en": "Clear", "zh": "清除"},
    "showing": {"en": "{first}–{last} of {total}", "zh": "第 {first}–{last} 条，共 {total} 条"},
    "no_rows": {"en": "No students match.", "zh": "没有符合条件的学生。"},
    "previous": {"en": "Previous", "zh": "上一页"},
    "next": {"en": "Next", "zh": "下一页"},
    "page_of": {"en": "Page {page} of {pages}", "zh": "第 {page} / {pages} 页"},
    "export_csv": {"en": "Export CSV", "zh": "导出 CSV"},
    "export_json": {"en": "Export JSON", "zh": "导出 JSON"},
    "live": {"en": "Live: updates by itself", "zh": "实时：自动更新"},
    "updated": {"en": "Updated", "zh": "已更新"},
    "policy_best": {"en": "Counted: best graded submission", "zh": "计分：最高分的已评测提交"},
    "policy_latest": {"en": "Counted: latest graded submission", "zh": "计分：最近一次已评测提交"},
    "submitted": {"en": "Submitted", "zh": "已提交"},
    "median": {"en": "Median", "zh": "中位数"},
    "full_marks": {"en": "Full marks", "zh": "满分"},
    "queued_now": {"en": "Waiting or grading", "zh": "排队或评测中"},
    "deadline": {"en": "Deadline", "zh": "截止"},
    "no_deadline": {"en": "no deadline", "zh": "无截止时间"},
    "charts": {"en": "Class overview", "zh": "全班概况"},
    "distribution": {"en": "Score distribution", "zh": "分数分布"},
    "distribution_of": {"en": "Score distribution: {what}", "zh": "分数分布：{what}"},
    "students_axis": {"en": "students", "zh": "人数"},
    "points_axis": {"en": "points", "zh": "分数"},
    "over_time": {"en": "Submissions over time", "zh": "提交时间分布"},
    "over_time_of": {"en": "Submissions over time: {what} (per {bucket})", "zh": "提交时间分布：{what}（每 {bucket}）"},
    "bucket_hours": {"en": "{n} h", "zh": "{n} 小时"},
    "bucket_days": {"en": "{n} d", "zh": "{n} 天"},
    "most_failed": {"en": "Most failed tests", "zh": "失败最多的测试"},
    "most_failed_help": {
        "en": "Students whose counted submission fails the test.",
        "zh": "计分提交未通过该测试的学生人数。",
    },
    "most_failed_of": {"en": "Most failed tests: {what}", "zh": "失败最多的测试：{what}"},
    "nothing_failed": {"en": "No failed tests.", "zh": "没有失败的测试。"},
    "misconceptions": {"en": "Misconceptions", "zh": "常见错误"},
    "misconceptions_help": {
        "en": "Named mistakes the grader recognised. “Ever”: students with it in any graded submission; "
        "“Still”: in the submission that counts now.",
        "zh": "评测系统识别出的典型错误。“曾出现”：任一已评测提交中出现过的学生人数；"
        "“仍存在”：当前计分提交中仍出现的学生人数。",
    },
    "misconception": {"en": "Misconception", "zh": "错误类型"},
    "part": {"en": "Part", "zh": "部分"},
    "credit_per_output": {"en": "credit per output", "zh": "按输出计分"},
    "credit_per_output_note": {
        "en": "Each test of this part earns the share of its points that its right outputs weigh.",
        "zh": "本部分的每个测试按其中正确输出所占的权重得分。",
    },
    "ever": {"en": "Ever", "zh": "曾出现"},
    "still": {"en": "Still", "zh": "仍存在"},
    "no_misconceptions": {"en": "No misconception recognised yet.", "zh": "尚未识别出常见错误。"},
    "any_part": {"en": "any part", "zh": "任意部分"},
    "back": {"en": "Back to the scoreboard", "zh": "返回成绩总览"},
    "history": {"en": "Submission history", "zh": "提交历史"},
    "history_count": {"en": "newest {shown} of {total}", "zh": "最近 {shown} 次，共 {total} 次"},
    "no_submissions": {"en": "No submissions yet.", "zh": "暂无提交。"},
    "submission": {"en": "Submission", "zh": "提交"},
    "exercise": {"en": "Exercise", "zh": "练习"},
    "status": {"en": "Status", "zh": "状态"},
    "status_queued": {"en": "queued", "zh": "排队中"},
    "status_running": {"en": "grading", "zh": "评测中"},
    "status_graded": {"en": "graded", "zh": "已评测"},
    "status_failed": {"en": "failed", "zh": "评测失败"},
    "counted": {"en": "counts", "zh": "计分"},
    "extensions": {"en": "Own deadlines (extensions)", "zh": "个人截止时间（延期）"},
    "late_penalty": {"en": "Late penalty", "zh": "迟交扣分"},
    "raw_score": {"en": "raw score", "zh": "原始得分"},
    "submitted_at": {"en": "Submitted at", "zh": "提交时间"},
    "time_to_grade": {"en": "Time to grade", "zh": "评测耗时"},
    "grading_time": {"en": "{ms} ms of grading, {wait} after submission", "zh": "评测 {ms} 毫秒，提交后 {wait} 完成"},
    "attempts": {"en": "Attempts", "zh": "评测次数"},
    "grader_version": {"en": "Grader", "zh": "评测版本"},
    "feedback": {"en": "Feedback", "zh": "反馈"},
    "tests": {"en": "Tests", "zh": "测试"},
    "test": {"en": "Test", "zh": "测试"},
    "outcome": {"en": "Outcome", "zh": "结果"},
    "source": {"en": "Submitted source", "zh": "提交的源代码"},
    "source_notebook": {"en": "Source graded (the definitions extracted from the notebook)",
                        "zh": "评测的源代码（从笔记本中提取的定义）"},
    "notebook_skipped": {"en": "Notebook cells not run", "zh": "未运行的笔记本单元格"},
    "notebook_none_skipped": {"en": "Every code cell was run.", "zh": "所有代码单元格都已运行。"},
    "output": {"en": "Captured output (teacher only)", "zh": "程序输出（仅教师可见）"},
    "last_error": {"en": "Grader error", "zh": "评测错误"},
    "chart_public_inputs": {"en": "Chart (public inputs)", "zh": "图表（公开输入）"},
    "chart_hollow_markers": {"en": "hollow markers: 0 or below the axis", "zh": "空心点：0 或低于坐标轴下限"},
    "chart_omitted": {"en": "Chart omitted: it did not pass the safety check.", "zh": "图表未显示：未通过安全检查。"},
    "charts_ask": {"en": "Draw the charts for this submission", "zh": "绘制此提交的图表"},
    "charts_ask_note": {
        "en": "Every test passed, so the charts were not drawn with the result. They take a few seconds.",
        "zh": "所有测试都已通过，因此评测结果中没有附带图表。绘制只需几秒钟。",
    },
    "charts_pending": {
        "en": "The charts for this submission are being drawn; they appear here when they are ready.",
        "zh": "正在绘制此提交的图表，完成后会显示在这里。",
    },
    "charts_failed": {
        "en": "The charts could not be drawn this time (a grader problem, not your code). Try again.",
        "zh": "这次未能绘制图表（评测系统的问题，与你的代码无关）。请重试。",
    },
    "results_json": {"en": "results.json", "zh": "results.json"},
    "not_graded_yet": {"en": "Not graded yet.", "zh": "尚未评测。"},
    "outcome_passed": {"en": "passed", "zh": "通过"},
    "outcome_wrong_answer": {"en": "wrong answer", "zh": "答案错误"},
    "outcome_runtime_error": {"en": "runtime error", "zh": "运行错误"},
    "outcome_time_limit": {"en": "time limit", "zh": "超时"},
    "outcome_memory_limit": {"en": "memory limit", "zh": "超内存"},
    "outcome_output_limit": {"en": "output limit", "zh": "输出超限"},
    "outcome_internal_error": {"en": "internal error", "zh": "内部错误"},
    "language": {"en": "中文", "zh": "English"},
    "sort_by": {"en": "Sort by {what}", "zh": "按{what}排序"},
    "none": {"en": "—", "zh": "—"},
    "not_found": {"en": "No such student.", "zh": "没有这个学生。"},
}
MESSAGES.update(SIMILARITY_MESSAGES)
MESSAGES.update(REGRADE_MESSAGES)
MESSAGES.update(HINT_MESSAGES)
MESSAGES.update(DRAFT_MESSAGES)

MESSAGES.update(STUDENT_MESSAGES)


def t(key: str, lang: str, **values: object) -> str:
    """The message in this language, with `{placeholders}` filled in."""
    text = MESSAGES[key][lang if lang in LANGS else "en"]
    return text.format(**values) if values else text


def request_lang(request: Request) -> str:
    query = request.query_params.get("lang")
    if query in LANGS:
        return query
    cookie = request.cookies.get(LANG_COOKIE)
    if cookie in LANGS:
        return cookie
    return get_lang(None, request.headers.get("accept-language"))


def remember_lang(request: Request, response: Response) -> None:
    """`?lang=` sticks: the next page (and the live refresh) keeps the language."""
    query = request.query_params.get("lang")
    if query in LANGS and request.cookies.get(LANG_COOKIE) != query:
        response.set_cookie(LANG_COOKIE, query, max_age=LANG_COOKIE_MAX_AGE_S, httponly=True, samesite="lax",
                            path="/")
