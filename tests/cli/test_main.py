"""The CLI's exit codes: bad input or evidence is one line and exit 2; a bug of the kit is one line and exit 70,
with the traceback before it under --debug; nothing of a failed verb goes to stdout."""

from __future__ import annotations

import pytest

from zxforensics.store.backup import BackupStore


def explode(self, *args, **kwargs):
    raise ZeroDivisionError("boom\x1b[2J")


def test_a_bug_inside_a_verb_is_one_line_and_exit_70(run, monkeypatch):
    monkeypatch.setattr(BackupStore, "accounts", explode)
    code, out, err = run("getAvailableAccounts", "backup_path", "SAMPLE")
    assert (code, out) == (70, "")
    assert err.count("\n") == 1 and err.startswith("internal error (a bug of zxforensics")
    assert "ZeroDivisionError: boom\\x1b[2J" in err and "--debug" in err and "Traceback" not in err


def test_debug_shows_the_traceback_and_still_exits_70(run, monkeypatch):
    monkeypatch.setattr(BackupStore, "accounts", explode)
    code, out, err = run("--debug", "getAvailableAccounts", "backup_path", "SAMPLE")
    assert (code, out) == (70, "")
    lines = err.splitlines()
    assert lines[0] == "Traceback (most recent call last):" and "in explode" in err
    assert lines[-1].startswith("internal error (a bug of zxforensics") and "ZeroDivisionError" in lines[-1]


@pytest.mark.parametrize("exc", [OSError(28, "No space left on device"), PermissionError(13, "Permission denied")])
def test_the_environment_failing_is_one_line_and_exit_2(run, monkeypatch, exc):
    def fail(self, *args, **kwargs):
        raise exc

    monkeypatch.setattr(BackupStore, "accounts", fail)
    code, out, err = run("getAvailableAccounts", "backup_path", "SAMPLE")
    assert (code, out) == (2, "") and err.count("\n") == 1 and err.startswith("error: ") and exc.strerror in err


def test_the_kits_warnings_are_one_escaped_line(run, tmp_path, monkeypatch):
    """An index the kit cannot use is a warning, printed as its errors are: one line, no Python source
    line, control characters escaped (the folder's name may come from the evidence's)."""
    blocked = tmp_path / "ix\x1b[2J"
    blocked.write_text("a file where the index folder would go")
    monkeypatch.setenv("ZXFORENSICS_INDEX", str(blocked))
    code, out, err = run("getAvailableAccounts", "backup_path", "SAMPLE")
    assert code == 0 and "account1@domain.com" in out
    assert err.count("\n") == 1 and err.startswith("warning: ") and "scanning without an index" in err
    assert "ix\\x1b[2J" in err and "\x1b" not in err and "Warning:" not in err
