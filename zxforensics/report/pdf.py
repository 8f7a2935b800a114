"""`report.pdf` beside `report.html`, printed by headless Chromium.

Why Chromium and not WeasyPrint: the kit's browser tests already need Debian's `chromium` (`.ci/run`
installs it), so the PDF costs no new dependency; it renders the HTML exactly as a reader's browser does
(the same CSS, `@media print` page breaks, internal links kept), and `--generate-pdf-document-outline`
turns the headings into the PDF's bookmarks. WeasyPrint would add a Python package plus the system's Pango,
and lay the page out with its own engine. Without Chromium the report is still written: `render_pdf`
answers why there is no PDF, and the run manifest records it.

Chromium reads a copy of the HTML in a private temporary folder and prints there; the PDF is then
written through the run's OutputDir (never through a link, never into the evidence).

Chromium runs under `reaper.py` (in a session of its own, itself in another): the step ends only when
Chromium and every helper it started (zygotes, renderers, crashpad handlers) are gone and reaped, after a
normal end, a failure or the timeout; the reaper's group is killed after the run in any case.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from ..output import OutputDir

PDF_OUT = "report.pdf"
ENGINE_ENV = "ZXFORENSICS_PDF_ENGINE"  # a Chromium/Chrome binary, or `none` for no PDF
ENGINES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
TIMEOUT = 180  # seconds: a report of thousands of rows prints in a few
GRACE = 10  # seconds the reaper has, after the timeout, to kill and reap Chromium's processes
REAPER = Path(__file__).with_name("reaper.py")


def find_engine() -> tuple[str | None, str]:
    """The Chromium binary to print with, else None and why there is none."""
    chosen = os.environ.get(ENGINE_ENV, "").strip()
    if chosen.lower() == "none":
        return None, f"no PDF asked for ({ENGINE_ENV}=none)"
    if chosen:
        found = shutil.which(chosen)
        return (found, "") if found else (None, f"{ENGINE_ENV}={chosen} is not an executable")
    for name in ENGINES:
        found = shutil.which(name)
        if found:
            return found, ""
    return None, (f"no PDF engine: none of {', '.join(ENGINES)} is installed (install Debian's chromium, "
                  f"or set {ENGINE_ENV} to a Chromium or Chrome binary)")  # fmt: skip


def render_pdf(out: OutputDir, html_name: str, engine: str | None = None) -> dict:
    """Print `out/html_name` to `out/PDF_OUT`; answers the manifest's `pdf` entry: `written`, `engine`,
    and `reason` when no PDF was written. Never raises for a missing or failing engine."""
    reason = ""
    if engine is None:
        engine, reason = find_engine()
    if engine is None:
        return {"written": False, "reason": reason}
    with tempfile.TemporaryDirectory(prefix="zxforensics-pdf-") as folder:
        work = Path(folder)
        page, target = work / "report.html", work / "report.pdf"
        page.write_bytes(out.read_bytes(html_name))
        command = [
            engine, "--headless", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
            "--disable-extensions", f"--user-data-dir={work / 'profile'}", "--no-pdf-header-footer",
            "--generate-pdf-document-outline", f"--print-to-pdf={target}", page.as_uri(),
        ]  # fmt: skip
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.insert(1, "--no-sandbox")  # Chromium refuses to run as root with its sandbox
        try:
            returncode, stderr = run_browser(command, work)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return {"written": False, "engine": engine, "reason": f"{Path(engine).name} failed: {exc}"}
        data = target.read_bytes() if target.is_file() else b""
        if returncode != 0 or not data.startswith(b"%PDF-"):
            last = (stderr.decode("utf-8", "replace").strip().splitlines() or ["no output"])[-1]
            return {"written": False, "engine": engine,
                    "reason": f"{Path(engine).name} wrote no PDF (exit {returncode}): {last[:300]}"}
    out.write_bytes(PDF_OUT, data=data, replace=True)
    return {"written": True, "engine": engine, "size": len(data)}


def run_browser(command: list[str], cwd: Path) -> tuple[int, bytes]:
    """Run the browser under the reaper, in a new session; answers its exit code and stderr. Whatever
    happens (normal end, timeout, error, interruption), nothing of the browser outlives the call.
    Raises TimeoutExpired after TIMEOUT seconds, once the browser and its helpers are gone."""
    process = subprocess.Popen(
        [sys.executable, "-I", str(REAPER), *command], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, cwd=cwd, start_new_session=True,
    )  # fmt: skip
    try:
        _out, stderr = process.communicate(timeout=TIMEOUT)
    finally:
        stop(process)
    return process.returncode, stderr


def stop(process: subprocess.Popen) -> None:
    """End a reaper that is still running (a timeout, an interruption): SIGTERM, on which it kills the
    browser's group and reaps its helpers; after GRACE seconds, its own group is killed. A reaper that
    ended by itself has reaped everything already."""
    if process.returncode is not None:
        return
    process.terminate()
    try:
        process.communicate(timeout=GRACE)
    except subprocess.TimeoutExpired:
        # not reaped yet: its pid still names its group (no reused pid is hit)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
