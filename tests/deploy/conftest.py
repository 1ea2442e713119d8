"""The compose test's timings, printed at the end of the run (how long the compose test adds to CI)."""

from __future__ import annotations

import pytest

TIMINGS: dict[str, float] = {}


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if TIMINGS:
        terminalreporter.section("compose stack timings")
        for name, seconds in TIMINGS.items():
            terminalreporter.write_line(f"{name:<40} {seconds:8.1f} s")


@pytest.fixture(scope="session")
def compose_timings() -> dict[str, float]:
    """Where the compose test records how long each stage took."""
    return TIMINGS
