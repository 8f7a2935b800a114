"""What every verb shares: where the backup path is, the time zone, date display."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from ..format.dates import format_vendor_date
from ..format.layout import BACKUP_PATH_ENV, DEFAULT_BACKUP_PATHS
from ..store.backup import BackupStore, open_backup
from .registry import Param, UsageError

BACKUP_PATH = Param("path", None, help="backup path (default $ZXFORENSICS_BACKUP_PATH or the vendor's)")
TZ = Param("string", None, help="server time zone, e.g. Europe/Rome")
SCHEDULER = Param("string", None, help="dask.distributed scheduler, e.g. tcp://host:8786", metavar="ADDR")


def backup_path(values: dict) -> str:
    """The `backup_path` given, else $ZXFORENSICS_BACKUP_PATH, else the first vendor default that exists."""
    if values.get("backup_path"):
        return values["backup_path"]
    if os.environ.get(BACKUP_PATH_ENV):
        return os.environ[BACKUP_PATH_ENV]
    for candidate in DEFAULT_BACKUP_PATHS:
        if Path(candidate).is_dir():
            return candidate
    raise UsageError(f"no backup path: give `backup_path PATH` or set ${BACKUP_PATH_ENV}")


def open_store(values: dict, options: dict) -> BackupStore:
    return open_backup(backup_path(values), tz=values.get("tz") or options.get("tz"))


def vendor_date(value, tz: str, zone: bool = False) -> str:
    """A timestamp (or an ISO string of one) as the vendor prints it, in the server's zone."""
    return format_vendor_date(pd.Timestamp(value) if isinstance(value, str) else value, tz, zone)


def blob_lines(digest: object, blob_path: object) -> list[tuple[str, object]]:
    """The seed's `blob path <path>` line; a digest that is not one (`../../etc/passwd`) is shown as the
    value it is, never joined to the backup path (reading it is refused: `bad_name`)."""
    if isinstance(blob_path, str):
        return [(f"blob path {blob_path}", "")]
    if isinstance(digest, str) and digest:
        return [("blob digest (refused: not a digest)", digest)]
    return []
