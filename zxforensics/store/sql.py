"""`store.sql(query)`: DuckDB over the persistent index, for questions on every state of a store that
does not fit a pandas frame. DuckDB reads the Parquet parts itself (only the columns and row groups a
query needs), the blob listing's parts too; the small tables (accounts, errors, server archives) are the
store's frames.

Views:
- `states`: one row per state, the scan's columns (`account_id, item_id, transaction_id, type, folder_id,
  start_date, end_date, deleted, digest, size, date, revision, flags, name, parent_id, owner_id, remote_id,
  subject, sender, tags`) with `account` (the mail address) after `account_id`, dates as UTC timestamps,
  and `source_path` last: the item file, as item_states' `source_path` (`real_paths` where it lies elsewhere).
- `last_states`: each item's newest state, the rows `select_states(states, "last")` keeps: the greatest
  `start_date` (a state without one counts as the newest, as pandas sorts it last), then `transaction_id`.
- `real_paths`: `account_id, item_id, source_path` of the few item files found elsewhere than
  `accounts/<id>/items/NN/<item>` (misplaced, or inside an account archive), as item_states' `source_path`.
- `accounts`, `errors`, `server_archives`: as `store.accounts()`, `store.errors`, `store.server_archives()`.
- `blobs`: as `store.blobs()`; `referenced` is computed by DuckDB over `states`. The listing is read from
  the index's parts (`store.index_blobs`), not from a frame of every blob file.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import pyarrow as pa

from ..format import layout
from ..parse.items import STATE_SCHEMA

DATE_COLUMNS = ("start_date", "end_date", "date")


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# select_states(..., "last") in SQL: pandas sorts a missing start last (the newest), DuckDB first in DESC order
LAST_STATES_VIEW = """
    CREATE VIEW last_states AS SELECT * FROM states
    QUALIFY row_number() OVER (PARTITION BY account_id, item_id
                               ORDER BY start_date DESC NULLS FIRST, transaction_id DESC) = 1
"""
def _item_path_sql(root: str) -> str:
    """`layout.item_relpath` under `root`, in SQL over `raw_states s` (the scan's own place for an item file)."""
    nn = "CASE WHEN s.item_id % 100 BETWEEN 0 AND 9 THEN '0' ELSE '' END || CAST(s.item_id % 100 AS VARCHAR)"
    base = _literal(f"{root.rstrip('/')}/{layout.ACCOUNTS_DIR}/")
    return f"{base} || s.account_id || '/{layout.ITEMS_DIR}/' || {nn} || '/' || CAST(s.item_id AS VARCHAR)"


MEMORY_LIMIT = "1GB"  # DuckDB spills past this (its default is 80% of the machine)


def connect(part_paths: Sequence[str], accounts: pd.DataFrame, errors: pd.DataFrame,
            blob_files: pd.DataFrame | list[str] | None, server_archives: pd.DataFrame | None, spill_dir: str,
            real_paths: pd.DataFrame | None = None, tables: dict[str, object] | None = None,
            root: str = ""):  # fmt: skip
    """An in-memory DuckDB connection with the index's views (duckdb is imported here: core stays quick
    to import for worker processes). DuckDB spills to `spill_dir`, a folder of the index: its default is
    `.tmp` in the working directory, which may be the backup path itself. `tables`: frames or Arrow tables
    a caller registers under their names for its query (a small lookup computed in Python)."""
    import duckdb

    con = duckdb.connect(":memory:", config={"temp_directory": spill_dir, "memory_limit": MEMORY_LIMIT})
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")  # DuckDB's own bar, printed to stdout on a query over 2 s
    if part_paths:
        listed = ", ".join(_literal(p) for p in part_paths)
        state_columns = ", ".join(STATE_SCHEMA.names)  # not the stat of each item file the parts also keep
        con.execute(f"CREATE VIEW raw_states AS SELECT {state_columns} FROM read_parquet([{listed}])")
    else:
        con.register("raw_states", STATE_SCHEMA.empty_table())
    con.register("accounts_frame", accounts)
    names = accounts[["account_id", "name"]].astype({"account_id": "string", "name": "string"})
    con.register("account_names", pa.Table.from_pandas(names, preserve_index=False))
    columns = ", ".join(f"s.{c}" if c not in DATE_COLUMNS else f"to_timestamp(s.{c} / 1000.0) AS {c}"
                        for c in [f.name for f in STATE_SCHEMA if f.name != "account_id"])  # fmt: skip
    if real_paths is None:
        real_paths = pd.DataFrame({"account_id": pd.Series(dtype="string"), "item_id": pd.Series(dtype="int64"),
                                   "source_path": pd.Series(dtype="string")})  # fmt: skip
    con.register("real_paths_frame", real_paths)
    con.execute("CREATE VIEW real_paths AS SELECT account_id, item_id, source_path FROM real_paths_frame")
    con.execute(
        "CREATE VIEW states AS SELECT s.account_id, coalesce(n.name, s.account_id) AS account, "
        f"{columns}, coalesce(r.source_path, {_item_path_sql(root)}) AS source_path FROM raw_states s "
        "LEFT JOIN account_names n USING (account_id) "
        "LEFT JOIN real_paths_frame r ON r.account_id = s.account_id AND r.item_id = s.item_id"
    )
    con.execute(LAST_STATES_VIEW)
    con.execute("CREATE VIEW accounts AS SELECT * FROM accounts_frame")
    con.register("errors_frame", errors)
    con.execute("CREATE VIEW errors AS SELECT * FROM errors_frame")
    if isinstance(blob_files, list) and blob_files:  # the index's parts: read by DuckDB, never a frame
        items = _literal(f"{root.rstrip('/')}/{layout.ITEMS_DIR}/")
        listed = ", ".join(_literal(p) for p in blob_files)
        con.execute(f"CREATE VIEW blob_files AS SELECT digest, prefix, {items} || prefix || '/' || digest AS path, "
                    f"compressed_size, misplaced FROM read_parquet([{listed}])")  # fmt: skip
    else:
        if not isinstance(blob_files, pd.DataFrame):  # not named by the query, or no file listed
            blob_files = pd.DataFrame({"digest": pd.Series(dtype="string"), "prefix": pd.Series(dtype="string"),
                                       "path": pd.Series(dtype="string"), "compressed_size": pd.Series(dtype="Int64"),
                                       "misplaced": pd.Series(dtype=bool)})  # fmt: skip
        con.register("blob_files", blob_files)
    con.execute(
        "CREATE VIEW blobs AS SELECT digest, prefix, path, compressed_size, "
        "(NOT misplaced AND digest IN (SELECT digest FROM raw_states WHERE digest IS NOT NULL)) AS referenced, "
        "misplaced FROM blob_files"
    )
    if server_archives is None:  # not named by the query
        server_archives = pd.DataFrame({"component": pd.Series(dtype="string")})
    con.register("server_archives_frame", server_archives)
    con.execute("CREATE VIEW server_archives AS SELECT * FROM server_archives_frame")
    for name, table in (tables or {}).items():
        con.register(name, table)
    return con
