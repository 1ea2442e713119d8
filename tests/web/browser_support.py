"""What the browser tests share: a real server process (`python -m server` on a free loopback port, its own
data directory), Debian's chromium driven by playwright (never `playwright install`), and axe-core injected
into a page to check accessibility (vendored by `make axe` from the npm package)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
SHOTS = REPO / "test-output" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
AXE = REPO / "tests" / "web" / "vendor" / "axe.min.js"
# A refused sign-in answers 401/403, which chromium logs as a failed load: expected, not an error.
EXPECTED_CONSOLE = ("Failed to load resource: the server responded with a status of 401",
                    "Failed to load resource: the server responded with a status of 403",
                    "Failed to load resource: the server responded with a status of 409")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running_server(tmp: Path, teacher: str, command: Sequence[str] = ("-m", "server"), **settings: str
                   ) -> Iterator[str]:
    """`python -m server` (or `python *command`) with these RNN_GRADER_* settings (names without the prefix);
    yields its base URL."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make chromium` (apt-get install chromium)")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RNN_GRADER_")}
    env.update(PYTHONPATH=str(REPO), RNN_GRADER_DATA_DIR=str(tmp / "data"), RNN_GRADER_ADMIN_TOKEN=teacher,
               RNN_GRADER_PORT=str(port), RNN_GRADER_LOG_LEVEL="WARNING")
    env.update({f"RNN_GRADER_{k.upper()}": v for k, v in settings.items()})
    log = tmp / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, *command], cwd=REPO, env=env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, f"server exited:\n{log.read_text()}"
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, f"server did not start:\n{log.read_text()}"
            time.sleep(0.1)
        yield base
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)


@contextmanager
def chromium_page(locale: str = "en-US") -> Iterator[Any]:
    """A page in a fresh context; on leaving, asserts no script error and no CSP violation happened."""
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1440, "height": 900}, locale=locale, timezone_id="UTC",
                                      accept_downloads=True)
        context.set_default_timeout(15_000)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda msg: errors.append(msg.text)
                if msg.type == "error" and not msg.text.startswith(EXPECTED_CONSOLE) else None)
        try:
            yield page
        finally:
            context.close()
            browser.close()
        assert not errors, errors


def axe_violations(page: Any, impacts: tuple[str, ...] = ("serious", "critical")) -> list[dict[str, Any]]:
    """axe-core's violations of these impacts on the page as it is now (WCAG 2 A/AA rules and best practices).
    Injected through the DevTools protocol, so the page's Content-Security-Policy stays as it is."""
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: run `make axe` (vendors axe-core from npm)")
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    found: list[dict[str, Any]] = page.evaluate(
        """async () => {
            const r = await window.axe.run(document, {resultTypes: ['violations']});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                           nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
        }"""
    )
    return [v for v in found if v.get("impact") in impacts]
