"""What a backup holds, in a dozen figures: the demo's output and the report's first table."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from ..format.dates import format_vendor_date
from .blob_groups import blob_figures

if TYPE_CHECKING:
    from ..store.backup import BackupStore


def summarize(store: BackupStore) -> pd.DataFrame:
    """`metric, value` rows: accounts, items, states, bytes, blobs, first/last scan, errors by kind.

    A store with an index answers from what it keeps per account (no frame of every state)."""
    accounts = store.accounts()
    figures = _state_figures(store)
    blob_files, blob_bytes, orphans = blob_figures(store)
    first, last_scan = store.scan_dates()
    errors = store.errors

    def when(moment: pd.Timestamp | None) -> str:
        return "never" if moment is None else format_vendor_date(moment, store.tz, zone=True)

    rows = [
        ("backup path", str(store.root)),
        ("server time zone", store.tz),
        ("first scan", when(first)),
        ("last scan", when(last_scan)),
        ("accounts", len(accounts)),
        ("deleted accounts", int(accounts["deleted"].sum())),
        ("items", figures["items"]),
        ("deleted items", figures["deleted"]),
        ("item states", figures["states"]),
        ("items by type", ", ".join(f"{t} {n}" for t, n in figures["by_type"] if n)),
        ("message bytes, as the metadata states them (newest states)", figures["message_bytes"]),
        ("blob files", blob_files),
        ("blob bytes on disk", blob_bytes),
        ("orphan blobs", orphans),
        ("read errors (metadata and blobs met so far)", len(errors)),
    ]
    for kind, count in errors["kind"].value_counts().items():
        if count:
            rows.append((f"errors: {kind}", int(count)))
    return pd.DataFrame(rows, columns=["metric", "value"]).astype({"value": "string"})


def _state_figures(store: BackupStore) -> dict:
    """The summary's figures over states, from the newest-state counts (an indexed store keeps them per
    account: no state is read)."""
    counts = store.newest_state_counts()
    by_type = counts.dropna(subset=["type"]).groupby("type")["items"].sum()
    ranked = sorted(((str(t), int(n)) for t, n in by_type.items()), key=lambda pair: (-pair[1], pair[0]))
    messages = counts["type"] == "message"
    return {"items": int(counts["items"].sum()), "deleted": int(counts["deleted"].sum()),
            "states": store.state_count(), "by_type": ranked,
            "message_bytes": int(counts.loc[messages, "bytes"].sum())}  # fmt: skip


def holdings(store: BackupStore) -> pd.DataFrame:
    """`account, type, items, bytes` of the newest state of each item (bytes: uncompressed blob sizes, as the
    metadata states them); an item without a type counts as `unknown`."""
    counts = store.newest_state_counts()
    counts["account"] = counts["account_id"].map(store.account_name).astype(str)
    counts["type"] = counts["type"].fillna("unknown").astype(str)
    table = counts.groupby(["account", "type"]).agg(items=("items", "sum"), bytes=("bytes", "sum"))
    return table.reset_index()


def holdings_by_type(holdings: pd.DataFrame, measure: str = "items") -> pd.DataFrame:
    """Accounts (rows) x types (columns, the largest total first) of a `holdings` table's `measure`
    (`items` or `bytes`): what the report's figures and the audit notebook show. Empty when it holds no item."""
    if holdings.empty or not holdings["items"].sum():
        return pd.DataFrame()
    table = holdings.pivot_table(index="account", columns="type", values=measure, aggfunc="sum", fill_value=0)
    table.columns.name, table.index.name = None, None
    return table[table.sum().sort_values(ascending=False, kind="stable").index]
