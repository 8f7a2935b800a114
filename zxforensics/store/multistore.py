"""Several mailstores' backup paths as one view, with a `server` column (multistore installations).

Each path stays its own read-only `BackupStore`; the combined frames are concatenations. An
account found on two servers (the same zimbraId, or the same address) is reported: after a move
between mailstores, or an import, both copies sit in the backups until a purge.
"""

from __future__ import annotations

import os
from collections import Counter

import pandas as pd

from ..format.keys import get_folded
from .backup import BackupStore, open_backup

DUPLICATE_COLUMNS = ["account_id", "name", "servers", "count"]


def server_name(store: BackupStore) -> str:
    """A label for a backup path: its accounts' usual zimbraMailHost, else the server id of
    backupstat or of the `lock_*` file, else the folder name."""
    hosts = Counter(h for h in store.accounts()["mail_host"].dropna().astype(str) if h)
    if hosts:
        return hosts.most_common(1)[0][0]
    server_id = get_folded(store.backupstat(), "serverid")
    if server_id:
        return str(server_id)
    locks = [name.removeprefix("lock_") for name in store.top_level() if name.startswith("lock_")]
    return locks[0] if locks else store.root.name


class MultiStore:
    """Backup paths of several servers: `accounts()`, `item_states()`, `items()`, `blobs()`,
    `errors`, `audit()` as one frame each with a `server` column, and `duplicates()`."""

    def __init__(self, stores: dict[str, BackupStore]) -> None:
        self.stores = stores

    def __repr__(self) -> str:
        return f"MultiStore({list(self.stores)!r})"

    def _combine(self, frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
        parts = [frame.assign(server=server) for server, frame in frames.items()]
        df = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
        for column in df.columns:
            if any(isinstance(p[column].dtype, pd.CategoricalDtype) for p in parts if column in p):
                df[column] = df[column].astype("category")
        df["server"] = pd.Categorical(df["server"], categories=list(self.stores))
        return df[["server", *[c for c in df.columns if c != "server"]]]

    def accounts(self) -> pd.DataFrame:
        """Every account of every server; `on_servers` counts the servers holding it."""
        df = self._combine({name: store.accounts() for name, store in self.stores.items()})
        key = df["account_id"].astype(str).str.lower()
        df["on_servers"] = key.map(df.groupby(key)["server"].nunique()).astype("int64")
        return df

    def item_states(self) -> pd.DataFrame:
        return self._combine({name: store.item_states() for name, store in self.stores.items()})

    def items(self, date: object = "last") -> pd.DataFrame:
        return self._combine({name: store.items(date) for name, store in self.stores.items()})

    def blobs(self) -> pd.DataFrame:
        return self._combine({name: store.blobs() for name, store in self.stores.items()})

    @property
    def errors(self) -> pd.DataFrame:
        return self._combine({name: store.errors for name, store in self.stores.items()})

    def audit(self, **options) -> pd.DataFrame:
        """Each server's coherency findings, one frame."""
        return self._combine({name: store.audit(**options) for name, store in self.stores.items()})

    def duplicates(self) -> pd.DataFrame:
        """Accounts present on more than one server (by zimbraId, case-insensitive, or by address)."""
        df = self.accounts()[["server", "account_id", "name"]].astype({"server": str, "account_id": str})
        rows = []
        for key in ("account_id", "name"):
            folded = df[key].astype(str).str.lower()
            for _value, group in df.groupby(folded):
                servers = sorted(set(group["server"]))
                if len(servers) > 1:
                    rows.append((group["account_id"].iloc[0].lower(), group["name"].iloc[0], servers, len(servers)))
        out = pd.DataFrame(rows, columns=DUPLICATE_COLUMNS)
        return out.drop_duplicates("account_id", ignore_index=True).sort_values("name", ignore_index=True)


def open_backups(paths, tz: str | None = None, names: list[str] | None = None, **options) -> MultiStore:
    """Open several backup paths read-only: `zx.open_backups(["/mnt/ms1", "/mnt/ms2"])`.

    A server's label is `names[i]` if given, else `server_name` (made unique with `#2`...)."""
    stores: dict[str, BackupStore] = {}
    for index, path in enumerate(paths):
        store = open_backup(os.fspath(path), tz=tz, **options)
        label = names[index] if names else server_name(store)
        unique, n = label, 2
        while unique in stores:
            unique, n = f"{label}#{n}", n + 1
        stores[unique] = store
    return MultiStore(stores)
