"""Notebook parameters: the parameter, then the environment, then the sample; relative to the notebook's folder."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from sample_paths import NOTEBOOKS, SAMPLE_BACKUP, SAMPLE_DATA

from zxforensics.errors import ZxError
from zxforensics.widgets import params

ENV = (params.BACKUP_PATH_ENV, params.NOTIFICATION_ENV, params.OUT_DIR_ENV, params.SESSION_ENV)


@pytest.fixture(autouse=True)
def no_environment(monkeypatch, tmp_path):
    """No variable set, and a working directory that is neither the repository nor its notebooks/."""
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def test_relative_paths_resolve_against_the_notebooks_folder_not_the_working_directory(tmp_path):
    assert params.notebook_folder() == NOTEBOOKS
    assert params.resolve("../sample_data/backup") == SAMPLE_BACKUP
    assert params.resolve("x", base=tmp_path / "a") == tmp_path / "a" / "x"
    assert params.resolve("/abs/olute/../path") == Path("/abs/path")
    assert params.resolve("~/case") == Path.home() / "case"
    assert params.resolve(None) is None and params.resolve("") is None and params.resolve("  ") is None


def test_a_notebook_jupyter_names_is_its_own_base(monkeypatch, tmp_path):
    (tmp_path / "cases").mkdir()
    monkeypatch.setenv(params.SESSION_ENV, str(tmp_path / "cases" / "copy.ipynb"))
    assert params.resolve("eml") == tmp_path / "cases" / "eml"
    monkeypatch.setenv(params.SESSION_ENV, "copy.ipynb")  # not an absolute path: not trusted
    assert params.notebook_folder() == NOTEBOOKS


def test_backup_path_parameter_then_environment_then_the_sample(monkeypatch, tmp_path):
    assert params.backup_path(None) == SAMPLE_BACKUP
    monkeypatch.setenv(params.BACKUP_PATH_ENV, str(tmp_path / "from_env"))
    assert params.backup_path(None) == tmp_path / "from_env"
    assert params.backup_path("") == tmp_path / "from_env"
    assert params.backup_path(str(tmp_path / "given")) == tmp_path / "given"
    monkeypatch.setenv(params.BACKUP_PATH_ENV, "")  # set but empty: as if unset
    assert params.backup_path(None) == SAMPLE_BACKUP


def test_no_backup_path_anywhere_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setattr(params, "REPOSITORY", tmp_path)  # an installed wheel: no sample beside the package
    with pytest.raises(ZxError, match=r"no backup path: set the notebook's backup_path parameter or \$ZXFORENSICS"):
        params.backup_path(None)


def test_notification_is_optional_but_never_silently_missing(monkeypatch):
    assert params.notification(None) is None and params.notification("") is None
    given = SAMPLE_DATA / "notifications" / "restore_report.txt"
    assert params.notification("../sample_data/notifications/restore_report.txt") == given
    monkeypatch.setenv(params.NOTIFICATION_ENV, str(given))
    assert params.notification(None) == given
    with pytest.raises(ZxError, match="no such file"):
        params.notification("no/such/report.eml")


def test_out_dir_parameter_then_environment_then_a_new_temporary_folder(monkeypatch, tmp_path):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    first, second = params.out_dir(None), params.out_dir(None)
    assert first != second and first.parent == second.parent == tmp_path / "tmp"
    assert first.is_dir() and first.name.startswith(params.OUT_PREFIX) and not any(first.iterdir())
    monkeypatch.setenv(params.OUT_DIR_ENV, str(tmp_path / "env_out"))
    assert params.out_dir(None) == tmp_path / "env_out"
    assert params.out_dir("../out/x") == NOTEBOOKS.parent / "out" / "x"  # inside the clone, whatever the cwd


def test_index_default_off_or_a_folder(tmp_path):
    """None or blank: open_backup's default; False or `off` (any spelling $ZXFORENSICS_INDEX takes): none."""
    assert params.index(None) is None and params.index("") is None and params.index(True) is None
    assert all(params.index(off) is False for off in (False, "off", " OFF ", "none", "0", "no", "false"))
    assert params.index(str(tmp_path / "idx")) == tmp_path / "idx"
    assert params.index("idx") == NOTEBOOKS / "idx"  # relative: from the notebook's folder
    assert params.index("idx", base=tmp_path) == tmp_path / "idx"


def test_snapshot_dates_default_to_the_first_and_the_last(sample_store, make_store):
    assert params.snapshot_dates(sample_store) == ("22/02/2014 04:00:58", "last")
    assert params.snapshot_dates(sample_store, "24/02/2014 04:01:09", None) == ("24/02/2014 04:01:09", "last")
    assert params.snapshot_dates(sample_store, "", "25/02/2014 04:00:47") == ("22/02/2014 04:00:58",
                                                                            "25/02/2014 04:00:47")
    builder = make_store()
    builder.backupstat("srv", 0, 0, 0)
    import zxforensics as zx

    assert params.snapshot_dates(zx.open_backup(builder.root)) == ("last", "last")  # no server/ at all
