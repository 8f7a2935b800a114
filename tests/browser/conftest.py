"""Fixtures of the browser tests: one chromium for the session, an isolated home, the screenshots folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from browser_harness import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS_ENV, VIEWPORT, isolated_env
from playwright.sync_api import sync_playwright


@pytest.fixture(scope="session")
def browser_env(tmp_path_factory) -> dict[str, str]:
    """The environment of the servers and the browser: HOME and Jupyter's folders in a temporary folder."""
    return isolated_env(tmp_path_factory.mktemp("browser-home"))


@pytest.fixture(scope="session")
def browser(tmp_path_factory, browser_env):
    """Debian's chromium, headless, with a fresh profile; pages are opened by each test."""
    assert CHROMIUM.is_file(), f"{CHROMIUM} is missing: `apt-get install chromium` (.ci/run installs it)"
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=str(CHROMIUM), headless=True,
            args=CHROMIUM_ARGS, env=browser_env, viewport=VIEWPORT,
        )  # fmt: skip
        context.set_default_timeout(30_000)
        try:
            yield context
        finally:
            context.close()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory) -> Path:
    """Where screenshots go: $ZXFORENSICS_SCREENSHOTS (`docs/` refreshes the README's), else a temporary folder."""
    chosen = os.environ.get(SCREENSHOTS_ENV)
    return Path(chosen).resolve() if chosen else tmp_path_factory.mktemp("screenshots")
