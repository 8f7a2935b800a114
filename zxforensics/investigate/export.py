"""The store's tables as Parquet files, for other tools (DuckDB, Spark, a colleague's notebook)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pandas as pd

from ..errors import OutputError
from ..output import check_out_dir

if TYPE_CHECKING:
    from ..store.backup import BackupStore

TABLES = ("accounts", "item_states", "blobs", "errors")


def write_tables(store: BackupStore, out_dir: str | os.PathLike, overwrite: bool = False) -> pd.DataFrame:
    """`accounts, item_states, blobs, errors` as `<out_dir>/<table>.parquet`; `table, rows, path` of each.

    An existing file is refused unless `overwrite`; an output inside the backup path always is."""
    out = check_out_dir(store.root, out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tables = {"accounts": store.accounts, "item_states": store.item_states, "blobs": store.blobs,
              "errors": lambda: store.errors}  # fmt: skip
    written = []
    for name in TABLES:
        path = out / f"{name}.parquet"
        if (path.exists() or path.is_symlink()) and not overwrite:
            raise OutputError(f"refusing to overwrite {path} (use --force)")
        frame = tables[name]()
        frame.to_parquet(path, index=False)
        written.append({"table": name, "rows": len(frame), "path": str(path)})
    return pd.DataFrame(written)
