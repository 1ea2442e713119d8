"""The child's descriptor layout has one definition (grader.sandbox.child): the numbers used everywhere are
derived from it, and a child refuses descriptors that do not follow it (before moving any)."""

from __future__ import annotations

import os

import pytest

from grader.sandbox import child


def test_the_numbers_are_the_positions_in_the_layout() -> None:
    spare = {name: fd for fd, name in enumerate(child.SPARE_FDS)}
    assert (child.SINK_FD, child.STATM_FD, child.STATUS_FD, child.RULESET_FD, child.JOB_FD) == (
        spare["sink"], spare["statm"], spare["status"], spare["ruleset"], spare["job"])
    assert (child.RESULT_FD, child.PAYLOAD_FD) == (child.RUN_FDS.index("result"), child.RUN_FDS.index("payload"))
    assert child.RUN_FDS[:3] == child.SPARE_FDS[:3] == ("stdin", "stdout", "stderr")
    # The run's descriptors land below the status pipe, which reports "ok" after they are in place; the
    # payload is the last one, closed before the entry: the student's code finds 0..RESULT_FD.
    assert child.PAYLOAD_FD < child.STATUS_FD and child.PAYLOAD_FD == len(child.RUN_FDS) - 1


def test_descriptors_out_of_layout_are_refused_before_any_is_moved() -> None:
    r, w = os.pipe()
    try:
        wrong = dict(zip(reversed(child.SPARE_FDS), [r] * len(child.SPARE_FDS), strict=True))
        with pytest.raises(ValueError, match="layout"):
            child.arrange_fds(wrong)
        os.fstat(r)
        os.fstat(w)  # nothing was closed or moved
    finally:
        os.close(r)
        os.close(w)
