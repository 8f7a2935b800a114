"""What a backup holds, in a dozen figures: the demo's output and the report's first table."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from ..format.dates import format_vendor_date

if TYPE_CHECKING:
    from ..store.backup import BackupStore


def summarize(store: BackupStore) -> pd.DataFrame:
    """`metric, value` rows: accounts, items, states, bytes, blobs, first/last scan, errors by kind."""
    accounts = store.accounts()
    states = store.item_states()
    last = store.items("last")
    blobs = store.blobs()
    first, last_scan = store.scan_dates()
    errors = store.errors

    def when(moment: pd.Timestamp | None) -> str:
        return "never" if moment is None else format_vendor_date(moment, store.tz, zone=True)

    messages = last[last["type"] == "message"]
    rows = [
        ("backup path", str(store.root)),
        ("server time zone", store.tz),
        ("first scan", when(first)),
        ("last scan", when(last_scan)),
        ("accounts", len(accounts)),
        ("deleted accounts", int(accounts["deleted"].sum())),
        ("items", len(last)),
        ("deleted items", int(last["deleted"].sum())),
        ("item states", len(states)),
        ("items by type", ", ".join(f"{t} {n}" for t, n in last["type"].value_counts().items() if n)),
        ("message bytes, as the metadata states them (newest states)", int(messages["size"].fillna(0).sum())),
        ("blob files", len(blobs)),
        ("blob bytes on disk", int(blobs["compressed_size"].fillna(0).sum())),
        ("orphan blobs", int((~blobs["referenced"]).sum())),
        ("read errors (metadata and blobs met so far)", len(errors)),
    ]
    for kind, count in errors["kind"].value_counts().items():
        if count:
            rows.append((f"errors: {kind}", int(count)))
    return pd.DataFrame(rows, columns=["metric", "value"]).astype({"value": "string"})


def holdings(store: BackupStore) -> pd.DataFrame:
    """`account, type, items, bytes` of the newest state of each item (bytes: uncompressed blob sizes)."""
    last = store.items("last")
    table = last.groupby([last["account"].astype(str), last["type"].astype(str)]).agg(
        items=("item_id", "size"), bytes=("size", "sum"))
    return table.reset_index().rename(columns={"level_0": "account"})
