"""What the browser tests share: the system's chromium under Playwright, servers run in their own process
groups, and the checks a person would make on a view (controls drawn, no error, account, Extract)."""

from __future__ import annotations

import contextlib
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

import psutil
from playwright.sync_api import Page, expect

from zxforensics.cli.dashboard import start_server, stop_server

CHROMIUM = Path("/usr/bin/chromium")  # Debian's; Playwright cannot download its own browser here
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip
VIEWPORT = {"width": 1280, "height": 860}
SCREENSHOTS_ENV = "ZXFORENSICS_SCREENSHOTS"
RUN_TIMEOUT = 180.0  # s for a notebook to run and its widgets to draw (a slow CI machine; about 15 s here)
ERROR_TEXTS = ("Error displaying widget", "Traceback", "There was an error when executing cell",
               "Click to show javascript error")  # the last: a widget view that failed in the browser
# the sample's account with one recoverable item (FORMAT.md's sample): what Extract must write
OTHER_ACCOUNT, OTHER_ITEM = "admin@example.com", 24700

# One poll of the page: widget outputs still loading, error texts, controls drawn, and a signature that
# stops changing once the page is drawn. Both JupyterLab and Voilà draw outputs as .jp-OutputArea-output.
_STATE_JS = """(errorTexts) => {
  const outputs = [...document.querySelectorAll('.jp-OutputArea-output')];
  const text = outputs.map(o => o.innerText).join('\\n');
  const controls = document.querySelectorAll('.jp-OutputArea-output .jupyter-widgets select, '
                                           + '.jp-OutputArea-output .jupyter-widgets button');
  return {loading: text.includes('Loading widget...') || !!document.querySelector('#loading'),
          errors: errorTexts.filter(t => text.includes(t)),
          controls: controls.length,
          signature: [outputs.length, controls.length, text.length].join(':')};
}"""


@dataclass
class Served:
    """A server a test started: its URL, its token (when apart from the URL), where Extract writes, its log."""

    url: str
    out_dir: Path
    log: Path
    token: str = ""


def isolated_env(home: Path) -> dict[str, str]:
    """The environment of every server and browser the tests start: HOME and Jupyter's folders in `home`,
    so nothing in the user's ~ is read or written; no test-only switches (a person's kernel has none)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "ZXFORENSICS_"))}
    for name in ("TQDM_DISABLE", "MPLBACKEND", "IPYTHONDIR", "MPLCONFIGDIR"):
        env.pop(name, None)
    folders = {"HOME": "home", "JUPYTER_CONFIG_DIR": "config", "JUPYTER_DATA_DIR": "data",
               "JUPYTER_RUNTIME_DIR": "runtime", "IPYTHONDIR": "ipython"}  # fmt: skip
    for name, folder in folders.items():
        (home / folder).mkdir(parents=True, exist_ok=True)
        env[name] = str(home / folder)
    return env


@contextlib.contextmanager
def running(command: list[str], env: dict[str, str], log: Path):
    """A server for the duration of a block; stopped by process group, and the kernels it started (their
    own sessions) ended by pid if it left any, also when the block fails."""
    with log.open("w") as handle:
        server = start_server(command, env, handle)
        try:
            yield server
        finally:
            started = _descendants(server.pid)
            stop_server(server)
            _end(started)


def _descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def _end(processes: list[psutil.Process], timeout: float = 10.0) -> None:
    alive = [p for p in processes if p.is_running()]
    for process in alive:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.terminate()
    _gone, alive = psutil.wait_procs(alive, timeout=timeout)
    for process in alive:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.kill()


def log_tail(log: Path, lines: int = 40) -> str:
    return f"--- the end of {log}:\n" + "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def wait_until_drawn(page: Page, server: Served, ready_js: str = "() => true", timeout: float = RUN_TIMEOUT) -> None:
    """Poll until the page is drawn: `ready_js` holds, no widget is loading, a control is there, and
    nothing changed for three polls (0.75 s). An error text fails at once, a timeout with the last state;
    either way with the end of the server's log."""
    deadline, same, last, state = time.monotonic() + timeout, 0, None, {}
    while time.monotonic() < deadline:
        state = page.evaluate(_STATE_JS, list(ERROR_TEXTS))
        if state["errors"]:
            raise AssertionError(f"{page.url}: {state['errors']} in the outputs\n{log_tail(server.log)}")
        ready = page.evaluate(ready_js) and not state["loading"] and state["controls"] > 0
        same = same + 1 if ready and state["signature"] == last else 0
        if same >= 3:
            return
        last = state["signature"] if ready else None
        page.wait_for_timeout(250)
    raise AssertionError(f"{page.url}: not drawn within {timeout:.0f} s (last {state})\n{log_tail(server.log)}")


# What fits the page, measured in the browser: figures shown at their aspect ratio and never upscaled
# (drawn at 2x: shown at most half their pixel width), widget tables no wider than their output (they
# scroll inside), control labels not cut.
_FITS_JS = """() => {
  const bad = [];
  let figures = 0;
  for (const img of document.querySelectorAll('.jp-OutputArea-output img')) {
    if (!img.naturalWidth || !img.clientWidth) continue;
    figures += 1;
    const drawn = img.naturalWidth / img.naturalHeight, shown = img.clientWidth / img.clientHeight;
    if (Math.abs(drawn - shown) / drawn > 0.02)
      bad.push(`figure ${img.naturalWidth}x${img.naturalHeight} shown ${img.clientWidth}x${img.clientHeight}`);
    if (img.clientWidth > img.naturalWidth / 2 + 1)
      bad.push(`figure ${img.naturalWidth} px wide upscaled to ${img.clientWidth} CSS px`);
  }
  for (const out of document.querySelectorAll('.jp-OutputArea-output')) {
    const right = out.getBoundingClientRect().right;
    for (const box of out.querySelectorAll('.jupyter-widget-html, .widget-html'))
      if (box.getBoundingClientRect().right > right + 1) bad.push(`too wide: ${box.innerText.slice(0, 40)}`);
  }
  for (const label of document.querySelectorAll('.jp-OutputArea-output .widget-label'))
    if (label.innerText && label.scrollWidth > label.clientWidth + 1) bad.push(`label cut: ${label.innerText}`);
  return {bad, figures};
}"""


def assert_fits(page: Page) -> None:
    """The widgets fit the page (`_FITS_JS`): nothing stretched, upscaled, overflowing or cut; every view
    shows a figure, so the figures were measured."""
    fits = page.evaluate(_FITS_JS)
    assert fits["bad"] == [] and fits["figures"] > 0, fits


def assert_controls(page: Page, buttons: bool) -> None:
    """Widgets drawn as controls: `select` elements (and `button`s where the view has one) in widget outputs."""
    widgets = page.locator(".jp-OutputArea-output .jupyter-widgets")
    assert widgets.locator("select").count() > 0, "no select drawn in the widget outputs"
    if buttons:
        assert widgets.locator("button").count() > 0, "no button drawn in the widget outputs"


def dropdown(page: Page, label: str):
    return page.locator(f".jp-OutputArea-output .widget-dropdown:has(> label:text-is('{label}')) select")


def files_under(folder: Path) -> dict[str, int]:
    """Every file under `folder` (relative name -> size); links and folders are not files."""
    if not folder.exists():
        return {}
    return {str(p.relative_to(folder)): p.stat().st_size for p in folder.rglob("*") if p.is_file()}


def check_account_and_extract(page: Page, out_dir: Path, before: dict[str, int] | None = None) -> Path:
    """Choose another account: the item list follows; click Extract: its .eml lands in `out_dir`, and the
    click writes nothing else there but the manifest's new row. `before`: what `out_dir` must hold
    before the click (the dashboard: nothing, an opened page writes nothing by itself)."""
    held = files_under(out_dir)
    if before is not None:
        assert held == before, f"{out_dir} before Extract: {held}"
    items = dropdown(page, "item")
    before = items.locator("option").all_inner_texts()
    assert before, "the item list is empty before choosing an account"
    dropdown(page, "account").select_option(OTHER_ACCOUNT)
    expect(items.locator("option").first).to_contain_text(OTHER_ACCOUNT, timeout=30_000)
    after = items.locator("option").all_inner_texts()
    assert after != before and all(OTHER_ACCOUNT in option for option in after), (before, after)
    page.get_by_role("button", name="Extract .eml").click()
    folder = out_dir / OTHER_ACCOUNT
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not list(folder.glob(f"{OTHER_ITEM}-*.eml")):
        time.sleep(0.2)
    written = list(folder.glob(f"{OTHER_ITEM}-*.eml"))
    assert len(written) == 1, f"Extract wrote no {OTHER_ITEM}-*.eml into {folder}"
    assert b"\nSubject: " in written[0].read_bytes()
    after = files_under(out_dir)
    new = str(written[0].relative_to(out_dir))
    assert set(after) == set(held) | {new, "manifest.csv"}, f"Extract wrote {set(after) - set(held) - {new}} too"
    assert all(after[name] == size for name, size in held.items() if name != "manifest.csv")  # nothing rewritten
    assert (out_dir / "manifest.csv").read_text().count(new.split("/")[-1]) == 1
    message = page.get_by_text(re.compile(rf"wrote {re.escape(str(folder))}/{OTHER_ITEM}-.*\.eml"))
    expect(message.first).to_be_visible(timeout=30_000)  # the view says where, too
    return written[0]


def screenshot(page: Page, folder: Path, name: str, anchor=None) -> Path:
    """A viewport screenshot, `anchor` (a locator) at the top when given."""
    if anchor is not None:
        anchor.first.evaluate("e => e.scrollIntoView({block: 'start'})")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path))
    return path
