"""Item states as a timeline in Timesketch's import format, for the timeline tools investigators use.

Timesketch (and tools reading its CSV/JSONL) needs `datetime` (ISO 8601), `timestamp_desc` (what the
time means) and `message`; `timestamp` (epoch microseconds) and any extra column are kept as fields.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import orjson
import pandas as pd

from ..errors import ZxError

if TYPE_CHECKING:
    from ..store.backup import BackupStore

TIMELINE_COLUMNS = [
    "datetime", "timestamp", "timestamp_desc", "message", "account", "account_id", "item_id", "transaction_id",
    "type", "folder_path", "deleted", "subject", "digest", "size", "source_path",
]  # fmt: skip
# What a state's start means: the first state of an item, a later one, one that removes it.
DESC_CREATED = "Item first state"
DESC_CHANGED = "Item changed"
DESC_DELETED = "Item deleted"
FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}


def timeline(store: BackupStore, accounts: list[str] | str | None = None) -> pd.DataFrame:
    """One event per item state at its start, oldest first (TIMELINE_COLUMNS)."""
    states = store.item_states(accounts)
    if states.empty:
        return pd.DataFrame(columns=TIMELINE_COLUMNS)
    states = states[states["start_date"].notna()]
    first = ~states.duplicated(["account_id", "item_id"], keep="first")
    desc = pd.Series(DESC_CHANGED, index=states.index, dtype="object")
    desc[first] = DESC_CREATED
    desc[states["deleted"]] = DESC_DELETED
    start = states["start_date"].dt.tz_convert("UTC")
    frame = pd.DataFrame(
        {
            "datetime": [t.isoformat() for t in start],
            "timestamp": start.dt.as_unit("us").astype("int64"),
            "timestamp_desc": desc.to_numpy(),
            "message": [_message(row) for row in states.itertuples(index=False)],
            "account": states["account"].astype("string"),
            "account_id": states["account_id"].astype("string"),
            "item_id": states["item_id"],
            "transaction_id": states["transaction_id"],
            "type": states["type"].astype("string"),
            "folder_path": states["folder_path"].astype("string"),
            "deleted": states["deleted"],
            "subject": states["subject"].astype("string"),
            "digest": states["digest"].astype("string"),
            "size": states["size"],
            "source_path": states["source_path"].astype("string"),
        }
    )
    frame = frame.sort_values(["timestamp", "account", "item_id", "transaction_id"], kind="stable")
    return frame.reset_index(drop=True)[TIMELINE_COLUMNS]


def _message(row) -> str:
    """`message 1255 of a@b.c in /Inbox: "Subject" from x@y (state 3, deleted)`: readable in a timeline UI."""
    what = f"{row.type} {row.item_id} of {row.account}"
    if isinstance(row.folder_path, str) and row.folder_path:
        what += f" in {row.folder_path}"
    label = row.subject if isinstance(row.subject, str) and row.subject else row.name
    if isinstance(label, str) and label:
        what += f': "{label}"'
    if isinstance(row.sender, str) and row.sender:
        what += f" from {row.sender}"
    notes = [f"state {row.transaction_id}"]
    if row.deleted:
        notes.append("deleted")
    return f"{what} ({', '.join(notes)})"


def write_timeline(df: pd.DataFrame, path: str | os.PathLike, overwrite: bool = False) -> Path:
    """Write `df` as CSV (`.csv`) or JSON lines (`.jsonl`), by the file's extension; never overwrites by default."""
    target = Path(path)
    fmt = FORMATS.get(target.suffix.lower())
    if fmt is None:
        raise ZxError(f"{target}: give a .csv or .jsonl file name for the timeline")
    if target.exists() and not overwrite:
        raise ZxError(f"refusing to overwrite {target} (use --force)")
    target.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        df.to_csv(target, index=False)
        return target
    records = df.astype(object).where(df.notna(), None).to_dict(orient="records")
    with target.open("wb") as handle:
        for record in records:
            handle.write(orjson.dumps(record, option=orjson.OPT_SERIALIZE_NUMPY) + b"\n")
    return target
