"""The feedback catalogue: every message a student can see, in English and Chinese.

Feedback is built only from these templates and from safe parameters (case descriptions, symbolic shapes,
dtypes, relative errors, time-step indices, line numbers). Never from hidden inputs, reference values or
raw tracebacks. A test checks that every key has both languages and the same placeholders.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from grader.result import Text

CATALOG: dict[str, dict[str, str]] = {
    # ---- the whole submission
    "syntax_error": {
        "en": "Your file does not compile: {error} at line {line}: {message}",
        "zh": "代码无法编译：第 {line} 行 {error}：{message}",
    },
    "import_error": {
        "en": "Your file raised {error} while being imported (line {line}). Code at module level runs "
        "before any test; keep it to definitions.",
        "zh": "导入你的文件时抛出 {error}（第 {line} 行）。模块顶层代码会在测试前执行，请只保留定义。",
    },
    "missing_function": {
        "en": "Function {function}() is not defined in your file (check its name and spelling).",
        "zh": "你的文件中没有定义函数 {function}()（请检查函数名拼写）。",
    },
    "grader_error": {
        "en": "The grader itself failed on this test. This is not your fault; your submission will be "
        "graded again.",
        "zh": "评测系统在此测试上出错。这不是你的问题，你的提交会被重新评测。",
    },
    # ---- a catalogued mistake the trusted side recognised (grader.mutants), said once for its part (the
    # exercise's hint follows it; grader.mistakes)
    "mistake": {
        "en": "Likely mistake: {title}.",
        "zh": "可能的错误：{title}。",
    },
    # ---- the levels of a named mistake's hint (grader.hints): level n shows levels 1..n, each under its label
    "hint_level_1": {"en": "What is wrong", "zh": "问题是什么"},
    "hint_level_2": {"en": "Where", "zh": "出错的位置"},
    "hint_level_3": {"en": "Worked example (1x1)", "zh": "手算小例子（1x1）"},
    "hint_reached": {
        "en": "Hint level {level}; named in {count} graded submission(s) in a row.",
        "zh": "提示等级 {level}；连续 {count} 次评分的提交中出现。",
    },
    # ---- wrong answers that no catalogued mistake explains on every failing test (grader.mistakes)
    "mistake_not_recognised": {
        "en": "The grader does not recognise this as one of the common mistakes it knows, so it names none "
        "(a wrong name would mislead you more than none). What the tests show:",
        "zh": "评测系统没有把它识别为已知的常见错误之一，因此不给出错误名称（错误的名称比没有名称更误导人）。"
        "测试显示：",
    },
    "unrecognised_first": {
        "en": "The first wrong output: {what}, in test {test}{where}.",
        "zh": "第一个出错的输出：测试 {test} 中的 {what}{where}。",
    },
    "unrecognised_outputs": {
        "en": "Wrong outputs over the {failing} failing test(s), with how many tests each: {outputs}.",
        "zh": "在 {failing} 个失败的测试中出错的输出（及出错的测试数）：{outputs}。",
    },
    # ---- one test
    "passed": {"en": "Correct.", "zh": "正确。"},
    "not_run_import": {
        "en": "Not run: your file could not be imported.",
        "zh": "未运行：你的文件无法导入。",
    },
    "not_run_missing": {
        "en": "Not run: {function}() is missing.",
        "zh": "未运行：缺少 {function}()。",
    },
    "not_run_after_failures": {
        "en": "Not run: this function already stopped the grader {count} times on earlier tests of this "
        "part; fix those first.",
        "zh": "未运行：此函数在本部分之前的测试中已导致评测进程终止 {count} 次；请先修复那些问题。",
    },
    "runtime_error": {
        "en": "{function}() raised {error} at line {line}: {message}",
        "zh": "{function}() 在第 {line} 行抛出 {error}：{message}",
    },
    "runtime_error_hidden_message": {
        "en": "{function}() raised {error} at line {line} (its message is not shown because it may "
        "contain hidden test data).",
        "zh": "{function}() 在第 {line} 行抛出 {error}（错误信息可能包含隐藏测试数据，因此不显示）。",
    },
    "not_implemented": {
        "en": "{function}() is not implemented yet (it raises NotImplementedError at line {line}).",
        "zh": "{function}() 尚未实现（第 {line} 行抛出 NotImplementedError）。",
    },
    "recursion_error": {
        "en": "{function}() recursed too deeply (RecursionError at line {line}). Loop over time steps "
        "instead of recursing.",
        "zh": "{function}() 递归过深（第 {line} 行 RecursionError）。请用循环遍历时间步，而不是递归。",
    },
    "memory_error": {
        "en": "{function}() ran out of memory (limit {limit_mib} MiB). Avoid building arrays much larger "
        "than T x B x H.",
        "zh": "{function}() 内存不足（上限 {limit_mib} MiB）。避免创建远大于 T x B x H 的数组。",
    },
    "time_limit": {
        "en": "{function}() did not finish within the time limit ({limit_s} s of CPU). Look for an "
        "endless loop, or loops that could be NumPy operations.",
        "zh": "{function}() 未在时间限制（{limit_s} 秒 CPU）内完成。请检查死循环，或把循环改成 NumPy 运算。",
    },
    "wall_limit": {
        "en": "{function}() was stopped after {limit_s} s of wall-clock time (sleeping or waiting).",
        "zh": "{function}() 运行超过 {limit_s} 秒墙钟时间被终止（可能在睡眠或等待）。",
    },
    "output_limit": {
        "en": "Your code printed or returned too much data (over the limit). Remove large prints.",
        "zh": "你的代码输出或返回的数据过多（超出上限）。请删除大量打印。",
    },
    "crashed": {
        "en": "The process running {function}() crashed ({how}).",
        "zh": "运行 {function}() 的进程崩溃（{how}）。",
    },
    "exited": {
        "en": "{function}() ended the process (exit code {code}). Do not call sys.exit() or os._exit().",
        "zh": "{function}() 结束了进程（退出码 {code}）。不要调用 sys.exit() 或 os._exit()。",
    },
    "forbidden": {
        "en": "{function}() tried something the grader does not allow (files, network, processes). "
        "Use only NumPy on the arguments.",
        "zh": "{function}() 尝试了评测不允许的操作（文件、网络、进程）。请只对参数使用 NumPy。",
    },
    # ---- comparing one returned value
    "returned_none": {
        "en": "{what} is None. Did you forget a return statement?",
        "zh": "{what} 是 None。是否忘了 return？",
    },
    "wrong_type": {
        "en": "{what} should be {expected}, but is {got}.",
        "zh": "{what} 应为 {expected}，实际为 {got}。",
    },
    "wrong_length": {
        "en": "{what} should be a tuple of {expected} values ({names}), but has {got}.",
        "zh": "{what} 应为包含 {expected} 个值（{names}）的元组，实际有 {got} 个。",
    },
    "missing_keys": {
        "en": "{what} is missing the keys {keys}.",
        "zh": "{what} 缺少键 {keys}。",
    },
    "wrong_shape": {
        "en": "{what} should have shape {expected}, but has shape {got}.",
        "zh": "{what} 的形状应为 {expected}，实际为 {got}。",
    },
    "wrong_dtype": {
        "en": "{what} has dtype {got}; use float64 throughout (float32 loses the precision the "
        "tolerances need).",
        "zh": "{what} 的 dtype 是 {got}；请全程使用 float64（float32 精度不足以满足容差）。",
    },
    "non_finite": {
        "en": "{what} contains {kind} where the correct result is finite{where}. Check for overflow "
        "(e.g. exp of large numbers) or division by zero.",
        "zh": "{what} 在正确结果为有限值的位置出现 {kind}{where}。请检查溢出（如大数的 exp）或除以零。",
    },
    "not_close": {
        "en": "{what} is wrong: max relative error {rel_error} (tolerance rtol={rtol}, atol={atol}){where}.",
        "zh": "{what} 不正确：最大相对误差 {rel_error}（容差 rtol={rtol}，atol={atol}）{where}。",
    },
    "where_time_forward": {
        "en": "; first wrong at time step t={step} of T",
        "zh": "；从时间步 t={step} 开始出错（共 T 步）",
    },
    "where_time_backward": {
        "en": "; correct for the last {good} time step(s), first wrong at t=T-{good} counting back "
        "from the end",
        "zh": "；最后 {good} 个时间步正确，从末尾倒数第 {good_plus} 步（t=T-{good}）开始出错",
    },
    "where_time_all": {
        "en": "; wrong at every time step",
        "zh": "；所有时间步都不正确",
    },
    "credit_per_output": {
        "en": "Credit per output: {right} of {total} outputs right ({score} of {max_score} points); wrong: "
        "{wrong}.",
        "zh": "按输出计分：{total} 个输出中 {right} 个正确（得 {score} 分，满分 {max_score} 分）；"
        "错误的输出：{wrong}。",
    },
    "mutated_input": {
        "en": "{function}() changed its input argument {arg} in place. Work on copies: callers "
        "(and the rest of the backward pass) still need the original.",
        "zh": "{function}() 原地修改了输入参数 {arg}。请在副本上计算：调用者（以及反向传播的其余部分）仍需要原始值。",
    },
    # ---- notebooks (grader.notebook): which cells were not run, and why
    "notebook_rule": {
        "en": "From your notebook only the definitions are graded: imports of available modules, def/class "
        "and assignments of constants. Other code is not run.",
        "zh": "笔记本中只评测定义部分：可用模块的导入、def/class 以及常量赋值。其他代码不会运行。",
    },
    "notebook_cell_skipped": {
        "en": "Cell {cell} was not run: {reasons}.",
        "zh": "第 {cell} 个单元格未运行：{reasons}。",
    },
    "notebook_cell_partly": {
        "en": "Cell {cell} was run in part; not run: {reasons}.",
        "zh": "第 {cell} 个单元格只运行了一部分；未运行：{reasons}。",
    },
    "notebook_reason_magic": {
        "en": "IPython magics (%) and shell commands (!)",
        "zh": "IPython 魔法命令（%）和 shell 命令（!）",
    },
    "notebook_reason_syntax": {
        "en": "it is not valid Python (line {line}: {message})",
        "zh": "不是合法的 Python 代码（第 {line} 行：{message}）",
    },
    "notebook_reason_import": {
        "en": "imports of {modules}, which the grader does not have",
        "zh": "导入了评测环境中没有的模块 {modules}",
    },
    "notebook_reason_code": {
        "en": "code that runs something (calls, loops, prints, plots, training) at lines {lines}",
        "zh": "会执行操作的代码（函数调用、循环、打印、绘图、训练），位于第 {lines} 行",
    },
    "notebook_reason_assignment": {
        "en": "assignments of computed values (only constants are kept) at lines {lines}",
        "zh": "计算得到的值的赋值（只保留常量），位于第 {lines} 行",
    },
    # ---- refusals: a file that is not a readable notebook (grader.notebook_errors), one sentence each
    "notebook_not_utf8": {"en": "the notebook is not UTF-8 text", "zh": "该笔记本不是 UTF-8 文本"},
    "notebook_not_json": {
        "en": "the notebook is not JSON (it goes wrong at line {line}, column {column}); was it saved completely?",
        "zh": "该笔记本不是有效的 JSON（第 {line} 行第 {column} 列出错）；文件是否完整保存？",
    },
    "notebook_too_deep": {
        "en": "the notebook is not JSON that can be read (nested too deeply, or a number too long)",
        "zh": "该笔记本不是可以读取的 JSON（嵌套层数过深，或含有过长的数字）",
    },
    "notebook_no_version": {
        "en": "this is JSON but not a Jupyter notebook: it has no 'nbformat' version",
        "zh": "这是 JSON，但不是 Jupyter 笔记本：缺少 'nbformat' 版本号",
    },
    "notebook_version": {
        "en": "notebook format version {version} is not supported (only 3 and 4)",
        "zh": "不支持第 {version} 版笔记本格式（只支持第 3 和第 4 版）",
    },
    "notebook_unreadable": {
        "en": "not a valid Jupyter notebook: nbformat cannot read it ({error})",
        "zh": "不是有效的 Jupyter 笔记本：nbformat 无法读取它（{error}）",
    },
    "notebook_invalid": {"en": "not a valid Jupyter notebook: {where} {problem}",
                         "zh": "不是有效的 Jupyter 笔记本：{where}{problem}"},
    "nb_where_notebook": {"en": "the notebook", "zh": "笔记本"},
    "nb_where_metadata": {"en": "the notebook's metadata", "zh": "笔记本的元数据（metadata）"},
    "nb_where_cells": {"en": "the notebook's 'cells'", "zh": "笔记本的 'cells'"},
    "nb_where_cell": {"en": "cell {cell}", "zh": "第 {cell} 个单元格"},
    "nb_where_cell_kind": {"en": "cell {cell} ({kind})", "zh": "第 {cell} 个单元格（{kind}）"},
    "nb_where_output": {"en": "output {output} of cell {cell}", "zh": "第 {cell} 个单元格的第 {output} 个输出"},
    "nb_kind_code": {"en": "a code cell", "zh": "代码单元格"},
    "nb_kind_markdown": {"en": "a Markdown cell", "zh": "Markdown 单元格"},
    "nb_kind_raw": {"en": "a raw cell", "zh": "原始单元格"},
    "nb_missing": {"en": "is missing the required field '{field}'", "zh": "缺少必需的字段 '{field}'"},
    "nb_unexpected": {"en": "has a field that does not belong there: '{field}'", "zh": "含有不应出现的字段 '{field}'"},
    "nb_wrong_type": {"en": "has '{field}' of the wrong type (it should be {expected})",
                      "zh": "的字段 '{field}' 类型错误（应为{expected}）"},
    "nb_wrong_type_self": {"en": "is not {expected}", "zh": "不是{expected}"},
    "nb_bad_value": {"en": "has a value of '{field}' that is not allowed", "zh": "的字段 '{field}' 的取值不被允许"},
    "nb_unknown_cell_type": {"en": "has the unknown cell type '{type}' (a cell is code, markdown or raw)",
                             "zh": "的单元格类型 '{type}' 未知（只能是 code、markdown 或 raw）"},
    "nb_unknown_output_type": {"en": "has the unknown output type '{type}'", "zh": "的输出类型 '{type}' 未知"},
    "nb_malformed": {"en": "is not in the form a Jupyter notebook has", "zh": "不符合 Jupyter 笔记本的格式"},
    "nb_malformed_at": {"en": "is not in the form a Jupyter notebook has (at '{field}')",
                        "zh": "不符合 Jupyter 笔记本的格式（位于 '{field}'）"},
    # ---- refusals: nothing to grade (grader.gradable), the same words on the API, the CLI and the pages
    "nothing_in_file": {
        "en": "there is nothing to grade in this file: it has no code, only blank lines, comments or docstrings. "
        "Write {functions} in it and submit it again.",
        "zh": "此文件中没有可评测的内容：它没有代码，只有空行、注释或文档字符串。"
        "请在其中编写 {functions}，然后重新提交。",
    },
    "nothing_in_notebook_no_code": {
        "en": "there is nothing to grade in this notebook: it has no code cell with code in it (was it saved "
        "before uploading?). Write {functions} in code cells, save the notebook and submit it again.",
        "zh": "此笔记本中没有可评测的内容：没有任何包含代码的代码单元格（上传前是否已保存？）。请在代码单元格中编写 "
        "{functions}，保存笔记本后重新提交。",
    },
    "nothing_in_notebook_skipped": {
        "en": "there is nothing to grade in this notebook: no code cell holds a definition. {cells} Only "
        "definitions are graded (imports, def, class, constants): put {functions} in code cells of their own.",
        "zh": "此笔记本中没有可评测的内容：没有任何代码单元格包含定义。{cells}只评测定义部分（导入、def、class、"
        "常量）：请把 {functions} 写在单独的代码单元格中。",
    },
    "functions_unknown": {"en": "the exercise's functions", "zh": "练习要求的函数"},
    "more_cells_left_out": {"en": "{count} more cells were left out too.", "zh": "另有 {count} 个单元格也未运行。"},
    # ---- how a time is shown (grader.times): absolute with its offset, then relative to now
    "time_shown": {"en": "{at} ({relative})", "zh": "{at}（{relative}）"},
    "time_in": {"en": "in {span}", "zh": "{span}后"},
    "time_ago": {"en": "{span} ago", "zh": "{span}前"},
    "time_now": {"en": "now", "zh": "现在"},
    "span_day": {"en": "1 day", "zh": "1 天"},
    "span_days": {"en": "{n} days", "zh": "{n} 天"},
    "span_hours": {"en": "{n} h", "zh": "{n} 小时"},
    "span_minutes": {"en": "{n} min", "zh": "{n} 分钟"},
}


def msg(key: str, **params: Any) -> Text:
    """Render a catalogue entry in every language. A bilingual parameter (Text, e.g. a case description) is
    shown in the entry's language. Unknown keys are a programming error."""
    return render(CATALOG[key], **params)


def render(entry: Mapping[str, str], **params: Any) -> Text:
    """One entry of any catalogue ({"en": ..., "zh": ...} with `{placeholders}`) in every language; the other
    catalogues (the server's refusals, the CLI's) render through this too."""
    return Text(en=entry["en"].format(**_shown(params, "en")), zh=entry["zh"].format(**_shown(params, "zh")))


def _shown(params: dict[str, Any], lang: str) -> dict[str, str]:
    return {k: v.get(lang) if isinstance(v, Text) else f"{v:.3g}" if isinstance(v, float) else str(v)
            for k, v in params.items()}
