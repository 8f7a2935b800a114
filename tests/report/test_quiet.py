"""`zxforensics report` as a user runs it: nothing on stderr a user cannot act on (no kernel warning about
TCP, no progress bar), errors still shown, and no PDF engine is no failure: the HTML is written, the output
and the run manifest say why there is no PDF."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson

from zxforensics.output import OutputDir
from zxforensics.report.pdf import ENGINE_ENV, PDF_OUT, render_pdf

CLI = [str(Path(sys.executable).with_name("zxforensics"))]  # the console script a user runs


def report(store_shape, tmp_path: Path, *extra: str, env: dict | None = None) -> subprocess.CompletedProcess:
    backup = store_shape("no_server")
    notification = backup.parent / "notifications" / "restore_report.txt"
    command = [*CLI, "report", "backup_path", str(backup), "notification", str(notification), *extra]
    environment = {k: v for k, v in os.environ.items() if k != "TQDM_DISABLE"} | (env or {})
    return subprocess.run(command, capture_output=True, text=True, timeout=600, env=environment, check=False)


def test_a_run_without_pdf_engine_is_quiet_and_says_why(store_shape, tmp_path):
    out = tmp_path / "report"
    done = report(store_shape, tmp_path, "out", str(out), env={ENGINE_ENV: str(tmp_path / "no-chromium")})
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # no "running over TCP without encryption", no "Executing: 100%|..."
    lines = {line.split()[0]: line.split(None, 1)[1] for line in done.stdout.splitlines()[1:] if line.strip()}
    assert lines["html"] == str(out / "report.html") and (out / "report.html").is_file()
    assert lines["pdf"] == f"not written: {ENGINE_ENV}={tmp_path / 'no-chromium'} is not an executable"
    assert not (out / PDF_OUT).exists()
    manifest = orjson.loads((out / "run_manifest.json").read_bytes())
    assert manifest["pdf"] == {"written": False, "reason": f"{ENGINE_ENV}={tmp_path / 'no-chromium'} is not an "
                                                           "executable"}  # fmt: skip
    assert "Executive summary" in (out / "report.html").read_text(encoding="utf-8")


def test_errors_are_still_shown(store_shape, tmp_path):
    done = report(store_shape, tmp_path, "out", str(store_shape("no_server") / "inside"))
    assert done.returncode == 2 and done.stderr.startswith("error: refusing to write into the backup path")


def test_render_pdf_without_engine_or_with_a_failing_one(tmp_path, monkeypatch):
    out = OutputDir(tmp_path / "out", [])
    out.write_text("report.html", text="<html><body><h1>x</h1></body></html>")
    monkeypatch.setenv(ENGINE_ENV, "none")
    assert render_pdf(out, "report.html") == {"written": False, "reason": f"no PDF asked for ({ENGINE_ENV}=none)"}
    monkeypatch.delenv(ENGINE_ENV)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert render_pdf(out, "report.html")["reason"].startswith("no PDF engine: none of chromium, ")
    status = render_pdf(out, "report.html", engine="/bin/false")  # runs, prints nothing
    assert status["written"] is False and status["reason"].startswith("false wrote no PDF (exit 1)")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["report.html"]
