"""The PDF step leaves no process behind: Chromium and every helper it started are gone when it returns."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import psutil
import pytest
from browser_harness import CHROMIUM

from zxforensics.output import OutputDir
from zxforensics.report import pdf

# A stand-in for Chromium: prints a PDF (or not), leaves a helper in its process group and one in a
# session of its own (as chrome_crashpad_handler does), then ends, fails or hangs. It writes its own pid
# and its helpers' to `pids` (a failing test kills them).
FAKE_ENGINE = """#!{python}
import os, subprocess, sys, time
from pathlib import Path
target = next(a.split("=", 1)[1] for a in sys.argv if a.startswith("--print-to-pdf="))
Path(target).write_bytes(b"%PDF-1.4 fake")
quiet = dict(stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
helper = subprocess.Popen(["sleep", "600"], **quiet)
crashpad = subprocess.Popen(["sleep", "600"], start_new_session=True, **quiet)
Path({pids!r}).write_text(f"{{os.getpid()}} {{helper.pid}} {{crashpad.pid}}")
if {mode!r} == "hang":
    time.sleep(600)
print("the last words", file=sys.stderr)
sys.exit(3 if {mode!r} == "fail" else 0)
"""


@pytest.fixture
def out(tmp_path) -> OutputDir:
    folder = OutputDir(tmp_path / "out", [])
    folder.write_text("report.html", text="<html><body><h1>x</h1><p>a tiny report</p></body></html>")
    return folder


@pytest.fixture
def groups(monkeypatch) -> list[int]:
    """The process group of every process the PDF step starts."""
    started: list[int] = []
    real = subprocess.Popen

    class Recording(real):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            started.append(os.getpgid(self.pid))

    monkeypatch.setattr(subprocess, "Popen", Recording)
    return started


def gone(pid: int, group: bool = False) -> bool:
    try:
        (os.killpg if group else os.kill)(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_chromium_and_its_helpers_are_gone_when_the_step_returns(out, groups, tmp_path, monkeypatch):
    assert CHROMIUM.is_file(), f"{CHROMIUM} is missing: `apt-get install chromium` (.ci/run installs it)"
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the browser's profile and page: findable
    status = pdf.render_pdf(out, "report.html", engine=str(CHROMIUM))
    assert status["written"] is True and (tmp_path / "out" / pdf.PDF_OUT).read_bytes().startswith(b"%PDF-")
    assert groups and os.getpgid(0) not in groups  # a session of its own, not the caller's group
    assert all(gone(pgid, group=True) for pgid in groups)
    found = psutil.process_iter(["pid", "name", "cmdline"])
    assert [p.info for p in found if str(tmp_path) in " ".join(p.info["cmdline"] or [])] == []


@pytest.mark.parametrize("mode", ["end", "fail", "hang"])
def test_no_helper_outlives_the_step(out, groups, tmp_path, monkeypatch, mode):
    """A helper in the browser's group and one in its own session: both gone after an end, a failure, a timeout."""
    pids = tmp_path / "pids"
    engine = tmp_path / "fake-chromium"
    engine.write_text(FAKE_ENGINE.format(python=sys.executable, pids=str(pids), mode=mode))
    engine.chmod(0o755)
    monkeypatch.setattr(pdf, "TIMEOUT", 8)  # the hanging engine is stopped after this (the others end at once)
    left: list[int] = []
    try:
        status = pdf.render_pdf(out, "report.html", engine=str(engine))
        left = [int(pid) for pid in pids.read_text().split()]
        assert [pid for pid in left if not gone(pid)] == []
        assert groups and all(gone(pgid, group=True) for pgid in groups)
    finally:
        for pid in left:
            if not gone(pid):
                os.kill(pid, signal.SIGKILL)  # what this test started, if the step failed to end it
    if mode == "end":
        assert status == {"written": True, "engine": str(engine), "size": len(b"%PDF-1.4 fake")}
    elif mode == "fail":
        assert status["written"] is False and status["reason"] == "fake-chromium wrote no PDF (exit 3): the last words"
    else:
        assert status["written"] is False and status["reason"].startswith("fake-chromium failed: ")
        assert "timed out after 8 seconds" in status["reason"]
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert written == (["report.html", "report.pdf"] if mode == "end" else ["report.html"])


def test_an_interrupted_step_leaves_no_helper(out, tmp_path, monkeypatch):
    """Ctrl-C while the browser hangs: the interruption goes on, the browser and its helpers do not."""
    pids = tmp_path / "pids"
    engine = tmp_path / "fake-chromium"
    engine.write_text(FAKE_ENGINE.format(python=sys.executable, pids=str(pids), mode="hang"))
    engine.chmod(0o755)
    real = subprocess.Popen

    class Interrupted(real):
        def communicate(self, *args, **kwargs):
            if not getattr(self, "interrupted", False):
                self.interrupted = True
                with pytest.raises(subprocess.TimeoutExpired):
                    super().communicate(timeout=5)  # the engine is hanging by now
                raise KeyboardInterrupt
            return super().communicate(*args, **kwargs)

    monkeypatch.setattr(subprocess, "Popen", Interrupted)
    left: list[int] = []
    try:
        with pytest.raises(KeyboardInterrupt):
            pdf.render_pdf(out, "report.html", engine=str(engine))
        left = [int(pid) for pid in pids.read_text().split()]
        assert len(left) == 3 and [pid for pid in left if not gone(pid)] == []
    finally:
        for pid in left:
            if not gone(pid):
                os.kill(pid, signal.SIGKILL)


def test_the_reaper_runs_without_the_kit():
    """The reaper is run by path with -I: it imports the standard library only."""
    source = Path(pdf.REAPER).read_text(encoding="utf-8")
    assert "zxforensics" not in source.split('"""', 2)[2] and "from ." not in source
