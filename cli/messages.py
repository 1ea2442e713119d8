"""What the CLI and the Jupyter helpers say when they refuse or fail, in English and Chinese.

Each failure is a Text (both languages); the command prints it in the language the student asked for
(`--lang`, else LC_ALL/LANG) after `error: `. What the server refuses comes already in that language (its
`message` field, asked for with Accept-Language). A test checks that every entry has both languages with
the same placeholders (tests/cli/test_cli_languages.py).
"""

from __future__ import annotations

from typing import Any

from grader.messages import render
from grader.result import Text

MESSAGES: dict[str, dict[str, str]] = {
    # ---- configuration and login
    "give_server": {"en": "give the server URL with --server", "zh": "请用 --server 指定服务器地址"},
    "no_server": {
        "en": "no server configured; run `rnn-grader login --server URL --token TOKEN` or set RNN_GRADER_SERVER",
        "zh": "尚未配置服务器；请运行 `rnn-grader login --server URL --token TOKEN` 或设置 RNN_GRADER_SERVER",
    },
    "not_logged_in": {
        "en": "not logged in; run `rnn-grader login --server URL --token TOKEN` or set RNN_GRADER_TOKEN",
        "zh": "尚未登录；请运行 `rnn-grader login --server URL --token TOKEN` 或设置 RNN_GRADER_TOKEN",
    },
    "jupyter_not_logged_in": {
        "en": "not logged in: run `rnn-grader login --server URL --token TOKEN` in a terminal (or set "
        "RNN_GRADER_SERVER and RNN_GRADER_TOKEN before starting Jupyter)",
        "zh": "尚未登录：请在终端中运行 `rnn-grader login --server URL --token TOKEN`（或在启动 Jupyter 之前设置 "
        "RNN_GRADER_SERVER 和 RNN_GRADER_TOKEN）",
    },
    "not_in_jupyter": {
        "en": "not inside Jupyter/IPython; use `rnn-grader check FILE` instead",
        "zh": "当前不在 Jupyter/IPython 中；请改用 `rnn-grader check FILE`",
    },
    "no_such_login": {
        "en": "no login named {name} (logins: {names}); log in with `rnn-grader login --profile {name} --server URL "
        "--token TOKEN`",
        "zh": "没有名为 {name} 的登录（已有登录：{names}）；请用 `rnn-grader login --profile {name} --server URL "
        "--token TOKEN` 登录",
    },
    "config_not_object": {
        "en": "{path} is not a JSON object; delete it and run `rnn-grader login` again",
        "zh": "{path} 不是 JSON 对象；请删除它，然后重新运行 `rnn-grader login`",
    },
    # ---- files
    "file_not_found": {"en": "file not found: {path}", "zh": "找不到文件：{path}"},
    "examples_not_found": {"en": "examples file not found: {path}", "zh": "找不到样例文件：{path}"},
    "is_directory": {"en": "{path} is a directory, not a file", "zh": "{path} 是目录，不是文件"},
    "not_utf8": {"en": "{path} is not UTF-8 text", "zh": "{path} 不是 UTF-8 文本"},
    "cannot_read": {"en": "cannot read {path}: {reason}", "zh": "无法读取 {path}：{reason}"},
    "cannot_write": {"en": "cannot write {path}: {reason}", "zh": "无法写入 {path}：{reason}"},
    "cannot_create": {"en": "cannot create {path}: {reason}", "zh": "无法创建 {path}：{reason}"},
    "exists_use_force": {"en": "{path} already exists; use --force to overwrite it",
                         "zh": "{path} 已存在；如需覆盖请使用 --force"},
    "in_file": {"en": "{path}: {reason}", "zh": "{path}：{reason}"},
    "no_examples_next_to": {
        "en": "no public examples (.npz) next to {path}; run `rnn-grader fetch` or pass --examples",
        "zh": "{path} 旁边没有公开样例（.npz）；请运行 `rnn-grader fetch`，或用 --examples 指定",
    },
    "several_examples": {"en": "several .npz files next to {path}; choose one with --examples",
                         "zh": "{path} 旁边有多个 .npz 文件；请用 --examples 选择一个"},
    "not_examples": {"en": "{path} is not a public examples file ({reason}); fetch it again",
                     "zh": "{path} 不是公开样例文件（{reason}）；请重新下载"},
    # ---- submissions
    "see_later": {"en": "see it later with `rnn-grader status {id}`", "zh": "稍后可用 `rnn-grader status {id}` 查看"},
    "still_waiting": {"en": "submission #{id} is still {status} after {seconds} s; {later}",
                      "zh": "{seconds} 秒后提交 #{id} 仍为“{status}”；{later}"},
    "received_then": {"en": "{error} (submission #{id} was received; {later})",
                      "zh": "{error}（提交 #{id} 已收到；{later}）"},
    "try_again_in": {"en": "{error}; try again in {seconds} s", "zh": "{error}；请在 {seconds} 秒后重试"},
    "no_submissions_yet": {"en": "no submissions yet; submit with `rnn-grader submit FILE`",
                           "zh": "还没有提交；请用 `rnn-grader submit FILE` 提交"},
    "empty_request_message": {"en": "say what you think is wrong (the message is empty)",
                              "zh": "请说明你认为哪里有问题（留言为空）"},
    # ---- the server's answers
    "bad_token": {
        "en": "the server rejected the token ({detail}); run `rnn-grader login --server URL --token TOKEN`",
        "zh": "服务器拒绝了令牌（{detail}）；请运行 `rnn-grader login --server URL --token TOKEN`",
    },
    "rate_limited": {"en": "rate limited: {detail}", "zh": "提交受限：{detail}"},
    "http_error": {"en": "{detail} ({label})", "zh": "{detail}（{label}）"},
    "unreachable": {"en": "cannot reach the server at {server}: {reason}", "zh": "无法连接服务器 {server}：{reason}"},
    "unexpected_answer": {"en": "unexpected answer from the server (expected {what})",
                          "zh": "服务器的回答不符合预期（应为 {what}）"},
    "not_json_answer": {"en": "unexpected answer from {url} (not JSON); is this an rnn-grader server?",
                        "zh": "{url} 的回答不是 JSON；这是 rnn-grader 服务器吗？"},
    "no_numeric_id": {"en": "unexpected answer from the server (a submission without a numeric id)",
                      "zh": "服务器的回答不符合预期（提交没有数字编号）"},
    "not_iso_datetime": {"en": "not an ISO 8601 date and time: {text} (e.g. 2026-12-27T23:59:00+08:00)",
                         "zh": "不是 ISO 8601 日期时间：{text}（例如 2026-12-27T23:59:00+08:00）"},
    "no_utc_offset": {"en": "{text} has no UTC offset; add one, e.g. {text}+08:00 or {text}Z",
                      "zh": "{text} 没有 UTC 偏移；请加上，例如 {text}+08:00 或 {text}Z"},
}


def say(key: str, **params: Any) -> Text:
    """A CLI message in both languages; an unknown key is a programming error."""
    return render(MESSAGES[key], **params)
