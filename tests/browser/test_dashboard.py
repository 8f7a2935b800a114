"""`zxforensics dashboard` under headless chromium, as a person uses it: the landing page lists the views,
each opens from it with its widgets drawn as controls and no error, the account drives the unrestored
items, and Extract writes the .eml into the dashboard's `out` folder."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
from browser_harness import (
    RUN_TIMEOUT,
    Served,
    assert_controls,
    assert_fits,
    check_account_and_extract,
    dropdown,
    log_tail,
    running,
    screenshot,
    wait_until_drawn,
)
from sample_paths import SAMPLE_BACKUP, SAMPLE_DATA

from zxforensics.cli.dashboard import URL_PREFIX, VIEWS, free_port


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory, browser_env):
    """The dashboard over the sample, on a free port, started as a person starts it (the console script)."""
    base = tmp_path_factory.mktemp("dashboard")
    out_dir = (base / "out").resolve()
    command = [str(Path(sys.executable).parent / "zxforensics"), "dashboard", "backup_path", str(SAMPLE_BACKUP),
               "notification", str(SAMPLE_DATA / "notifications/restore_report.eml"), "out", str(out_dir),
               "port", str(free_port())]  # fmt: skip
    log = base / "dashboard.log"
    with running(command, browser_env, log) as server:
        deadline = time.monotonic() + RUN_TIMEOUT
        while not (lines := [x for x in log.read_text().splitlines() if x.startswith(URL_PREFIX)]):
            assert server.poll() is None and time.monotonic() < deadline, f"no URL printed:\n{log_tail(log)}"
            time.sleep(0.2)
        yield Served(lines[0].removeprefix(URL_PREFIX), out_dir, log)


@pytest.fixture(scope="module")
def views(browser, dashboard):
    """The landing page (the URL the dashboard printed) and every view opened from it, in its own tab (the
    landing page opens them so): the views run side by side, and each test waits for its own."""
    landing = browser.new_page()
    pages = {"landing": landing}
    try:
        landing.goto(dashboard.url)
        landing.locator(".jp-DirListing-item").nth(len(VIEWS) - 1).wait_for()
        for title in VIEWS.values():
            with browser.expect_page() as opened:
                landing.locator(".jp-DirListing-itemText", has_text=f"{title}.ipynb").click()
            pages[title] = opened.value
        yield pages
    finally:
        for page in pages.values():
            page.close()


def drawn(views, dashboard: Served, notebook: str):
    """A view's tab once drawn; never a line of code."""
    page = views[VIEWS[notebook]]
    page.bring_to_front()
    wait_until_drawn(page, dashboard)
    assert page.locator(".jp-CodeCell .jp-InputArea").count() == 0, "the dashboard shows code"
    return page


def test_landing_page_lists_the_views(views, screenshots):
    names = views["landing"].locator(".jp-DirListing-itemText").all_inner_texts()
    assert sorted(names) == sorted(f"{title}.ipynb" for title in VIEWS.values())
    screenshot(views["landing"], screenshots, "dashboard-landing")


def test_unrestored_items(views, dashboard, screenshots):
    page = drawn(views, dashboard, "unrestored_items.ipynb")
    assert_controls(page, buttons=True)
    assert_fits(page)
    screenshot(page, screenshots, "dashboard-unrestored_items")
    check_account_and_extract(page, dashboard.out_dir, before={})  # the page wrote nothing by itself
    screenshot(page, screenshots, "dashboard", dropdown(page, "account"))  # the README's


@pytest.mark.parametrize("notebook", ["server_config_diff.ipynb", "backup_audit.ipynb"])
def test_view_renders_controls(views, dashboard, screenshots, notebook):
    page = drawn(views, dashboard, notebook)
    assert_controls(page, buttons=False)
    assert_fits(page)
    first_control = page.locator(".jp-OutputArea-output select").first
    screenshot(page, screenshots, f"dashboard-{Path(notebook).stem}", first_control)
