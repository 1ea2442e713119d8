"""The strings of unsent forms that survive a sign-in (server.web.drafts), for the student's and the teacher's
pages (merged into i18n.MESSAGES)."""

from __future__ import annotations

DRAFT_MESSAGES: dict[str, dict[str, str]] = {
    "draft_kept_paste": {
        "en": "Your session had ended, so your code was not submitted. Sign in again: it comes back in the form, "
        "ready to submit.",
        "zh": "登录已过期，你的代码尚未提交。请重新登录：代码会回到表单中，可直接提交。",
    },
    "draft_back_paste": {
        "en": "Signed in again. Your code is back in the form below: check it and submit.",
        "zh": "已重新登录。你的代码已回到下方表单中：请检查后提交。",
    },
    "draft_kept_resolve": {
        "en": "Your session had ended, so your answer was not sent. Sign in again: it comes back in its form.",
        "zh": "登录已过期，你的处理意见尚未发送。请重新登录：它会回到原来的表单中。",
    },
    "draft_back_resolve": {
        "en": "Your answer to regrade request {id} is back in its form below: check it and resolve again.",
        "zh": "你对复评申请 {id} 的处理意见已回到下方表单中：请检查后再次处理。",
    },
    "draft_gone_resolve": {
        "en": "Regrade request {id} is no longer open (it was resolved meanwhile). Your answer was: {answer}",
        "zh": "复评申请 {id} 已不再待处理（期间已被处理）。你的处理意见是：{answer}",
    },
    "draft_form_expired": {
        "en": "This form was opened before your last sign-in, so it was not sent. Check it and send it again.",
        "zh": "此表单是在你上次登录之前打开的，因此未被发送。请检查后重新发送。",
    },
}
