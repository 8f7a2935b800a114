"""How healthy a backup is, in a few seconds: the measurements behind `zxforensics check`, as plain data.

Only cheap things are asked of the store: `backupstat`, the account headers, the blob listing and a
sample of blobs (a persistent index, where the store has one, answers the first three). No item
metadata is read, so the cost does not grow with the number of items; a copy is compared by `stat`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..errors import EvidenceError, ZxError
from ..format import digest as vdigest
from .copies import compare_stat
from .info import EPOCH, backup_info

if TYPE_CHECKING:
    from ..store.backup import BackupStore

DEFAULT_SAMPLE_BUDGET = 10.0  # seconds the blob sample may take; a check must answer within Nagios' timeout
CHANGED = ("size_differs", "mtime_differs", "type_differs", "link_differs")


@dataclass
class CopyDrift:
    """An offsite copy against the original, by stat. `pending`: files the original changed within the
    allowed lag (the next rsync brings them), not counted as missing or changed."""

    copy: str
    compared: int = 0
    missing: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    pending: int = 0
    problem: str | None = None  # the copy could not be compared at all


@dataclass
class BlobSample:
    """A random sample of blobs decompressed and checked against their digest, within a time budget."""

    asked: int
    verified: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (path, "kind: detail")
    seconds: float = 0.0
    budget_seconds: float = DEFAULT_SAMPLE_BUDGET

    @property
    def cut_short(self) -> bool:
        return self.verified + len(self.failed) < self.asked


@dataclass
class Health:
    """A backup's health: what `check` turns into a status line."""

    root: str
    tz: str
    now: pd.Timestamp
    last_scan: pd.Timestamp | None  # None: never scanned
    active_accounts: int  # numActiveBackupedAccounts
    checked_accounts: int  # numCheckedAccounts
    unprotected: list[str]  # accounts not deleted whose COS disables backup
    read_errors: int  # rows of the errors table before the blob sample
    errors_by_kind: dict[str, int]
    copy: CopyDrift | None = None
    sample: BlobSample | None = None

    @property
    def age_hours(self) -> float | None:
        """Hours since the last scan (None when never scanned)."""
        if self.last_scan is None:
            return None
        return (self.now - self.last_scan).total_seconds() / 3600


def scan_age(store: BackupStore) -> pd.Timestamp | None:
    """The last scan (UTC): backupstat's, else the newest account scan; None when it never ran."""
    last = store.last_scan()
    return None if last is None or last <= EPOCH else last


def unprotected_accounts(store: BackupStore) -> list[str]:
    """Accounts silently out of backup: not deleted, but in a COS whose notes disable backup."""
    accounts = store.accounts(counts=False)
    out = accounts[~accounts["deleted"] & accounts["backup_disabled"].fillna(False).astype(bool)]
    return [store.account_name(a) for a in out["account_id"]]


def copy_drift(store: BackupStore, copy: str, max_lag_hours: float, now: pd.Timestamp) -> CopyDrift:
    """The copy at `copy` (a backup path, or a folder holding `ng/` or `zextras/`) compared by stat.
    A file the original changed less than `max_lag_hours` ago is pending, not missing or changed."""
    from ..store.backup import resolve_backup_path

    drift = CopyDrift(copy)
    try:
        differences = compare_stat(store, resolve_backup_path(copy))
    except (ZxError, OSError) as exc:
        drift.problem = str(exc)
        return drift
    drift.compared = int(differences.attrs.get("compared", 0))
    cutoff = int((now - pd.Timedelta(hours=max_lag_hours)).timestamp())
    recent = differences["original_mtime"].fillna(0) > cutoff
    drift.pending = int((recent & (differences["status"] != "extra")).sum())
    settled = differences[~recent | (differences["status"] == "extra")]
    drift.missing = settled.loc[settled["status"] == "missing", "path"].tolist()
    drift.changed = settled.loc[settled["status"].isin(CHANGED), "path"].tolist()
    drift.extra = settled.loc[settled["status"] == "extra", "path"].tolist()
    return drift


def draw_blobs(store: BackupStore, size: int, seed: int | None = None) -> list[str]:
    """`size` digests drawn uniformly at random from the blob files at their prefix folder, in random order,
    the listing of items/ read a group of prefix folders at a time (each file gets a random key, the `size`
    smallest keys win): it is never held whole, and its own problems go to the errors table on the way."""
    rng = np.random.default_rng(seed)
    keys, digests = np.empty(0), np.empty(0, dtype=object)
    for listing in store.blob_file_groups(vdigest.ALPHABET):
        if size <= 0 or listing.empty:
            continue
        names = listing.loc[~listing["misplaced"], "digest"].to_numpy(object)
        keys, digests = np.concatenate([keys, rng.random(len(names))]), np.concatenate([digests, names])
        if len(keys) > size:
            best = np.argpartition(keys, size - 1)[:size]
            keys, digests = keys[best], digests[best]
    return [str(d) for d in digests[np.argsort(keys, kind="stable")]]


def verify_sample(store: BackupStore, size: int, budget_seconds: float = DEFAULT_SAMPLE_BUDGET,
                  seed: int | None = None, drawn: list[str] | None = None) -> BlobSample:
    """Decompress `size` blobs drawn at random from the blob listing (`drawn`: already drawn by draw_blobs)
    and check each digest, stopping when the budget is spent (each run draws anew, so over days the checks
    cover the store)."""
    chosen = drawn if drawn is not None else draw_blobs(store, size, seed)
    sample = BlobSample(asked=len(chosen), budget_seconds=budget_seconds)
    start = time.monotonic()
    for digest in chosen:
        if time.monotonic() - start > budget_seconds:
            break
        try:
            store.read_blob_checked(digest)
            sample.verified += 1
        except EvidenceError as exc:
            sample.failed.append((exc.path or digest, f"{exc.kind}: {exc.detail}"))
    sample.seconds = time.monotonic() - start
    return sample


def measure(store: BackupStore, copy: str | None = None, sample: int = 0, *, max_lag_hours: float = 26.0,
            budget_seconds: float = DEFAULT_SAMPLE_BUDGET, now: pd.Timestamp | None = None,
            seed: int | None = None) -> Health:
    """Every measurement of `check`: last scan, account counts, accounts out of backup, read errors,
    and optionally an offsite copy by stat and a budgeted sample of blobs."""
    now = now if now is not None else pd.Timestamp.now(tz="UTC")
    facts = backup_info(store)
    unprotected = unprotected_accounts(store)
    drawn = draw_blobs(store, sample, seed)  # one pass over the listing: its own problems count as read errors
    errors = store.errors
    health = Health(
        root=str(store.root), tz=store.tz, now=now, last_scan=scan_age(store),
        active_accounts=int(facts["numActiveBackupedAccounts"]), checked_accounts=int(facts["numCheckedAccounts"]),
        unprotected=unprotected, read_errors=len(errors),
        errors_by_kind={str(k): int(v) for k, v in errors["kind"].value_counts().items() if v},
    )  # fmt: skip
    if copy:
        health.copy = copy_drift(store, copy, max_lag_hours, now)
    if sample:
        health.sample = verify_sample(store, sample, budget_seconds, drawn=drawn)
    return health
