"""What the server says when it refuses a student's request, in English and Chinese.

An error raised with `refusal(key, ...)` carries both languages: its `detail` is the English (unchanged for
scripts), and the error body's `message`, the student's pages, the CLI and the Jupyter helpers show the
request's language (server.errors). The errors' own defaults sit on their classes (`default_zh`); refusals
about the student's code (a notebook that cannot be read, nothing to grade) come from grader.messages.
A test checks that every entry has both languages with the same placeholders, and that the modules a
student's request goes through raise no English-only error (tests/api/test_refusal_languages.py).
"""

from __future__ import annotations

from typing import Any

from grader.messages import render
from grader.result import Text

REFUSALS: dict[str, dict[str, str]] = {
    # ---- who may ask
    "no_token": {"en": "send Authorization: Bearer <token>", "zh": "请发送 Authorization: Bearer <令牌>"},
    "unknown_token": {"en": "unknown token", "zh": "服务器不认识这个令牌"},
    "login_required": {"en": "sign in at {path} first", "zh": "请先在 {path} 登录"},
    "teacher_cannot_submit": {"en": "a teacher token cannot submit; use a student token",
                              "zh": "教师令牌不能提交；请使用学生令牌"},
    "own_submissions_only": {"en": "students may only list their own submissions", "zh": "学生只能查看自己的提交"},
    "own_requests_only": {"en": "students may only list their own regrade requests",
                          "zh": "学生只能查看自己的重新评测申请"},
    "charts_not_yet": {"en": "the course's visibility policy does not show this exercise's charts to you yet",
                       "zh": "按本课程的反馈显示规则，现在还不能向你显示本练习的图表"},
    # ---- what does not exist
    "no_submission": {"en": "no submission {id}", "zh": "没有编号为 {id} 的提交"},
    "no_exercise": {"en": "no exercise '{exercise}'", "zh": "没有练习 '{exercise}'"},
    "no_template": {"en": "exercise '{exercise}' has no template", "zh": "练习 '{exercise}' 没有模板文件"},
    "no_examples": {"en": "exercise '{exercise}' has no public examples", "zh": "练习 '{exercise}' 没有公开样例"},
    "no_regrade_request": {"en": "no regrade request {id}", "zh": "没有编号为 {id} 的重新评测申请"},
    "client_unavailable": {"en": "{reason}", "zh": "此服务器暂时不提供学生客户端（{reason}）；请告诉老师"},
    "no_such_client_file": {"en": "no such file; the client is {filename}",
                            "zh": "没有这个文件；客户端文件是 {filename}"},
    # ---- the course's policies
    "closed": {
        "en": "submissions for '{exercise}' closed at {cutoff} (your deadline {deadline} plus the late cutoff); "
        "nothing was stored",
        "zh": "练习 '{exercise}' 已于 {cutoff} 停止接收提交（你的截止时间 {deadline} 加上迟交期限）；本次提交未保存",
    },
    "cap_reached": {
        "en": "you have used {count} of {cap} submissions for '{exercise}' (submissions that failed for an "
        "internal error do not count); nothing was stored",
        "zh": "练习 '{exercise}' 的 {cap} 次提交机会你已用了 {count} 次（因内部错误而评测失败的提交不计入）；"
        "本次提交未保存",
    },
    "rate_limited": {"en": "at most this many submissions per minute; retry in {seconds} s",
                     "zh": "每分钟的提交次数已达上限；请在 {seconds} 秒后重试"},
    "being_graded": {"en": "submission {id} is being graded already", "zh": "提交 {id} 正在评测中"},
    "not_graded_yet": {"en": "submission {id} is {status}", "zh": "提交 {id} 还没有评测结果（状态：{status}）"},
    # ---- what was sent
    "body_too_large": {"en": "the request body may be at most {kib} KiB", "zh": "请求内容最多 {kib} KiB"},
    "body_too_large_here": {"en": "the request body may be at most {kib} KiB here", "zh": "此处请求内容最多 {kib} KiB"},
    "body_idle": {"en": "no byte of the request body for {seconds} s", "zh": "{seconds} 秒内没有收到请求内容"},
    "body_slow": {"en": "the request body arrives too slowly (under {rate} bytes/s on average)",
                  "zh": "请求内容发送得太慢（平均每秒不到 {rate} 字节）"},
    "file_too_large": {"en": "the file may be at most {kib} KiB (a notebook {notebook_kib} KiB)",
                       "zh": "文件最多 {kib} KiB（笔记本最多 {notebook_kib} KiB）"},
    "upload_too_large": {"en": "the upload may be at most {kib} KiB", "zh": "上传的文件最多 {kib} KiB"},
    "py_too_large": {"en": "the source may be at most {kib} KiB", "zh": "源代码最多 {kib} KiB"},
    "source_too_large": {"en": "the source is {size} KiB; at most {limit} KiB",
                         "zh": "源代码为 {size} KiB；最多 {limit} KiB"},
    "notebook_source_too_large": {"en": "the source extracted from the notebook is {size} KiB; at most {limit} KiB",
                                  "zh": "从笔记本中提取的源代码为 {size} KiB；最多 {limit} KiB"},
    "notebook_too_large": {
        "en": "the notebook is {size} KiB; at most {limit} KiB (clear its outputs to make it smaller)",
        "zh": "笔记本为 {size} KiB；最多 {limit} KiB（清除其中的输出可以减小文件）",
    },
    "not_utf8": {"en": "the file is not UTF-8 text", "zh": "文件不是 UTF-8 文本"},
    "nul_in_source": {"en": "the code contains a NUL character (byte 0): save it as UTF-8 text (a file saved as "
                            "UTF-16 looks like this)",
                      "zh": "代码中含有 NUL 字符（字节 0）：请保存为 UTF-8 文本（以 UTF-16 保存的文件会这样）"},
    "not_py_or_ipynb": {"en": "{name} is neither a .py nor a .ipynb file",
                        "zh": "{name} 既不是 .py 文件也不是 .ipynb 文件"},
    "malformed_multipart": {"en": "malformed multipart body: {reason}", "zh": "multipart 请求格式错误：{reason}"},
    "malformed_form": {"en": "malformed form: {reason}", "zh": "表单格式错误：{reason}"},
    "form_expired": {"en": "the form expired: reload the page and submit again",
                     "zh": "表单已过期：请刷新页面后重新提交"},
    "invalid_request": {"en": "{issues}", "zh": "请求无效：{issues}"},
    # ---- by status, for what the framework itself refuses (an unknown path, a wrong method)
    "http_404": {"en": "Not Found", "zh": "未找到"},
    "http_405": {"en": "Method Not Allowed", "zh": "不允许此请求方法"},
    "http_other": {"en": "{detail}", "zh": "请求失败（HTTP {status}）：{detail}"},
    "internal": {"en": "internal server error", "zh": "服务器内部错误"},
    "client_disconnected": {"en": "the connection closed before the request's body was whole: nothing was stored",
                            "zh": "请求内容尚未完整发送，连接就已关闭：未保存任何内容"},
}


def refusal(key: str, **params: Any) -> Text:
    """A refusal in both languages; an unknown key is a programming error."""
    return render(REFUSALS[key], **params)
