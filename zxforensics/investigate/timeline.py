"""Item states as a timeline in Timesketch's import format, for the timeline tools investigators use.

Timesketch (and tools reading its CSV/JSONL) needs `datetime` (ISO 8601), `timestamp_desc` (what the
time means) and `message`; `timestamp` (epoch microseconds) and any extra column are kept as fields.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import orjson
import pandas as pd

from ..errors import OutputError, ZxError
from ..output import OutputDir

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
CHUNK_ROWS = 50_000  # rows formatted at a time: a million-event timeline never sits in memory as one text


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


def write_timeline(
    df: pd.DataFrame,
    path: str | os.PathLike | OutputDir,
    overwrite: bool = False,
    evidence_roots: Sequence[str | os.PathLike] = (),
    name: str | None = None,
) -> Path:
    """Write `df` as CSV (`.csv`) or JSON lines (`.jsonl`), by the file's extension, in chunks through one
    file opened by `zxforensics.output` (never through a link, never over a file unless `overwrite`, never
    inside `evidence_roots`). `path` names the file, or is an OutputDir holding the file `name`.

    Values are written exactly as they are (a CSV cell may start with `=`: import it into a spreadsheet as
    text; see README, "Evidence is sacred")."""
    if isinstance(path, OutputDir):
        out, name = path, str(name)
    else:
        target = Path(path)
        out, name = OutputDir(target.parent, evidence_roots), target.name
    fmt = FORMATS.get(Path(name).suffix.lower())
    if fmt is None:
        raise ZxError(f"{out.path(name)}: give a .csv or .jsonl file name for the timeline")
    if out.exists(name) and not overwrite:
        raise OutputError(f"refusing to overwrite {out.path(name)} (use --force)")
    with out.open_new(name, replace=overwrite) as handle:
        for start in range(0, max(len(df), 1), CHUNK_ROWS):
            chunk = df.iloc[start : start + CHUNK_ROWS]
            if fmt == "csv":
                handle.write(chunk.to_csv(index=False, header=start == 0).encode("utf-8"))
                continue
            for record in chunk.astype(object).where(chunk.notna(), None).to_dict(orient="records"):
                handle.write(orjson.dumps(record, option=orjson.OPT_SERIALIZE_NUMPY) + b"\n")
    return out.path(name)
