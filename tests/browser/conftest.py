"""Headless Chromium for the browser tests (run by .ci/run-browser: ``pytest -m browser``).

Debian's ``chromium`` and ``chromium-driver`` driven by Selenium, with the flags the project
uses everywhere (no sandbox, no GPU, no QUIC, no background or component networking), a fresh
profile per test module, every host name but 127.0.0.1 unresolvable, and the network log on so
tests can check that nothing but loopback, ``file:`` and ``data:`` URLs was requested.
Without Chromium or Selenium the tests are skipped, unless ``MINIMAX_COVER_BROWSER_REQUIRED=1``
(set by .ci/run-browser), where that is a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

_PARENT = str(Path(__file__).resolve().parents[3])
CHROMIUM = os.environ.get("MINIMAX_COVER_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("MINIMAX_COVER_CHROMEDRIVER", "/usr/bin/chromedriver")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--autoplay-policy=no-user-gesture-required", "--mute-audio",
         "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
         "--window-size=1280,1000"]
LOCAL = ("http://127.0.0.1:", "ws://127.0.0.1:", "file://", "data:", "blob:", "about:",
         "chrome-error:", "chrome:", "devtools:")


@pytest.fixture(autouse=True, scope="session")
def _package_not_shadowed() -> None:
    """Keep ``minimax_cover`` the installed package.

    pytest puts the repository's parent folder on ``sys.path`` (the repo root is a package);
    a ``minimax_cover`` folder there (the default temp folder when the clone sits in the system
    temp dir) would shadow the package as a namespace package. That path is not needed.
    """
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _PARENT]
    module = sys.modules.get("minimax_cover")
    if module is not None and getattr(module, "__file__", None) is None:
        for name in [n for n in sys.modules if n.split(".")[0] == "minimax_cover"]:
            del sys.modules[name]


def _unavailable(reason: str) -> None:
    if os.environ.get("MINIMAX_COVER_BROWSER_REQUIRED") == "1":
        pytest.fail(f"browser tests need {reason} (see .ci/run-browser)")
    pytest.skip(f"browser tests need {reason}: run .ci/run-browser")


class Browser:
    """A Selenium driver plus helpers: wait for a JS condition, read the requested URLs."""

    def __init__(self, driver: Any) -> None:
        self.driver = driver
        self.urls: list[str] = []

    def js(self, script: str, *args: Any) -> Any:
        return self.driver.execute_script(script, *args)

    def js_async(self, script: str, *args: Any) -> Any:
        return self.driver.execute_async_script(script, *args)

    def wait(self, script: str, *args: Any, timeout: float = 30.0, what: str = "") -> Any:
        """Poll ``return <script>`` until truthy; fail naming ``what`` after ``timeout``."""
        end = time.monotonic() + timeout
        value = None
        while time.monotonic() < end:
            value = self.js(script, *args)
            if value:
                return value
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what or script!r} (last: {value!r})")

    def requested(self) -> list[str]:
        """Every URL the page requested so far (network log, accumulated)."""
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message.get("method") in ("Network.requestWillBeSent",
                                         "Network.webSocketCreated"):
                params = message["params"]
                self.urls.append(params.get("request", {}).get("url") or params.get("url", ""))
        return list(self.urls)

    def remote(self) -> list[str]:
        """Requested URLs that are not loopback, ``file:``, ``data:`` or ``blob:``."""
        return [u for u in self.requested() if not u.startswith(LOCAL)]

    def screenshot(self, name: str) -> None:
        """Save a PNG to ``$MINIMAX_COVER_SCREENSHOTS/<name>`` when that is set (docs/)."""
        folder = os.environ.get("MINIMAX_COVER_SCREENSHOTS")
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            self.driver.save_screenshot(str(Path(folder) / name))


@pytest.fixture
def browser() -> Iterator[Browser]:
    """A fresh headless Chromium (own profile), quit after the test."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.options import Options
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _unavailable("selenium")
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        _unavailable(f"{CHROMIUM} and {CHROMEDRIVER} (apt-get install chromium chromium-driver)")
    profile = tempfile.mkdtemp(prefix="mmc-chromium-")
    options = Options()
    options.binary_location = CHROMIUM
    for flag in [*FLAGS, f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.set_script_timeout(60)
    try:
        yield Browser(driver)
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def no_remote(browser: Browser) -> Iterator[Callable[[], None]]:
    """Call at the end of a test: asserts nothing but local URLs was requested."""

    def check() -> None:
        assert browser.remote() == []

    yield check
