"""What the vendor's Backup Purge would remove at a date, and the blob bytes that frees.

Rules (Zextras retention policies; 0 days = keep forever, as the vendor does):
- an item whose newest state is `deleted` goes once `data_retention_days` have passed since that state;
- a deleted account (account_stat) goes once `account_retention_days` have passed since its deletion;
  a backup-disabled one (its COS carries `${ZxBackup_Disabled}`) is treated as deleted by the vendor,
  from the last time the backup scanned it;
- a blob is freed only when no remaining state references it (one mail delivered to several
  mailboxes shares one blob). Older versions of live items are not counted here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from ..format import digest as vdigest
from ..store.backup import investigation
from ..store.frames import concat_states
from ..store.states import at_instant, select_states
from .blob_groups import canonical_sizes

if TYPE_CHECKING:
    from ..store.backup import BackupStore

ACCOUNT_COLUMNS = ["account_id", "account", "reason", "since", "purge_after", "purged", "items", "states"]
ITEM_COLUMNS = ["account_id", "account", "item_id", "type", "folder_path", "subject", "since", "purge_after",
                "purged", "states"]  # fmt: skip
BLOB_COLUMNS = ["digest", "path", "size", "compressed_size", "freed", "still_used_by"]
# what the basis keeps of a deleted item: the columns of ITEM_COLUMNS it does not compute at each date
DELETED_COLUMNS = [c for c in ITEM_COLUMNS if c not in ("purge_after", "purged")]


@dataclass
class Retention:
    """A purge at `at`: candidate accounts and deleted items (with `purged`), and the blobs their
    purged states reference (`freed` when nothing else needs them)."""

    at: pd.Timestamp
    data_retention_days: int
    account_retention_days: int
    accounts: pd.DataFrame
    items: pd.DataFrame
    blobs: pd.DataFrame

    @property
    def bytes_freed(self) -> int:
        """Blob bytes on disk (compressed) that the purge frees."""
        freed = self.blobs[self.blobs["freed"]]
        return int(freed["compressed_size"].fillna(0).sum())

    def purged_accounts(self) -> pd.DataFrame:
        return self.accounts[self.accounts["purged"]]

    def purged_items(self) -> pd.DataFrame:
        return self.items[self.items["purged"]]

    def purged_per_account(self) -> pd.DataFrame:
        """`account, deleted items purged`."""
        return self.purged_items().groupby("account").size().rename("deleted items purged").reset_index()

    def summary(self) -> pd.DataFrame:
        """`metric, value`: what the purge removes and frees."""
        rows = [
            ("purge at (UTC)", self.at.strftime("%Y-%m-%d %H:%M:%S")),
            ("data retention days", self.data_retention_days or "keep forever"),
            ("account retention days", self.account_retention_days or "keep forever"),
            ("accounts purged", int(self.accounts["purged"].sum())),
            ("deleted items purged", int(self.items["purged"].sum())),
            ("blobs freed", int(self.blobs["freed"].sum())),
            ("blobs kept (still referenced)", int((~self.blobs["freed"]).sum())),
            ("bytes freed", self.bytes_freed),
        ]
        return pd.DataFrame(rows, columns=["metric", "value"]).astype({"value": "string"})


@investigation("retention")
def retention(
    store: BackupStore, data_retention_days: int = 30, account_retention_days: int = 30, at: object = None
) -> Retention:
    """What a purge at `at` would remove: by default at the backup's last scan (a backup's "now"), else
    now when it never scanned; a user date is in the server's zone."""
    instant = purge_instant(store) if at is None else pd.Timestamp(at_instant(at, store.tz))
    return plan_at(basis(store), instant, data_retention_days, account_retention_days)


def purge_instant(store: BackupStore) -> pd.Timestamp:
    """A purge's default date: the backup's last scan, else now (a backup that never scanned)."""
    return store.last_scan() or pd.Timestamp.now(tz="UTC")


@dataclass
class Basis:
    """What every purge date needs, computed once per store: the states a purge may take (those of
    candidate accounts and of deleted items, not every state), how many items use each of their blobs,
    account candidates, deleted items, blob sizes on disk (a forecast, or a widget, evaluates many dates
    over one basis)."""

    states: pd.DataFrame  # account_id, item_id, digest, size of the states a purge may take
    keys: pd.MultiIndex  # (account_id, item_id) of each of them
    users: pd.Series  # digest -> items of the whole store referencing it
    accounts: pd.DataFrame  # deleted or backup-disabled accounts, with `since`
    deleted: pd.DataFrame  # items whose newest state is a deletion, with `since`
    on_disk: pd.Series  # digest -> compressed size of the blob at its canonical path, for the states' digests


def basis(store: BackupStore) -> Basis:
    """The store's Basis, computed on the first call (it reads every state twice and the listing of items/,
    a batch or a group at a time) and kept by the store."""
    return store.memo("retention.basis", lambda: _compute_basis(store))


def _compute_basis(store: BackupStore) -> Basis:
    """Two passes over the states a batch at a time (batches hold whole accounts, so whatever is per item
    or per account is complete in its batch): the first keeps the states a purge may take, the second
    counts the items of the whole store using each of their blobs. What is kept is per candidate, never
    per state of the store."""
    listed = store.accounts()
    candidates = set(listed.loc[_is_candidate(listed), "account_id"].astype(str))
    counts, deleted, held = [], [], []
    for batch in store.state_batches():
        counts.append(item_counts(batch))
        gone = _deleted_in(batch)
        # kept across batches: only small vocabularies (a digest or path category would keep its batch's)
        deleted.append(gone[DELETED_COLUMNS])
        keys = pd.MultiIndex.from_arrays([batch["account_id"].astype(str), batch["item_id"]])
        taken = batch["account_id"].isin(candidates).to_numpy() | keys.isin(
            pd.MultiIndex.from_arrays([gone["account_id"], gone["item_id"]]))  # fmt: skip
        held.append(batch.loc[taken, ["account_id", "item_id", "digest", "size"]].astype(
            {"account_id": str, "digest": object}))  # fmt: skip
        del batch, keys, taken, gone
    slim = pd.concat(held, ignore_index=True)
    del held
    users = _users(store, slim["digest"].dropna().unique())
    on_disk = canonical_sizes(store, slim["digest"].dropna())  # a group of the listing at a time
    keys = pd.MultiIndex.from_arrays([slim["account_id"], slim["item_id"]])
    counted = pd.concat(counts)
    counted.index = counted.index.astype(str)  # each batch's categories: united as plain strings
    return Basis(slim, keys, users, account_candidates(listed, counted), _sorted_deleted(concat_states(deleted)),
                 on_disk)  # fmt: skip


def item_counts(states: pd.DataFrame) -> pd.DataFrame:
    """`items, states` per account_id."""
    return states.groupby("account_id", observed=True).agg(items=("item_id", "nunique"), states=("item_id", "size"))


def _users(store: BackupStore, digests) -> pd.Series:
    """digest -> how many items of the whole store have a state referencing it, for `digests`."""
    wanted = list(digests)
    found = []
    for batch in store.state_batches():
        refs = batch.loc[batch["digest"].isin(wanted), ["account_id", "item_id", "digest"]]
        counts = refs.drop_duplicates().groupby("digest", observed=True).size()
        counts.index = counts.index.astype(object)  # the observed digests only, not the batch's vocabulary
        found.append(counts)
        del batch, refs, counts
    users = pd.concat(found)
    return users.groupby(level=0).sum().astype("int64")


def plan_at(base: Basis, instant: pd.Timestamp, data_days: int, account_days: int) -> Retention:
    accounts = base.accounts.copy()
    accounts["purge_after"], accounts["purged"] = _deadline(accounts["since"], account_days, instant)
    gone_accounts = set(accounts.loc[accounts["purged"], "account_id"])
    items = base.deleted[~base.deleted["account_id"].isin(gone_accounts)].copy()
    items["purge_after"], items["purged"] = _deadline(items["since"], data_days, instant)
    gone_items = pd.MultiIndex.from_frame(items.loc[items["purged"], ["account_id", "item_id"]])
    purged = base.states["account_id"].isin(gone_accounts).to_numpy() | base.keys.isin(gone_items)
    blobs = freed_blobs(base.states, pd.Series(purged, index=base.states.index), base.on_disk, base.users)
    return Retention(instant, data_days, account_days, accounts[ACCOUNT_COLUMNS], items[ITEM_COLUMNS].reset_index(
        drop=True), blobs)  # fmt: skip


def _deadline(since: pd.Series, days: int, at: pd.Timestamp) -> tuple[pd.Series, pd.Series]:
    """When each candidate becomes purgeable, and whether it is at `at` (never with 0 days)."""
    if days <= 0:
        return pd.Series(pd.NaT, index=since.index, dtype="datetime64[ns, UTC]"), pd.Series(False, index=since.index)
    after = since + pd.Timedelta(days=days)
    return after, (after <= at).fillna(False).astype(bool)


def account_candidates(df: pd.DataFrame, counted: pd.DataFrame) -> pd.DataFrame:
    """Deleted and backup-disabled accounts (NA backup_disabled counts as enabled), with `since` and their
    `items, states` (`counted`, per account_id)."""
    deleted = df["deleted"].astype(bool)
    chosen = _is_candidate(df)
    df = df[chosen].copy()
    df["reason"] = ["deleted" if d else "backup_disabled" for d in deleted[chosen]]
    df["since"] = df["deleted_date"].where(df["reason"] == "deleted", df["last_scan"])
    df = df.join(counted, on="account_id")
    df[["items", "states"]] = df[["items", "states"]].fillna(0).astype("int64")
    df["account_id"] = df["account_id"].astype(str)
    return df.rename(columns={"name": "account"}).reset_index(drop=True)


def _is_candidate(accounts: pd.DataFrame) -> pd.Series:
    """Deleted or backup-disabled (NA backup_disabled counts as enabled)."""
    return accounts["deleted"].astype(bool) | accounts["backup_disabled"].fillna(False).astype(bool)


def deleted_items(states: pd.DataFrame) -> pd.DataFrame:
    """Items whose newest state is a deletion, with when that happened."""
    return _sorted_deleted(_deleted_in(states))


def _deleted_in(states: pd.DataFrame) -> pd.DataFrame:
    """deleted_items of some whole accounts, in the states' order (batches of them are concatenated)."""
    last = select_states(states, "last")
    last = last[last["deleted"]].copy()
    last["since"] = last["start_date"]
    sizes = states.groupby(["account_id", "item_id"], observed=True).size().rename("states")
    last = last.join(sizes, on=["account_id", "item_id"])
    last["account_id"] = last["account_id"].astype(str)
    last["account"] = last["account"].astype(str)
    return last


def _sorted_deleted(last: pd.DataFrame) -> pd.DataFrame:
    return last.sort_values(["account", "item_id"], ignore_index=True)


def freed_blobs(states: pd.DataFrame, purged: pd.Series, on_disk: pd.Series, users: pd.Series) -> pd.DataFrame:
    """Digests of the purged states: freed when no remaining state references them. `users` (digest -> items
    referencing it in the whole store) lets `states` hold only the states a purge may take: a purge takes
    whole items, so the remaining users are the users less the purged items."""
    gone = states.loc[purged & states["digest"].notna()]
    taken = gone.drop_duplicates(["account_id", "item_id", "digest"]).groupby("digest", observed=True).size()
    taken.index = taken.index.astype(object)
    left = users.sub(taken, fill_value=0)
    left = left[left > 0]
    df = gone.groupby("digest", observed=True).agg(size=("size", "max")).reset_index()
    df["digest"] = df["digest"].astype(str)
    df["still_used_by"] = df["digest"].map(left).fillna(0).astype("int64")
    df["freed"] = df["still_used_by"] == 0
    df["compressed_size"] = df["digest"].map(on_disk).astype("Int64")
    df["path"] = [vdigest.blob_relpath(d) for d in df["digest"]]
    return df[BLOB_COLUMNS].sort_values(["freed", "digest"], ascending=[False, True], ignore_index=True)


def purge_forecast(
    store: BackupStore, data_retention_days: int = 30, account_retention_days: int = 30, dates=None
) -> pd.DataFrame:
    """`date, accounts, items, blobs_freed, bytes_freed` of a purge at each date (default: weekly,
    from the last scan to 13 weeks after it)."""
    base = basis(store)
    if dates is None:
        dates = pd.date_range(purge_instant(store).normalize(), periods=14, freq="7D")
    rows = []
    for date in dates:
        instant = pd.Timestamp(at_instant(pd.Timestamp(date), store.tz))
        plan = plan_at(base, instant, data_retention_days, account_retention_days)
        rows.append((plan.at, int(plan.accounts["purged"].sum()), int(plan.items["purged"].sum()),
                     int(plan.blobs["freed"].sum()), plan.bytes_freed))  # fmt: skip
    return pd.DataFrame(rows, columns=["date", "accounts", "items", "blobs_freed", "bytes_freed"])
