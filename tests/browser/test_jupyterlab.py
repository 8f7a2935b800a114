"""The notebooks in JupyterLab 4 under headless chromium, as a person runs them: Run All, every cell numbered,
widgets drawn as controls, no error; in unrestored_items the account drives the items and Extract writes.

JupyterLab serves copies in a temporary folder (the repository's notebooks are never touched), with its
config, data and runtime folders there too; the inputs reach the kernels as ZXFORENSICS_* variables."""

from __future__ import annotations

import json
import secrets
import sys
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
from sample_paths import NOTEBOOKS, SAMPLE_BACKUP, SAMPLE_DATA

from zxforensics.cli.dashboard import copy_view, free_port, kernel_env, wait_until_serving
from zxforensics.errors import ZxError

VIEWS = ("unrestored_items", "server_config_diff", "backup_audit")
LAB_SETTINGS = {
    # every cell in the DOM, so that every prompt can be read
    "notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    # no news or update toast over the notebook
    "apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false", "checkForUpdates": False},
}
KERNEL_READY_JS = """() => {
  const app = window.jupyterapp, panel = app && app.shell.currentWidget;
  const kernel = panel && panel.sessionContext && panel.sessionContext.session && panel.sessionContext.session.kernel;
  return !!kernel && kernel.status === 'idle' && app.commands.isEnabled('runmenu:run-all');
}"""
# every code cell shows an execution count: `[12]:`, not `[*]:` or `[ ]:`
ALL_NUMBERED_JS = """() => {
  const cells = window.jupyterapp.shell.currentWidget.content.model.cells;
  let code = 0;
  for (let i = 0; i < cells.length; i++) code += cells.get(i).type === 'code' ? 1 : 0;
  const prompts = [...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputPrompt')];
  return code > 0 && prompts.length === code && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
}"""
ERROR_OUTPUTS_JS = """() => {
  const cells = window.jupyterapp.shell.currentWidget.content.model.cells, found = [];
  for (let i = 0; i < cells.length; i++) {
    const cell = cells.get(i);
    if (cell.type !== 'code') continue;
    for (const output of cell.outputs.toJSON()) if (output.output_type === 'error') found.push(output.ename);
  }
  return found;
}"""


@pytest.fixture(scope="module")
def lab(tmp_path_factory, browser_env):
    """JupyterLab on 127.0.0.1, a free port and a random token, over copies of the notebooks."""
    base = tmp_path_factory.mktemp("jupyterlab")
    root, out_dir = base / "notebooks", (base / "out").resolve()
    root.mkdir()
    inputs = {"backup_path": str(SAMPLE_BACKUP), "notification": str(SAMPLE_DATA / "notifications/restore_report.eml"),
              "out_dir": str(out_dir)}  # fmt: skip
    for name in VIEWS:
        copy_view(NOTEBOOKS / f"{name}.ipynb", root / f"{name}.ipynb",
                  {**inputs, "copy_path": str(SAMPLE_DATA / "offsite_copy")})  # fmt: skip
    env = kernel_env(inputs, browser_env)
    settings = Path(env["JUPYTER_CONFIG_DIR"]) / "lab" / "user-settings" / "@jupyterlab"
    for name, values in LAB_SETTINGS.items():
        (settings / name).parent.mkdir(parents=True, exist_ok=True)
        (settings / name).write_text(json.dumps(values))
    port, token = free_port(), secrets.token_hex(16)
    command = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--allow-root", "--ip=127.0.0.1",
               f"--port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
               f"--ServerApp.root_dir={root}", "--LabApp.expose_app_in_browser=True",
               "--LabApp.news_url=None"]  # fmt: skip
    log = base / "jupyterlab.log"
    with running(command, env, log) as server:
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until_serving(server, f"{url}/api/status?token={token}")
        except ZxError as exc:
            pytest.fail(f"{exc}\n{log_tail(log)}")
        yield Served(url, out_dir, log, token)


@pytest.fixture(scope="module")
def notebooks(lab, browser):
    """Every notebook open in its own workspace and tab, Run All Cells (the Run menu's command) started in
    each: the three kernels run side by side, and each test waits for its own."""
    pages = {}
    try:
        for name in VIEWS:
            pages[name] = browser.new_page()
            pages[name].goto(f"{lab.url}/lab/workspaces/{name}/tree/{name}.ipynb?token={lab.token}")
        for page in pages.values():
            page.wait_for_function(KERNEL_READY_JS, timeout=RUN_TIMEOUT * 1000, polling=250)
            page.evaluate("() => { window.jupyterapp.commands.execute('runmenu:run-all'); }")
        yield pages
    finally:
        for page in pages.values():
            page.close()


def ran(notebooks, lab: Served, name: str):
    """The notebook's tab once every cell is numbered and every widget drawn, with no error output."""
    page = notebooks[name]
    page.bring_to_front()
    wait_until_drawn(page, lab, ALL_NUMBERED_JS)
    assert page.evaluate(ERROR_OUTPUTS_JS) == []
    page.evaluate("() => window.jupyterapp.commands.execute('application:toggle-left-area')")  # room for outputs
    return page


def test_unrestored_items(notebooks, lab, screenshots):
    page = ran(notebooks, lab, "unrestored_items")
    assert_controls(page, buttons=True)
    assert_fits(page)
    check_account_and_extract(page, lab.out_dir)
    screenshot(page, screenshots, "jupyterlab", page.locator(".jp-CodeCell", has=dropdown(page, "account")))


@pytest.mark.parametrize("name", ["server_config_diff", "backup_audit"])
def test_view_renders_controls(notebooks, lab, screenshots, name):
    page = ran(notebooks, lab, name)
    assert_controls(page, buttons=False)
    assert_fits(page)
    first_control = page.locator(".jp-OutputArea-output select").first
    screenshot(page, screenshots, f"jupyterlab-{name}", first_control)
