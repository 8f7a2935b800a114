"""What a backup holds, in a dozen figures: the demo's output and the report's first table."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from ..format.dates import format_vendor_date

if TYPE_CHECKING:
    from ..store.backup import BackupStore


def summarize(store: BackupStore) -> pd.DataFrame:
    """`metric, value` rows: accounts, items, states, bytes, blobs, first/last scan, errors by kind.

    A store with an index answers the figures over states in DuckDB (no frame of every state)."""
    accounts = store.accounts()
    figures = _state_figures_sql(store) if store.index_dir is not None else _state_figures(store)
    blobs = store.blob_files()
    orphans = int((~store.blobs()["referenced"]).sum()) if store.index_dir is None else int(
        store.sql("SELECT count(*) AS n FROM blobs WHERE NOT referenced")["n"][0])  # fmt: skip
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
        ("blob files", len(blobs)),
        ("blob bytes on disk", int(blobs["compressed_size"].fillna(0).sum())),
        ("orphan blobs", orphans),
        ("read errors (metadata and blobs met so far)", len(errors)),
    ]
    for kind, count in errors["kind"].value_counts().items():
        if count:
            rows.append((f"errors: {kind}", int(count)))
    return pd.DataFrame(rows, columns=["metric", "value"]).astype({"value": "string"})


def _state_figures(store: BackupStore) -> dict:
    """The summary's figures over states, from the store's frames."""
    states = store.item_states()
    last = store.items("last")
    messages = last[last["type"] == "message"]
    counts = last["type"].value_counts()
    by_type = sorted(((str(t), int(n)) for t, n in counts.items()), key=lambda pair: (-pair[1], pair[0]))
    return {"items": len(last), "deleted": int(last["deleted"].sum()), "states": len(states), "by_type": by_type,
            "message_bytes": int(messages["size"].fillna(0).sum())}  # fmt: skip


def _state_figures_sql(store: BackupStore) -> dict:
    """The same figures in DuckDB over the index (`last_states`: store.sql's view of `items("last")`): flat
    memory whatever the number of states."""
    totals = store.sql("""
        SELECT count(*) AS items, count(*) FILTER (WHERE deleted) AS deleted,
               coalesce(sum(size) FILTER (WHERE type = 'message'), 0) AS message_bytes,
               (SELECT count(*) FROM states) AS states
        FROM last_states""").iloc[0]  # fmt: skip
    by_type = store.sql("SELECT type, count(*) AS n FROM last_states GROUP BY type ORDER BY n DESC, type")
    return {"items": int(totals["items"]), "deleted": int(totals["deleted"]), "states": int(totals["states"]),
            "by_type": [(str(t), int(n)) for t, n in zip(by_type["type"], by_type["n"], strict=True)],
            "message_bytes": int(totals["message_bytes"])}  # fmt: skip


def holdings(store: BackupStore) -> pd.DataFrame:
    """`account, type, items, bytes` of the newest state of each item (bytes: uncompressed blob sizes)."""
    last = store.items("last")
    table = last.groupby([last["account"].astype(str), last["type"].astype(str)]).agg(
        items=("item_id", "size"), bytes=("size", "sum"))
    return table.reset_index().rename(columns={"level_0": "account"})
