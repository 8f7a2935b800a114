"""Writes a backup path in the layout of FORMAT.md: the generator's only file-writing code.

Deterministic: gzip headers carry no time or name, JSON keys keep their order, so the same
seed gives the same bytes (the committed sample can be regenerated and compared).
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import orjson

from ..format import digest as vdigest
from ..format import layout


def gzip_bytes(raw: bytes) -> bytes:
    """gzip with a fixed header (mtime 0, no file name), as reproducible as the vendor's blobs."""
    return gzip.compress(raw, compresslevel=6, mtime=0)


class StoreBuilder:
    """Builds a backup path on disk: accounts, item metadata, blobs, and deliberate faults."""

    def __init__(self, root: str | os.PathLike, *, blobs: bool = True) -> None:
        """`blobs=False` writes no blob body (a metadata-only store, as in blobless mode: no `items/`);
        digests are still computed and referenced, so a scan sees the same states."""
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.blobs = blobs
        self.blob_digests: set[str] = set()

    def write(self, rel: str, data: bytes) -> Path:
        path = self.root / rel
        try:  # the folder is there for all but the first file of a folder: a mkdir per file is wasted
            path.write_bytes(data)
        except FileNotFoundError:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        return path

    def write_json(self, rel: str, obj: object) -> Path:
        return self.write(rel, orjson.dumps(obj, option=orjson.OPT_INDENT_2))

    def blob(self, raw: bytes, *, double_gzip: bool = False) -> str:
        """Store a blob under its digest (deduplicated) and return the digest."""
        digest = vdigest.digest_of(raw)
        if self.blobs and digest not in self.blob_digests:
            data = gzip_bytes(raw)
            self.write(vdigest.blob_relpath(digest), gzip_bytes(data) if double_gzip else data)
            self.blob_digests.add(digest)
        return digest

    def backupstat(self, server_id: str, first_scan: int, last_scan: int, accounts: int, **extra) -> None:
        stat = {
            "serverId": server_id,
            "firstScan": first_scan,
            "lastScan": last_scan,
            "numActiveBackupedAccounts": accounts,
            "numCheckedAccounts": accounts,
            **extra,
        }
        self.write_json(layout.BACKUPSTAT, stat)
        self.write(f"lock_{server_id}", b"")

    def account(self, info: dict, stat: dict) -> None:
        base = f"{layout.ACCOUNTS_DIR}/{info['zimbraId']}"
        self.write_json(f"{base}/{layout.ACCOUNT_INFO}", info)
        self.write_json(f"{base}/{layout.ACCOUNT_STAT}", stat)

    def item(self, account_id: str, item_id: int, states: list[dict], *, nn: str | None = None) -> str:
        """Write an item's states; `nn` overrides the folder (to make a misplaced item)."""
        rel = layout.item_relpath(account_id, item_id)
        if nn is not None:
            rel = f"{layout.ACCOUNTS_DIR}/{account_id}/items/{nn}/{item_id}"
        self.write(rel, orjson.dumps(states))
        return rel

    def symlink(self, rel: str, target: str) -> None:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_symlink() or path.exists():
            path.unlink()
        path.symlink_to(target)
