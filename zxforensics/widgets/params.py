"""Notebook parameters that work on any store, wherever the notebook is run from.

A notebook's `parameters` cell holds plain values (papermill replaces them); the next cell passes each
through here:

    backup_path = params.backup_path(backup_path)     # the parameter, $ZXFORENSICS_BACKUP_PATH, the sample
    notification = params.notification(notification)  # the parameter, $ZXFORENSICS_NOTIFICATION, or None
    out_dir = params.out_dir(out_dir)                  # the parameter, $ZXFORENSICS_OUT_DIR, a new temp folder
    index = params.index(index)                        # None: $ZXFORENSICS_INDEX, else the user's cache
    date_a, date_b = params.snapshot_dates(store, date_a, date_b)   # None: the first and the last snapshot

A relative path is taken from the notebook's folder, never from the working directory: papermill run
from the repository's root must not read or write beside it. The environment names are a contract with
the dashboard and its browser test.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ..errors import ZxError
from ..format.dates import format_vendor_date
from ..format.layout import BACKUP_PATH_ENV, NOTIFICATION_ENV, OUT_DIR_ENV
from ..store.backup import BackupStore
from ..store.index import OFF_WORDS

LAST = "last"
SESSION_ENV = "JPY_SESSION_NAME"  # set by Jupyter Server to the path of the notebook a kernel runs
PACKAGE = Path(__file__).resolve().parent.parent
REPOSITORY = PACKAGE.parent  # a checkout or an editable install; a wheel has no sample_data beside it
OUT_PREFIX = "zxforensics-"


def notebook_folder() -> Path:
    """Where relative paths resolve: the running notebook's own folder when Jupyter names it, else the
    repository's `notebooks/` (papermill and nbval run those), else the working directory."""
    session = os.environ.get(SESSION_ENV, "")
    if session.endswith(".ipynb") and Path(session).is_absolute() and Path(session).parent.is_dir():
        return Path(session).parent
    folder = REPOSITORY / "notebooks"
    return folder if folder.is_dir() else Path.cwd()


def resolve(value: str | os.PathLike | None, base: Path | None = None) -> Path | None:
    """An absolute path for a parameter: None or "" stay None, `~` is expanded, a relative path is taken
    from `base` (default: the notebook's folder)."""
    if _blank(value):
        return None
    path = Path(str(value).strip()).expanduser()
    return Path(os.path.normpath(path if path.is_absolute() else (base or notebook_folder()) / path))


def _given(value: str | os.PathLike | None, env: str) -> str | os.PathLike | None:
    """The parameter when it says something, else the environment variable (unset or empty: None)."""
    if not _blank(value):
        return value
    return os.environ.get(env) or None


def repository_sample() -> Path | None:
    """The committed sample's backup path, when the kit runs from a checkout that holds it."""
    sample = REPOSITORY / "sample_data" / "backup"
    return sample if sample.is_dir() else None


def backup_path(value: str | os.PathLike | None = None, base: Path | None = None) -> Path:
    """The backup path: the parameter, else $ZXFORENSICS_BACKUP_PATH, else the repository's sample."""
    path = resolve(_given(value, BACKUP_PATH_ENV), base) or repository_sample()
    if path is None:
        raise ZxError(f"no backup path: set the notebook's backup_path parameter or ${BACKUP_PATH_ENV}")
    return path


def notification(value: str | os.PathLike | None = None, base: Path | None = None) -> Path | None:
    """The restore notification (.txt or .eml): the parameter, else $ZXFORENSICS_NOTIFICATION, else None
    (a notebook then works without one). A path that names no file is an error, not a silent None."""
    path = resolve(_given(value, NOTIFICATION_ENV), base)
    if path is not None and not path.is_file():
        raise ZxError(f"notification {path}: no such file")
    return path


def out_dir(value: str | os.PathLike | None = None, base: Path | None = None) -> Path:
    """Where a notebook writes (extracted .eml files, tables): the parameter, else $ZXFORENSICS_OUT_DIR,
    else a new temporary folder, so that a run writes nowhere it was not told to."""
    path = resolve(_given(value, OUT_DIR_ENV), base)
    return path if path is not None else Path(tempfile.mkdtemp(prefix=OUT_PREFIX))


def input_path(value: str | os.PathLike | None = None, base: Path | None = None) -> Path | None:
    """Another path a notebook reads (an offsite copy...): resolved like the others, None when not given."""
    return resolve(value, base)


def index(value: object = None, base: Path | None = None) -> Path | bool | None:
    """The `index` of `open_backup`: None (or blank) is the default ($ZXFORENSICS_INDEX, else the user's
    cache); False or `off` scans without an index, silently; a path names the index folder (a relative
    one from the notebook's folder)."""
    if value is False or (isinstance(value, str) and value.strip().lower() in OFF_WORDS):
        return False
    if value is True:
        return None  # "an index, please": the default one
    return resolve(value, base)


def snapshot_dates(store: BackupStore, date_a: object = None, date_b: object = None) -> tuple[str, str]:
    """The two snapshots a notebook compares, as the vendor writes dates (server zone): `date_a` None is
    the first configuration snapshot, `date_b` None the last; `last` for both when the store holds none."""
    dates = store.server.config_dates()
    first = format_vendor_date(dates[0].to_pydatetime(), store.tz) if dates else LAST
    return (first if _blank(date_a) else str(date_a)), (LAST if _blank(date_b) else str(date_b))


def _blank(value: object) -> bool:
    return value is None or not str(value).strip()
