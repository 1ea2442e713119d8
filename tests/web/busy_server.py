"""`python tests/web/busy_server.py DELAY_S`: `python -m server`, except that the student's result page takes
DELAY_S seconds longer to render once it has read its submission's row, as on a server busy with a deadline
crowd. A result written meanwhile lands between the page's read and its response (tests/web/test_browser_live.py).
"""

from __future__ import annotations

import runpy
import sys
import time
from typing import Any

import server.web.student_view as student_view

_render = student_view.visible_submission
DELAY_S = float(sys.argv[1])


def _slow_render(*args: Any, **kwargs: Any) -> Any:
    time.sleep(DELAY_S)
    return _render(*args, **kwargs)


student_view.visible_submission = _slow_render  # type: ignore[assignment]
sys.argv = [sys.argv[0]]
runpy.run_module("server", run_name="__main__", alter_sys=True)
