"""Columns -> DataFrames: documented columns, UTC timestamps, categoricals, nullable ints.

Pure functions over Arrow tables and records; the store calls them after a scan.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import ERROR_COLUMNS
from ..format import layout
from ..format.digest import DIGEST_RE
from ..format.names import SYSTEM_FOLDERS
from ..runtime.memory import trim_heap
from .scan import REPEATED, SORT_KEY, encode_repeated, sort_states

STATE_COLUMNS = [
    "account_id", "account", "item_id", "transaction_id", "type", "folder_id", "folder_path",
    "start_date", "end_date", "deleted", "digest", "size", "blob_path", "subject", "sender",
    "source_path",
]  # fmt: skip
EXTRA_STATE_COLUMNS = ["date", "revision", "flags", "tags", "name", "parent_id", "owner_id", "remote_id"]
ACCOUNT_COLUMNS = [
    "account_id", "name", "status", "cos_id", "mail_host", "aliases", "created", "deleted",
    "deleted_date", "backup_disabled", "item_count", "last_scan", "source_path",
]  # fmt: skip
BLOB_COLUMNS = ["digest", "prefix", "path", "compressed_size", "referenced", "misplaced"]
# Repeated strings are categoricals: types and folders repeat, and a digest, blob path or item
# file is shared by all the states of an item (a million states: about 330 bytes a row).
CATEGORICAL_STATE_COLUMNS = (*REPEATED, "account", "folder_path", "blob_path", "source_path")
_DATE_COLUMNS = ("start_date", "end_date", "date")
# Categoricals of the states frame whose categories are sorted (the short vocabularies, and folder paths as
# pd.Categorical gives them); the others come in first-appearance order over the sorted rows.
SORTED_CATEGORIES = ("type", "sender", "owner_id", "account_id", "account")
FOLDER_TYPES = ("folder", "searchfolder", "mountpoint")


_NULLABLE = {pa.int64(): pd.Int64Dtype(), pa.bool_(): pd.BooleanDtype()}


def to_pandas(table: pa.Table) -> pd.DataFrame:
    """An Arrow table as pandas, with nullable ints and booleans (no float NaN in id columns)."""
    return table.to_pandas(types_mapper=_NULLABLE.get)


def _in_order(tables: list[pa.Table]) -> bool:
    """Shard tables come sorted; together they are in order when their accounts do not overlap."""
    edges = [(t["account_id"][0].as_py(), t["account_id"][-1].as_py()) for t in tables if t.num_rows]
    return all(prev[1] < nxt[0] for prev, nxt in itertools.pairwise(edges))


def ms_to_utc(values: pd.Series) -> pd.Series:
    """Epoch milliseconds (nullable) -> timezone-aware UTC timestamps."""
    return pd.to_datetime(values.astype("Int64"), unit="ms", utc=True)


def folder_paths(states: pd.DataFrame) -> dict[tuple[str, int], str]:
    """(account_id, folder_id) -> `/Inbox/Projects`, from each folder's newest state."""
    return {key: "/" + "/".join(name for _id, name in chain if name) for key, chain in folder_chains(states).items()}


def folder_chains(states: pd.DataFrame) -> dict[tuple[str, int], list[tuple[int, str]]]:
    """(account_id, folder_id) -> the folders from the top down to it, `[(2, "Inbox"), (257, "Projects")]`,
    from each folder's newest state among `states` (give the states at a date for the tree of that date).

    System folders without a folder item keep Zimbra's names; a cycle or a missing
    parent stops the walk, so a damaged tree still gives a path.
    """
    folders = states[states["type"].isin(FOLDER_TYPES)]
    # stable: of two states with the same start, the later in the frame's order (the greater transaction)
    # is the newest, whichever other folders sit in the frame (the timeline's export gives only folders)
    folders = folders.sort_values("start_date", kind="stable").drop_duplicates(["account_id", "item_id"], keep="last")
    nodes: dict[tuple[str, int], tuple[str, int | None]] = {}
    for account_id, item_id, name, parent_id in zip(
        folders["account_id"], folders["item_id"], folders["name"], folders["parent_id"], strict=True
    ):
        parent = None if pd.isna(parent_id) else int(parent_id)
        nodes[(str(account_id), int(item_id))] = ("" if pd.isna(name) else str(name), parent)
    used = states[["account_id", "folder_id"]].dropna().drop_duplicates()
    wanted = set(zip(used["account_id"].astype(str), used["folder_id"].astype(int), strict=True)) | set(nodes)
    chains: dict[tuple[str, int], list[tuple[int, str]]] = {}
    for account_id, folder_id in wanted:
        chain: list[tuple[int, str]] = []
        seen: set[int] = set()
        current: int | None = folder_id
        while current is not None and current not in seen and current != 1:
            seen.add(current)
            node = nodes.get((account_id, current))
            if node is None:
                chain.append((current, SYSTEM_FOLDERS.get(current, f"<folder {current}>")))
                break
            chain.append((current, node[0]))
            current = node[1]
        chains[(account_id, folder_id)] = chain[::-1]
    return chains


def folder_path_column(states: pd.DataFrame) -> pd.Categorical:
    """The `folder_path` of each state, its categories the paths of every folder of the frame's accounts
    (states filed in them or not), sorted."""
    return _lookup_paths(states, folder_paths(states)) if len(states) else pd.Categorical([])


def _lookup_paths(df: pd.DataFrame, paths: dict[tuple[str, int], str]) -> pd.Categorical:
    """Vectorised (account_id, folder_id) -> path, without copying the frame through a merge."""
    codes = df["account_id"].cat.codes.to_numpy(dtype=np.int64)
    folder = df["folder_id"].fillna(-1).to_numpy(dtype=np.int64)
    keys = codes * (1 << 32) + (folder & 0xFFFFFFFF)
    categories = list(df["account_id"].cat.categories)
    index = {name: i for i, name in enumerate(categories)}
    path_keys, path_values = [], []
    for (account_id, folder_id), path in paths.items():
        if account_id in index:
            path_keys.append(index[account_id] * (1 << 32) + (folder_id & 0xFFFFFFFF))
            path_values.append(path)
    position = pd.Index(np.asarray(path_keys, dtype=np.int64)).get_indexer(keys)
    labels = pd.Categorical(path_values) if path_values else pd.Categorical([], categories=[])
    codes_out = np.where(position >= 0, labels.codes[position] if len(labels) else -1, -1)
    return pd.Categorical.from_codes(codes_out, categories=labels.categories)


def unchecked_categorical(codes: np.ndarray, categories: pd.Index) -> pd.Categorical:
    """A categorical over categories that are unique by construction (an Arrow dictionary, paths built
    once per digest or item), made without pandas' uniqueness check.

    The check builds a hash table of the categories, as Python strings, and keeps it on the frame for its
    whole life: about 190 bytes a category, +95 MiB for each of the digest, blob_path and source_path
    columns of a million states. The dtype is made as unpickling makes it (`__setstate__`, pandas' own
    path for categories it already knows to be valid); a later lookup builds the table if it needs it."""
    dtype = pd.CategoricalDtype.__new__(pd.CategoricalDtype)
    dtype.__setstate__({"categories": categories, "ordered": False})
    return pd.Categorical.from_codes(_small_codes(codes, len(categories)), dtype=dtype, validate=False)


def _small_codes(codes: np.ndarray, count: int) -> np.ndarray:
    """Codes in the smallest signed integer that holds them, as pandas keeps them."""
    for dtype in (np.int8, np.int16, np.int32):
        if count < np.iinfo(dtype).max:
            return codes.astype(dtype, copy=False)
    return codes.astype(np.int64, copy=False)


def _dictionary_parts(column: pa.ChunkedArray) -> tuple[np.ndarray, pa.Array]:
    """Codes (-1 for null) and the one dictionary of a dictionary-encoded column whose chunks may each
    have their own: unified in chunk order, so categories come in first-appearance order, as
    `to_pandas` gives them."""
    column = pa.Table.from_arrays([column], ["c"]).unify_dictionaries()["c"]
    if column.num_chunks == 0:
        return np.empty(0, np.int32), pa.array([], column.type.value_type)
    dictionary = column.chunk(0).dictionary
    indices = pa.chunked_array([chunk.indices for chunk in column.chunks], column.type.index_type)
    codes = indices.fill_null(-1).to_numpy() if indices.null_count else indices.to_numpy()
    if pa.types.is_string(dictionary.type):  # as pandas keeps strings: its conversion then copies nothing
        dictionary = dictionary.cast(pa.large_string())
    return codes, dictionary


def _dictionary_categories(values: pa.Array) -> pd.Index:
    """A dictionary's values as categories, of the dtype Arrow's own conversion gives (object when empty)."""
    return pd.Index(values.to_pandas()) if len(values) else pd.Index([], dtype=object)


def assemble_states(
    tables: Iterable[pa.Table], names: dict[str, str], root: str, real_paths: dict[tuple[str, int], str] | None = None
) -> pd.DataFrame:
    """Shard tables -> the item_states() frame, one row per state, in (account, item, tx) order.

    `source_path` is derived from the ids (`accounts/<id>/items/NN/<item>`), except for the
    few files found elsewhere (misplaced, or inside an account archive): `real_paths` gives those.

    Memory (a million states, bench/bench_index.py): the repeated columns become categoricals straight
    from their Arrow dictionaries, and the paths from those dictionaries, without a uniqueness check
    (`unchecked_categorical`); every other column is converted by Arrow, which frees each column as
    it goes."""
    handed, tables = tables, list(tables)
    if isinstance(handed, list):  # the caller hands them over: once concatenated, only `table` holds them
        handed.clear()  # (a copy of the list kept the caller's: every shard table lived to the end, +150 MiB)
    in_order = _in_order(tables)
    table = pa.concat_tables([encode_repeated(t) for t in tables], promote_options="permissive")
    tables.clear()
    if not in_order:  # shards come sorted, each over its own accounts, in account order
        table = sort_states(table)
    for column in _DATE_COLUMNS:  # epoch ms -> timestamps in Arrow: no pandas copy
        table = table.set_column(table.schema.get_field_index(column), column,
                                 table[column].cast(pa.timestamp("ms", tz="UTC")))  # fmt: skip
    encoded = {}
    for column in REPEATED:  # taken out before the conversion: pandas' own would check every category
        encoded[column] = _dictionary_parts(table[column])
        table = table.drop_columns([column])
    handed = [table]
    del table  # only the list holds it now: the conversion frees each column
    df = _to_pandas_freeing(handed)
    digest_codes, digests = encoded.pop("digest")
    for column, (codes, dictionary) in encoded.items():
        df[column] = unchecked_categorical(codes, _dictionary_categories(dictionary))
    del codes, dictionary  # the last column's Arrow codes (its categorical holds a narrower copy)
    encoded.clear()
    df["account"] = df["account_id"].map(names).astype("category")
    # Categories come in first-appearance order over the sorted rows, so the frame is the same
    # however the scan was sharded; the short vocabularies are sorted too, for people. (Sorting
    # a million digests would only cost memory: +110 MiB at the peak.)
    for column in SORTED_CATEGORIES:
        df[column] = df[column].cat.reorder_categories(sorted(df[column].cat.categories))
    df["deleted"] = df["deleted"].fillna(False).astype(bool)
    df["item_id"] = df["item_id"].astype("int64")
    df["transaction_id"] = df["transaction_id"].astype("int64")
    # The derived columns, those with the largest temporaries first (the folder walk: ~50 MiB a million
    # states): each stage's temporaries sit on what is already built, so the peak is the frame plus the
    # last stage's, not the first's.
    df["folder_path"] = folder_path_column(df)
    trim_heap()  # the folder walk's temporaries
    df["source_path"] = _source_paths(df, root, real_paths or {})
    trim_heap()
    df["digest"] = unchecked_categorical(digest_codes, _dictionary_categories(digests))
    df["blob_path"] = _blob_paths(digest_codes, digests, root)
    del digest_codes, digests
    trim_heap()
    return df[STATE_COLUMNS + EXTRA_STATE_COLUMNS]


def _to_pandas_freeing(handed: list[pa.Table]) -> pd.DataFrame:
    """`to_pandas` a column at a time, each Arrow column freed and its pages handed back before the next
    is converted: the peak holds about one copy of the states, not two. The table is handed over in a
    list that this empties: a reference left with the caller would keep every column to the end.

    (`to_pandas(self_destruct=True)` frees the columns too, but into the heap's free lists, in
    pieces too small for the next column's array: the peak was +100 MiB on a million states.)"""
    table = handed.pop()
    columns: dict[str, pd.Series] = {}
    for name in table.column_names:
        columns[name] = table[name].to_pandas(types_mapper=_NULLABLE.get)
        table = table.drop_columns([name])
        trim_heap()
    return pd.DataFrame(columns, copy=False)


def _large(text: str) -> pa.Scalar:
    return pa.scalar(text, pa.large_string())


def _digest_paths(root: str, names: pa.Array) -> pa.Array:
    return pc.binary_join_element_wise(_large(f"{root}/{layout.ITEMS_DIR}/"), pc.utf8_slice_codeunits(names, 0, 2),
                                       _large("/"), names, _large(""))  # fmt: skip


def _blob_paths(codes: np.ndarray, digests: pa.Array, root: str) -> pd.Categorical:
    """`<root>/items/<xx>/<digest>`, built once per distinct digest, in Arrow (no Python strings).

    A value that is not a digest (`../../../../etc/passwd`) is never a path: its blob_path is null, as
    reading it is refused (`bad_name`)."""
    names = digests.cast(pa.large_string())  # pandas keeps large_string: a path made so is not copied
    slices = range(0, len(names), PATH_SLICE)  # in slices, as the source paths: fewer temporaries at once
    paths = pa.chunked_array([_digest_paths(root, names.slice(i, PATH_SLICE)) for i in slices], pa.large_string())
    valid = pc.match_substring_regex(names, DIGEST_RE.pattern).to_numpy(zero_copy_only=False).astype(bool)
    if not valid.all():
        renumbered = np.where(valid, np.cumsum(valid) - 1, -1)
        codes = np.where(codes >= 0, renumbered[codes], -1)
        paths = paths.filter(pa.array(valid))
    return unchecked_categorical(codes, pd.Index(paths.to_pandas()))


def _source_paths(df: pd.DataFrame, root: str, real_paths: dict[tuple[str, int], str]) -> pd.Categorical:
    """`<root>/accounts/<id>/items/NN/<item>`, built once per item of the (sorted) frame, in Arrow;
    `real_paths` gives the few files found elsewhere (misplaced, or inside an account archive).

    Built in slices of PATH_SLICE items, kept as the chunks of one array: the temporaries of a slice
    (account ids, NN, ids as text) are freed before the next (all at once: +65 MiB a million states)."""
    if df.empty:
        return pd.Categorical([])
    codes = df["account_id"].cat.codes.to_numpy()
    items = df["item_id"].to_numpy()
    first = np.ones(len(df), dtype=bool)
    first[1:] = (items[1:] != items[:-1]) | (codes[1:] != codes[:-1])
    item_accounts, item_ids = codes[first], items[first]
    names = pa.array(df["account_id"].cat.categories.astype(str), pa.large_string())
    chunks = [_item_paths(root, names, item_accounts[i : i + PATH_SLICE], item_ids[i : i + PATH_SLICE])
              for i in range(0, len(item_ids), PATH_SLICE)]  # fmt: skip
    paths = pa.chunked_array(chunks, pa.large_string())
    if real_paths:
        paths = _with_real_paths(paths, names, item_accounts, item_ids, real_paths, root)
    item_codes = np.cumsum(first, dtype=np.int32 if len(first) < 2**31 else np.int64)  # the codes' own width
    item_codes -= 1
    return unchecked_categorical(item_codes, pd.Index(paths.to_pandas()))


PATH_SLICE = 65_536


def _item_paths(root: str, names: pa.Array, accounts: np.ndarray, item_ids: np.ndarray) -> pa.Array:
    ids = pa.array(item_ids)
    nn = pc.utf8_lpad(pc.cast(pc.remainder(ids, 100), pa.large_string()), 2, "0")
    return pc.binary_join_element_wise(  # large_string, as pandas keeps it: not copied by to_pandas
        _large(f"{root}/{layout.ACCOUNTS_DIR}/"), pc.take(names, pa.array(accounts)),
        _large(f"/{layout.ITEMS_DIR}/"), nn, _large("/"), pc.cast(ids, pa.large_string()), _large(""),
    )  # fmt: skip


def _with_real_paths(paths: pa.ChunkedArray, names: pa.Array, accounts: np.ndarray, item_ids: np.ndarray,
                     real_paths: dict[tuple[str, int], str], root: str) -> pa.Array:  # fmt: skip
    """The derived paths with those of `real_paths` put in, in one pass (an unreadable file has a real path
    but no states: it is left out)."""
    code_of = {name: code for code, name in enumerate(names.to_pylist())}
    keys = pd.MultiIndex.from_arrays([accounts.astype(np.int64), item_ids])
    wanted = [((code_of[a], i), f"{root}/{rel}") for (a, i), rel in real_paths.items() if a in code_of]
    positions = keys.get_indexer([key for key, _ in wanted]) if wanted else np.empty(0, np.int64)
    found = sorted((int(p), value) for p, (_, value) in zip(positions, wanted, strict=True) if p >= 0)
    if not found:
        return paths
    mask = np.zeros(len(item_ids), dtype=bool)
    mask[[p for p, _ in found]] = True
    values = pa.array([v for _, v in found], pa.large_string())
    return pc.replace_with_mask(paths.combine_chunks(), pa.array(mask), values)


def assemble_accounts(rows: list[dict]) -> pd.DataFrame:
    """Account header records -> the accounts() frame."""
    df = pd.DataFrame.from_records(rows, columns=[*ACCOUNT_COLUMNS, "info"])
    for column in ("created", "deleted_date", "last_scan"):
        df[column] = ms_to_utc(df[column])
    df["deleted"] = df["deleted"].astype("boolean").fillna(False).astype(bool)  # all unread: a float NaN column
    df["backup_disabled"] = pd.array([pd.NA] * len(df), dtype="boolean")
    df["item_count"] = df["item_count"].astype("int64")
    df["aliases"] = [a if isinstance(a, list) else [] for a in df["aliases"]]
    return df.sort_values("name", ignore_index=True, key=lambda s: s.astype("string").str.lower())  # all-null names too


def assemble_errors(records: Iterable[dict]) -> pd.DataFrame:
    """Error records -> the errors frame `path, account_id, item_id, kind, detail`, one row per problem."""
    df = pd.DataFrame.from_records(list(records), columns=list(ERROR_COLUMNS))
    df = df.drop_duplicates(ignore_index=True)
    df["item_id"] = df["item_id"].astype("Int64")
    df["kind"] = df["kind"].astype("category")
    return df


def concat_states(pieces: list[pd.DataFrame]) -> pd.DataFrame:
    """Frames cut from state_batches' batches (every batch gives one, even empty: its categories count),
    in batch order, as one frame with the categories the same cut of item_states has: each categorical's
    categories united in first-appearance order, or sorted where the states frame sorts them."""
    if len(pieces) == 1:
        return pieces[0].reset_index(drop=True)
    first = pieces[0]
    dtypes = {}
    for column in first.columns:
        if not isinstance(first[column].dtype, pd.CategoricalDtype):
            continue
        united = list(dict.fromkeys(c for piece in pieces for c in piece[column].cat.categories))
        if column in (*SORTED_CATEGORIES, "folder_path"):
            united = sorted(united)
        held = [piece[column].cat.categories for piece in pieces if len(piece[column].cat.categories)]
        dtypes[column] = pd.CategoricalDtype(pd.Index(united, dtype=held[0].dtype if held else object))
    return pd.concat([piece.astype(dtypes) for piece in pieces], ignore_index=True)


def merge_states(held: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """The states of two disjoint sets of whole accounts (each piece a frame `assemble_states` made) as the
    frame one read of them all gives: rows in SORT_KEY order and every categorical's categories as a fresh
    read makes them, so a store that answered for one account first returns the same frame, dtypes
    included, as one that did not. (concat_states unites sorted categories and the folder paths exactly.)"""
    both = concat_states([held, new]).sort_values(list(SORT_KEY), kind="stable", ignore_index=True)
    return _in_appearance_order(both)


def states_of(states: pd.DataFrame, account_ids: Iterable[str]) -> pd.DataFrame:
    """The rows of some whole accounts, with the categories a read of those accounts alone gives (a slice
    keeps the whole frame's: unused ones, and an order of first appearance over other accounts' rows)."""
    sub = states[states["account_id"].isin(list(account_ids))].reset_index(drop=True)
    if len(sub) == len(states):
        return sub
    for column in SORTED_CATEGORIES:
        sub[column] = sub[column].cat.remove_unused_categories()
    sub["folder_path"] = folder_path_column(sub)  # its categories: the folders of these accounts alone
    sub = _in_appearance_order(sub)
    for column in CATEGORICAL_STATE_COLUMNS:  # no value left: the empty categories a read gives (object)
        if not len(sub[column].cat.categories):
            sub[column] = sub[column].astype(pd.CategoricalDtype(pd.Index([], dtype=object)))
    return sub


def _in_appearance_order(states: pd.DataFrame) -> pd.DataFrame:
    """The categoricals that a fresh read orders by first appearance over its rows, so ordered, unused
    categories dropped (the sorted ones and the folder paths are left as they are)."""
    for column in states.columns:
        values = states[column]
        if not isinstance(values.dtype, pd.CategoricalDtype) or column in (*SORTED_CATEGORIES, "folder_path"):
            continue
        codes = values.cat.codes.to_numpy()
        first = pd.unique(codes[codes >= 0])
        if len(first) == len(values.cat.categories) and (first == np.arange(len(first))).all():
            continue  # what a fresh read gives already
        states[column] = pd.Categorical.from_codes(
            _recoded(codes, first, len(values.cat.categories)), categories=values.cat.categories.take(first))
    return states


def _recoded(codes: np.ndarray, order: np.ndarray, size: int) -> np.ndarray:
    """Codes into categories.take(order): old code -> its position in `order` (-1 stays -1)."""
    position = np.full(size + 1, -1, dtype=np.int64)
    position[order] = np.arange(len(order))
    return position[codes].astype(codes.dtype)  # codes -1 index the last slot: -1


def distinct_values(column: pd.Series) -> pd.Index:
    """The values a column holds, each once, as an Index to look values up in (a hash table). A categorical
    column answers from its codes: its categories may hold values no row has (a batch sliced from a frame
    keeps the frame's), and no string is made per row."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        codes = column.cat.codes.to_numpy()
        return pd.Index(column.cat.categories.take(np.unique(codes[codes >= 0])))
    return pd.Index(column.dropna().unique())
