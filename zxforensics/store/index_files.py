"""The stat of each item file, kept beside its states in the index's parts (index.FILE_STAT).

Why: a production account gains a few items a day among hundreds of thousands. A refresh that re-read
a changed account whole would re-read nearly the whole store every day; with each file's stat as it was
read, it re-reads only the files whose stat changed (index_build.rescan_one). Pure: stats and Arrow
tables in, tables and sets out; the build takes the stats (an lstat of each listed entry, no file opened).
"""

from __future__ import annotations

import os

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# The stat columns of a part (index.PART_SCHEMA), the same on every state of an item.
FILE_STAT = pa.schema([("file_size", pa.int64()), ("file_mtime_ns", pa.int64()), ("file_ctime_ns", pa.int64()),
                       ("file_ino", pa.int64())])  # fmt: skip
FileKey = tuple[int, int, int, int]  # (size, mtime_ns, ctime_ns, inode): any change means "read it again"
MISSING = -1  # a row whose file was not listed (never for a sound account: its rows are never reused)
INODE_MASK = (1 << 63) - 1


def file_key(info: os.stat_result) -> FileKey:
    """What says a file may have changed: its size, mtime, ctime (which a restored mtime does not hide)
    and inode (a file replaced by a rename; its low 63 bits, as the column is signed)."""
    return info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino & INODE_MASK


def with_file_stats(table: pa.Table, keys: dict[int, FileKey]) -> pa.Table:
    """`table` (states) with the FILE_STAT columns of each row's item file, looked up by item id."""
    ids = np.fromiter(keys, dtype=np.int64, count=len(keys))
    values = np.array(list(keys.values()), dtype=np.int64).reshape(len(keys), len(FILE_STAT))
    order = np.argsort(ids, kind="stable")
    ids, values = ids[order], values[order]
    rows = table["item_id"].to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
    found = np.zeros(len(rows), dtype=bool)
    at = np.zeros(len(rows), dtype=np.int64)
    if len(ids):
        at = np.minimum(np.searchsorted(ids, rows), len(ids) - 1)
        found = ids[at] == rows
    for column, field in enumerate(FILE_STAT):
        data = np.where(found, values[at, column], MISSING) if len(ids) else np.full(len(rows), MISSING)
        table = table.append_column(field, pa.array(data, pa.int64()))
    return table


def unchanged_items(table: pa.Table, keys: dict[int, FileKey]) -> set[int]:
    """The item ids of a part's rows whose file's stat, as read then, equals `keys` (taken now)."""
    if not table.num_rows:
        return set()
    first = table.select(["item_id", *FILE_STAT.names])
    seen = pc.unique(first["item_id"])
    index = pc.index_in(seen, first["item_id"])  # the first row of each item: every row holds the same stat
    rows = first.take(index).to_pydict()
    then = zip(rows["item_id"], zip(*(rows[n] for n in FILE_STAT.names), strict=True), strict=True)
    return {item_id for item_id, key in then if keys.get(item_id) == key}
