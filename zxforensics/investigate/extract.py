"""Blob -> `.eml`: byte-exact, hash-verified, never overwriting, with a manifest row per file."""

from __future__ import annotations

import csv
import hashlib
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from ..errors import NotFound, ZxError
from ..format import layout
from .queries import get_item

if TYPE_CHECKING:
    from ..store.backup import BackupStore

MANIFEST = "manifest.csv"
MANIFEST_COLUMNS = [
    "account", "item_id", "transaction_id", "digest", "sha256", "size", "source_blob",
    "written_path", "extracted_at", "verified",
]  # fmt: skip


def check_out_dir(store_root: Path, out_dir: str | os.PathLike) -> Path:
    """Refuse an output folder inside the evidence (or the evidence itself)."""
    out = Path(os.path.realpath(out_dir))
    root = Path(os.path.realpath(store_root))
    if out == root or root in out.parents:
        raise ZxError(f"refusing to write into the backup path: {out} is inside {root}")
    return out


def eml_name(account: str, item_id: int, start: pd.Timestamp) -> str:
    """`<account mail>/<item id>-<state start, UTC, 20130712T163544Z>.eml` (FORMAT.md §9)."""
    stamp = start.tz_convert("UTC").strftime("%Y%m%dT%H%M%SZ")
    return f"{account}/{item_id}-{stamp}.eml"


def append_manifest(out: Path, row: dict) -> None:
    """Append one row to `out/manifest.csv`, writing the header when the file is new."""
    path = out / MANIFEST
    new = not path.exists()
    with path.open("a", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=MANIFEST_COLUMNS)
        if new:
            writer.writeheader()
        writer.writerow(row)


def extract_item(store: BackupStore, account: str, item_id: int, out_dir, date: object = "last") -> dict:
    """Write the blob of an item's state at `date` to `out_dir`; returns its manifest row."""
    out = check_out_dir(store.root, out_dir)
    state = get_item(store, account, item_id, date).iloc[-1]
    digest = state["digest"]
    if not isinstance(digest, str) or not digest:
        raise NotFound(f"item {item_id} of {account} has no blob to extract (type {state['type']})")
    raw, _layers = store.read_blob_checked(digest)
    name = state["account"] if isinstance(state["account"], str) else state["account_id"]
    target = out / eml_name(str(name), int(item_id), state["start_date"])
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with target.open("xb") as handle:  # never overwrite
            handle.write(raw)
    except FileExistsError:
        raise ZxError(f"refusing to overwrite {target}") from None
    written = target.read_bytes()
    sha256 = hashlib.sha256(written).hexdigest()
    row = {
        "account": name,
        "item_id": int(item_id),
        "transaction_id": int(state["transaction_id"]),
        "digest": digest,
        "sha256": sha256,
        "size": len(written),
        "source_blob": str(store.root / layout.ITEMS_DIR / digest[:2] / digest),
        "written_path": str(target),
        "extracted_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "verified": written == raw and sha256 == hashlib.sha256(raw).hexdigest(),
    }
    append_manifest(out, row)
    return row
