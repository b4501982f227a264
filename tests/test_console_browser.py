"""The console served by ``modelpilot console`` and driven by headless Chromium."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT
from tests.test_console_support import build_channel_store
from tools.store.db import release_all

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
# Generous limits for a two-core CI machine: they bound waits, they are not measurements.
STARTUP_TIMEOUT_S = 120
ANSWER_TIMEOUT_MS = 90_000
SCREENSHOT = PROJECT_ROOT / "docs" / "console.png"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_healthy(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"modelpilot console exited with status {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    raise AssertionError(f"the console at {url} did not respond within {STARTUP_TIMEOUT_S} s")


@pytest.fixture
def console_url(tmp_path: Path) -> Iterator[str]:
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is not installed (apt-get install chromium)")
    build_channel_store()
    release_all()  # the console process must be able to open the DuckDB file
    port = free_port()
    log = (tmp_path / "console.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "ui.cli", "console", "--port", str(port)],
        cwd=PROJECT_ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url, process)
        yield url
    finally:
        # The command and the Streamlit server it started share this process group.
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


def test_browser_asks_and_sees_answer(console_url: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(console_url)
        chat_box = page.get_by_test_id("stChatInput").locator("textarea")
        chat_box.wait_for(timeout=ANSWER_TIMEOUT_MS)
        expect(page.get_by_text("Local mode: there is no sign-in.")).to_be_visible()

        chat_box.fill("which models are registered?")
        chat_box.press("Enter")

        messages = page.get_by_test_id("stChatMessage")
        expect(messages).to_have_count(2, timeout=ANSWER_TIMEOUT_MS)
        answer = messages.nth(1)
        expect(answer).to_contain_text("fraud-detector", timeout=ANSWER_TIMEOUT_MS)
        # The table grid is drawn on a canvas by a script loaded on first use.
        grid = answer.get_by_test_id("data-grid-canvas")
        expect(grid).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
        screenshot = tmp_path / "console.png"
        page.screenshot(path=str(screenshot), full_page=True)
        browser.close()

    assert screenshot.stat().st_size > 10_000
    if os.environ.get("MODELPILOT_UPDATE_SCREENSHOT") == "1":
        SCREENSHOT.parent.mkdir(exist_ok=True)
        shutil.copyfile(screenshot, SCREENSHOT)
