"""Blob -> `.eml`: byte-exact, hash-verified, never overwriting, with a manifest row per file; and the
recovery of a diagnosed item (its newest state whose blob verifies), for the widgets and the report alike."""

from __future__ import annotations

import csv
import hashlib
import io
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from ..errors import NotFound, ZxError
from ..format import digest as vdigest
from ..output import OutputDir, safe_name
from ..store.backup import investigation
from .lmtp import header_fields
from .queries import get_item

if TYPE_CHECKING:
    from ..store.backup import BackupStore

MANIFEST = "manifest.csv"
MANIFEST_COLUMNS = [
    "account", "item_id", "transaction_id", "digest", "sha256", "size", "source_blob",
    "written_path", "extracted_at", "verified",
]  # fmt: skip


def account_folder(store: BackupStore, account_id: str) -> str:
    """The folder of an account's `.eml` files: its mail address when that is a safe name no other account
    shares case-insensitively, else its zimbraId (a name from the evidence is never a path)."""

    def folders() -> dict[str, str]:
        names = store.accounts()[["account_id", "name"]].astype(str)
        folded = names["name"].str.casefold()
        shared = set(folded[folded.duplicated(keep=False)])
        return {a: (a if n.casefold() in shared else safe_name(n, a)) for a, n in names.itertuples(index=False)}

    return store.memo("extract.account_folders", folders).get(account_id, safe_name(account_id, "account"))


def eml_parts(folder: str, item_id: int, start: pd.Timestamp) -> tuple[str, str]:
    """`(<account folder>, <item id>-<state start, UTC, 20130712T163544Z>.eml)` (FORMAT.md §9)."""
    stamp = start.tz_convert("UTC").strftime("%Y%m%dT%H%M%SZ")
    return folder, f"{int(item_id)}-{stamp}.eml"


def output_dir(store: BackupStore, out_dir: str | os.PathLike | OutputDir) -> OutputDir:
    """The output folder of an extraction: an OutputDir given (a report's `eml/`), or one over a path."""
    return out_dir if isinstance(out_dir, OutputDir) else OutputDir(out_dir, [store.root])


def append_manifest(out: OutputDir, row: dict) -> None:
    """Append one row to `manifest.csv` (never through a link), with the header when the file is new."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=MANIFEST_COLUMNS)
    if not out.exists(MANIFEST):
        writer.writeheader()
    writer.writerow(row)
    out.append_text(MANIFEST, text=buffer.getvalue())


@investigation("extract")
def extract_item(store: BackupStore, account: str, item_id: int, out_dir, date: object = "last") -> dict:
    """Write the blob of an item's state at `date` to `out_dir`; returns its manifest row.

    Nothing is written unless all of it can be: the manifest is checked first (a planted `manifest.csv`
    link refuses the extraction), then the `.eml` is made new, read back and hashed, then its row appended."""
    out = output_dir(store, out_dir)
    state = get_item(store, account, item_id, date).iloc[-1]
    digest = state["digest"]
    if not isinstance(digest, str) or not digest:
        raise NotFound(f"item {item_id} of {account} has no blob to extract (type {state['type']})")
    raw, _layers = store.read_blob_checked(digest)
    name = state["account"] if isinstance(state["account"], str) else state["account_id"]
    parts = eml_parts(account_folder(store, str(state["account_id"])), int(item_id), state["start_date"])
    out.check_appendable(MANIFEST)
    target = out.write_bytes(*parts, data=raw)  # never overwrites, never through a link
    written = out.read_bytes(*parts)
    sha256 = hashlib.sha256(written).hexdigest()
    row = {
        "account": name,
        "item_id": int(item_id),
        "transaction_id": int(state["transaction_id"]),
        "digest": digest,
        "sha256": sha256,
        "size": len(written),
        "source_blob": str(store.root / vdigest.blob_relpath(digest)),
        "written_path": str(target),
        "extracted_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "verified": written == raw and sha256 == hashlib.sha256(raw).hexdigest(),
    }
    append_manifest(out, row)
    return row


# -- recovering diagnosed items --------------------------------------------------------------------
RECOVERED_COLUMNS = ["account", "item_id", "cause", "transaction_id", "file", "size", "sha256", "verified", "error"]


def recovery_state(store: BackupStore, diagnosed) -> pd.Series | None:
    """The state to recover of a diagnosed item (a row of `diagnose`): its last valid state, else its newest."""
    states = get_item(store, str(diagnosed.account_id), int(diagnosed.item_id), "all")
    tx = getattr(diagnosed, "last_valid_state", None)
    if tx is not None and not pd.isna(tx):
        match = states[states["transaction_id"] == int(tx)]
        if not match.empty:
            return match.iloc[-1]
    return states.iloc[-1] if len(states) else None


def recover_item(store: BackupStore, diagnosis: pd.DataFrame, account: str, item_id: int, out_dir) -> dict:
    """Extract a diagnosed item's state to recover as `.eml`, and read its headers back.

    Returns `status` (`written`, `exists` or `not_recoverable`), `message`, `path`, `row` (the manifest
    row, None unless written) and `headers` (`name, value`); asking twice shows the file already written."""
    found = diagnosis[(diagnosis["account"] == account) & (diagnosis["item_id"] == int(item_id))]
    if found.empty or not bool(found["recoverable_eml"].iloc[0]):
        why = "not in the diagnosis" if found.empty else f"{found['cause'].iloc[0]}: {found['detail'].iloc[0]}"
        return not_recoverable(f"item {item_id} of {account}: nothing to extract ({why})")
    item = next(found.itertuples(index=False))
    state = recovery_state(store, item)
    parts = eml_parts(account_folder(store, str(item.account_id)), int(item_id), state["start_date"])
    out = output_dir(store, out_dir)
    target, status, row = out.path(*parts), "exists", None
    if not out.exists(*parts):
        try:
            row = extract_item(store, str(item.account_id), int(item_id), out, state["start_date"])
        except ZxError as exc:
            return not_recoverable(str(exc))
        status, target = "written", Path(row["written_path"])
    verb = "wrote" if status == "written" else "already extracted:"
    headers = pd.DataFrame(header_fields(out.read_bytes(*parts)), columns=["name", "value"])
    return {"status": status, "message": f"{verb} {target} (state {int(state['transaction_id'])})", "path": target,
            "row": row, "headers": headers}  # fmt: skip


def not_recoverable(message: str) -> dict:
    """The answer of `recover_item` when nothing is written (no file, no manifest row, no headers)."""
    headers = pd.DataFrame(columns=["name", "value"])
    return {"status": "not_recoverable", "message": message, "path": None, "row": None, "headers": headers}


def recover_all(store: BackupStore, diagnosis: pd.DataFrame, out_dir) -> pd.DataFrame:
    """Every recoverable item of a diagnosis as `.eml` under `out_dir`, one RECOVERED_COLUMNS row each;
    a failure is a row with its `error`, and the rest is still extracted."""
    wanted = diagnosis[diagnosis["recoverable_eml"].fillna(False).astype(bool)]
    if wanted.empty:
        return pd.DataFrame(columns=RECOVERED_COLUMNS)
    out_dir = output_dir(store, out_dir)
    rows = []
    for item in wanted.drop_duplicates(["account_id", "item_id"]).itertuples(index=False):
        row = {"account": str(item.account), "item_id": int(item.item_id), "cause": str(item.cause)}
        try:
            state = recovery_state(store, item)
            written = extract_item(store, str(item.account_id), int(item.item_id), out_dir, state["start_date"])
        except ZxError as exc:
            rows.append({**row, "error": str(exc)})
            continue
        rows.append({
            **row, "transaction_id": written["transaction_id"], "size": written["size"], "sha256": written["sha256"],
            "file": written["written_path"], "verified": written["verified"],
        })  # fmt: skip
    return pd.DataFrame(rows, columns=RECOVERED_COLUMNS)
