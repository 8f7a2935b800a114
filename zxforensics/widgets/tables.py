"""What the notebooks show of each frame: the columns a person reads first, the rows worth a look, and a
note instead of an empty table. Notebook cells only call these and display; the frames themselves keep
every column (the investigations document them).
"""

from __future__ import annotations

import os

import pandas as pd

from ..format.layout import SERVER_DIR
from ..investigate import summary
from ..investigate.copies import compare_copies
from ..investigate.shares import SHARE_SHOWN, import_map
from ..store.backup import BackupStore
from .server import member_diff_text

UNPROTECTED_SHOWN = ["name", "status", "cos_name", "cos_via"]
COPY_HIDDEN = ["original_sha256", "copy_sha256"]  # in the frame, too long to read in a table
NO_MAP = "no map_* file in this backup path"
NO_COPY = "no offsite copy given (the copy_path parameter)"
NO_SNAPSHOT = "no configuration snapshot in this backup path: nothing to compare"


def shares_table(shares: pd.DataFrame) -> pd.DataFrame:
    """Every grant and mountpoint with its status: who shares what with whom."""
    return shares[SHARE_SHOWN]


def holdings_by_type(holdings: pd.DataFrame) -> pd.DataFrame:
    """Items per account (rows) and type (columns), from `investigate.summary.holdings`."""
    return summary.holdings_by_type(holdings)


def snapshot_counts(store: BackupStore) -> pd.Series:
    """Server archives per component (`config`, `customizations`, `ldap`...)."""
    archives = store.server_archives()
    return archives.groupby(archives["component"].astype(str)).size().rename("archives")


def diff_dates(diff: pd.DataFrame) -> str:
    """Which two snapshots a `diff_config` compared (UTC), or why there was nothing to compare."""
    if diff.attrs.get("date_a") is None:
        return NO_SNAPSHOT
    return f"from {diff.attrs['date_a']} to {diff.attrs['date_b']} (UTC)"


def config_changes(timeline: pd.DataFrame) -> pd.DataFrame:
    """The rows of `config_timeline` where a value changed (the first snapshot's values are not changes)."""
    return timeline[timeline["change"] != "initial"]


def member_diffs(changes: pd.DataFrame) -> str:
    """The unified diff of every changed customization file, one after the other."""
    return "\n\n".join(member_diff_text(changes, member) for member in changes["member"])


def unprotected_accounts(store: BackupStore, date: object = "last") -> pd.DataFrame:
    """Accounts of the LDAP dump at `date` whose COS carries `${ZxBackup_Disabled}`."""
    return store.ldap(date)["unprotected"][UNPROTECTED_SHOWN]


def server_errors(store: BackupStore) -> pd.DataFrame:
    """The rows of the errors table about the server archives (`server/`)."""
    errors = store.errors
    return errors[errors["path"].astype(str).str.startswith(SERVER_DIR + "/")]


def import_map_view(store: BackupStore) -> pd.DataFrame | str:
    """The backup's own import map (`map_*`: source -> destination account), or a note when it has none."""
    mapping = import_map(store)
    return mapping if len(mapping) else NO_MAP


def copy_check(original: str | os.PathLike, copy: str | os.PathLike | None) -> list:
    """The comparison of an offsite copy with the original (its summary, then every file that differs),
    or a note when no copy is given."""
    if copy is None or not str(copy).strip():
        return [NO_COPY]
    comparison = compare_copies(original, copy)
    return [comparison.summary(), comparison.differences().drop(columns=COPY_HIDDEN)]
