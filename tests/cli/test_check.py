"""`zxforensics check` as Nagios and Icinga run it: one status line, perfdata, exit 0/1/2/3."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import watched_store

ZXFORENSICS = Path(sys.executable).parent / "zxforensics"
STATUS_RE = re.compile(r"^ZXBACKUP (OK|WARNING|CRITICAL|UNKNOWN) - (.*?)(?: \| (.*))?$")
VALUE_RE = re.compile(r"^(-?[\d.]+)([a-zA-Z%]*)$")
EXIT = {"OK": 0, "WARNING": 1, "CRITICAL": 2, "UNKNOWN": 3}


def parse(out: str) -> tuple[str, str, dict[str, tuple]]:
    """The status, its text and the perfdata `{label: (value, warn, crit, min, max)}` of a plugin's output:
    perfdata items are `'label'=value[UOM];[warn];[crit];[min];[max]` (the plugin API; our labels have no spaces)."""
    match = STATUS_RE.match(out.splitlines()[0])
    assert match, out
    state, text, perf = match.groups()
    data = {}
    for item in (perf or "").split():
        label, _, rest = item.partition("=")
        value, *fields = rest.split(";")
        number = VALUE_RE.match(value)
        assert number and len(fields) <= 4, item
        data[label.strip("'")] = (float(number[1]), *fields, *[""] * (4 - len(fields)))
    return state, text, data


def check(*args: str) -> tuple[int, str, dict, str]:
    """The installed plugin, as a monitoring server runs it."""
    done = subprocess.run([str(ZXFORENSICS), "check", *args], capture_output=True, text=True, timeout=300,
                          check=False, env={**os.environ, "ZXFORENSICS_BACKUP_PATH": ""})  # fmt: skip
    state, text, perf = parse(done.stdout)
    assert done.returncode == EXIT[state] and done.stderr == ""
    return done.returncode, text, perf, done.stdout


def test_sound_store_is_ok(make_store):
    watched = watched_store.build(make_store(), last_scan_hours=3, out_of_backup=False)
    code, text, perf, out = check("backup_path", watched.root, "verify_sample", "50")
    assert code == 0, out
    blobs = len(watched.digests)
    assert text == f"last scan 3 h ago, {len(watched.ids) - 1} accounts, 0 read errors, {blobs} sampled blobs verified"
    assert perf["age_hours"] == (3.0, "26", "50", "0", "")
    assert perf["accounts"][0] == perf["checked"][0] == len(watched.ids) - 1
    assert perf["errors"] == (0.0, "1", "10", "0", "")
    assert perf["unprotected"][0] == perf["unbacked"][0] == perf["sample_failed"][0] == 0
    assert perf["sample_verified"][0] == blobs and len(out.splitlines()) == 1


def test_stale_store_warns_then_is_critical(make_store, run):
    watched = watched_store.build(make_store("a"), last_scan_hours=30, out_of_backup=False)
    code, out, _ = run("check", "backup_path", watched.root)
    state, text, perf = parse(out)
    assert (code, state) == (1, "WARNING") and text == "last scan 30.0 h ago (outside range 0:26)"
    assert perf["age_hours"][0] == 30.0
    code, out, _ = run("check", "backup_path", watched.root, "max_age_hours", "48")
    assert code == 0 and parse(out)[2]["age_hours"][1:3] == ("48", "72")
    older = watched_store.build(make_store("b"), last_scan_hours=60, out_of_backup=False)
    code, out, _ = run("check", "backup_path", older.root)
    assert code == 2 and parse(out)[0] == "CRITICAL"


def test_accounts_out_of_backup_warn_by_name(make_store, run):
    watched = watched_store.build(make_store())
    code, out, _ = run("check", "backup_path", watched.root)
    state, text, perf = parse(out)
    assert (code, state) == (1, "WARNING") and perf["unprotected"][0] == 1
    assert text == f"1 account(s) out of backup by their COS ({watched_store.DISABLED})"
    assert out.splitlines()[1:] == [f"out of backup: {watched_store.DISABLED}"]


def test_damaged_copy_is_critical(make_store, tmp_path):
    watched = watched_store.build(make_store(), out_of_backup=False)
    copy = tmp_path / "offsite"
    shutil.copytree(watched.root, copy, copy_function=shutil.copy2)  # rsync -a keeps sizes and mtimes
    code, text, perf, _ = check("backup_path", watched.root, "copy", str(copy), "copy_max_lag_hours", "0")
    assert code == 0 and perf["copy_missing"][0] == perf["copy_changed"][0] == perf["copy_extra"][0] == 0
    assert "copy in step (" in text
    first, second = (f"items/{d[:2]}/{d}" for d in watched.digests[:2])
    (copy / first).unlink()
    (copy / second).write_bytes(b"truncated")
    (copy / "items" / "zz").mkdir()
    (copy / "items" / "zz" / "stray").write_bytes(b"purged long ago")
    code, text, perf, out = check("backup_path", watched.root, "copy", str(copy), "copy_max_lag_hours", "0")
    assert code == 2 and perf["copy_missing"][:3] == (1.0, "", "0") and perf["copy_changed"][0] == 1
    assert perf["copy_extra"][:2] == (1.0, "0")
    assert text.startswith("copy: 1 file(s) missing; copy: 1 file(s) differ in size or mtime; copy: 1 file(s)")
    assert f"missing in copy: {first}" in out.splitlines() and f"differs in copy: {second}" in out.splitlines()
    # files the original changed within the allowed lag are pending for the next rsync, not an alarm
    code, text, perf, _ = check("backup_path", watched.root, "copy", str(copy))
    assert code == 1 and perf["copy_pending"][0] == 2 and perf["copy_missing"][0] == 0
    code, text, _, _ = check("backup_path", watched.root, "copy", str(tmp_path / "gone"))
    assert code == 2 and text.startswith("copy cannot be compared: ")


def test_damaged_blob_in_the_sample_is_critical(make_store, run):
    watched = watched_store.build(make_store(), out_of_backup=False)
    rel = f"items/{watched.digests[0][:2]}/{watched.digests[0]}"
    (Path(watched.root) / rel).write_bytes(b"not gzip at all")
    code, out, _ = run("check", "backup_path", watched.root, "verify_sample", "100")
    state, text, perf = parse(out)
    assert (code, state) == (2, "CRITICAL") and perf["sample_failed"][0] == 1
    assert text == f"1 of {len(watched.digests)} sampled blobs fail verification"
    assert out.splitlines()[1].startswith(f"blob fails: {rel} (not_gzip: ")


def test_unreadable_path_is_unknown(tmp_path, run):
    code, text, perf, _ = check("backup_path", str(tmp_path / "nowhere"))
    assert code == 3 and text.endswith("no such folder (expected a Zextras backup path)") and perf == {}
    (tmp_path / "empty").mkdir()
    code, text, _, _ = check("backup_path", str(tmp_path / "empty"))
    assert code == 3 and "is not a Zextras backup path" in text
    code, out, err = run("check", "backup_path", "SAMPLE", "warning", "5:1")
    assert code == 3 and parse(out)[1].startswith("command check: warning '5:1' is not a Nagios range")
    code, out, _ = run("check", "colour", "red")
    assert code == 3 and "unknown parameter 'colour'" in out and err == ""


def test_never_scanned_is_critical(make_store, run):
    builder = make_store()
    builder.backupstat("srv-never", 0, 0, 0)
    code, out, _ = run("check", "backup_path", str(builder.root), "verify_sample", "0")
    state, text, perf = parse(out)
    assert (code, state) == (2, "CRITICAL") and text == "the backup was never scanned (backupstat lastScan)"
    assert "age_hours" not in perf and perf["accounts"][0] == 0


def test_read_errors_follow_the_thresholds(run):
    code, out, _ = run("check", "backup_path", "SAMPLE", "max_age_hours", "1000000", "verify_sample", "0")
    state, text, perf = parse(out)  # the sample: two misplaced blobs, eve out of backup
    assert (code, state) == (1, "WARNING") and perf["errors"] == (2.0, "1", "10", "0", "")
    assert "2 read errors (outside range 0:1)" in text and "eve@domain.com" in text
    code, out, _ = run("check", "backup_path", "SAMPLE", "max_age_hours", "1000000", "verify_sample", "0",
                       "warning", "5", "critical", "1")  # fmt: skip
    assert code == 2 and parse(out)[2]["errors"][1:3] == ("5", "1")
