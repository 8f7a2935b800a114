"""A writable copy of a store, for tests that change a backup path (the sample itself is evidence)."""

from __future__ import annotations

import os

from zxforensics.store.backup import BackupStore


def copy_store(sample_path, tmp_path):
    """A copy of the sample to change (the sample itself is evidence)."""
    target = tmp_path / "copy"
    store = BackupStore(sample_path)
    for rel, entry in store.evidence.walk_files():
        dest = target / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        if entry.is_symlink():
            os.symlink(os.readlink(entry.path), dest)
        elif entry.is_file(follow_symlinks=False):
            dest.write_bytes(store.evidence.read(rel))
    for rel in ("accounts", "items", "server"):  # empty folders too
        (target / rel).mkdir(exist_ok=True)
    return target
