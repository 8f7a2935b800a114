"""The store's tables as Parquet files, for other tools (DuckDB, Spark, a colleague's notebook)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pandas as pd

from ..errors import OutputError
from ..output import OutputDir

if TYPE_CHECKING:
    from ..store.backup import BackupStore

TABLES = ("accounts", "item_states", "blobs", "errors")


def write_tables(store: BackupStore, out_dir: str | os.PathLike, overwrite: bool = False) -> pd.DataFrame:
    """`accounts, item_states, blobs, errors` as `<out_dir>/<table>.parquet`; `table, rows, path` of each.

    Written through `zxforensics.output` (never through a link, never inside the backup path); an existing
    file refuses the whole export, before anything is written, unless `overwrite`."""
    out = OutputDir(out_dir, [store.root])
    tables = {"accounts": store.accounts, "item_states": store.item_states, "blobs": store.blobs,
              "errors": lambda: store.errors}  # fmt: skip
    names = [f"{name}.parquet" for name in TABLES]
    if not overwrite:
        for name in names:
            if out.exists(name):
                raise OutputError(f"refusing to overwrite {out.path(name)} (use --force)")
    written = []
    for table, name in zip(TABLES, names, strict=True):
        frame = tables[table]()
        with out.open_new(name, replace=overwrite) as handle:
            frame.to_parquet(handle, index=False)
        written.append({"table": table, "rows": len(frame), "path": str(out.path(name))})
    return pd.DataFrame(written)
