"""The similarity pages' strings, in English and Chinese (merged into server.web.i18n.MESSAGES)."""

from __future__ import annotations

SIMILARITY_MESSAGES: dict[str, dict[str, str]] = {
    "similarity": {"en": "Similarity", "zh": "相似度"},
    "similarity_title": {"en": "Similarity report: {what}", "zh": "相似度报告：{what}"},
    "similarity_help": {
        "en": "Pairs of students whose counted submissions share code, the exercise template left out. A hint, "
        "not proof: short, tightly specified functions look alike by nature, so read the highlighted code "
        "before concluding anything, and talk to the students.",
        "zh": "计分提交中存在相同代码的学生对（已排除练习模板）。这只是线索，不是证据："
        "简短且规格严格的函数本来就容易相似，请先阅读高亮的代码再下结论，并与学生沟通。",
    },
    "similarity_min": {"en": "At least", "zh": "不低于"},
    "similarity_show": {"en": "Show", "zh": "显示"},
    "similarity_pairs": {"en": "{n} pair(s) at or above {min}", "zh": "相似度不低于 {min} 的学生对：{n} 对"},
    "similarity_capped": {"en": "the {n} most similar shown", "zh": "仅显示最相似的 {n} 对"},
    "similarity_none": {"en": "No pair is this similar.", "zh": "没有达到该相似度的学生对。"},
    "similarity_compared": {
        "en": "{n} counted submissions compared · computed {when} in {seconds} s",
        "zh": "已比较 {n} 份计分提交 · 计算于 {when}，耗时 {seconds} 秒",
    },
    "similarity_computing": {
        "en": "Computing the report for {n} submissions… this page refreshes by itself.",
        "zh": "正在为 {n} 份提交计算报告……页面会自动刷新。",
    },
    "similarity_stale": {
        "en": "New submissions arrived: this is the previous report while the new one ({n} submissions) is "
        "computed. This page refreshes by itself.",
        "zh": "有新的提交：以下是上一次的报告，新报告（{n} 份提交）正在计算，页面会自动刷新。",
    },
    "similarity_score": {"en": "Similarity", "zh": "相似度"},
    "similarity_share": {"en": "Shared code of {who}", "zh": "{who} 的代码中相同部分"},
    "similarity_share_help": {
        "en": "Share of each student's own code (template excluded) also found in the other's; the pair's "
        "similarity is the larger one.",
        "zh": "每位学生自己的代码（不含模板）在对方提交中出现的比例；学生对的相似度取较大者。",
    },
    "compare": {"en": "Compare", "zh": "对比"},
    "side_by_side": {"en": "Side by side", "zh": "并排对比"},
    "similarity_legend": {
        "en": "Coloured, numbered: code found in both (the same number on both sides). Grey: the exercise "
        "template, not counted.",
        "zh": "彩色编号：双方都有的代码（两侧编号相同）。灰色：练习模板，不计入。",
    },
    "similarity_back": {"en": "Back to the similarity report", "zh": "返回相似度报告"},
    "similarity_not_found": {
        "en": "No such pair of submissions for this exercise.",
        "zh": "该练习没有这一对提交。",
    },
    "exercise_not_found": {"en": "No such exercise.", "zh": "没有这个练习。"},
    "match_n": {"en": "match {n}", "zh": "匹配 {n}"},
    "similarity_report_file": {"en": "Download as HTML", "zh": "下载 HTML"},
}
