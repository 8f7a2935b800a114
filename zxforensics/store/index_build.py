"""Writing the index: the shard worker (local processes and Dask workers run the same function) and the
update that scans what changed, rewrites what a refresh superseded and commits the manifest.

`build_part` is module level and takes only paths and ids, so `client.map` pickles it as well as the
local pool does. It writes as it scans: one account's states are in memory at a time, whatever the
store's size.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..errors import OutputError
from ..evidence.files import DEFAULT_MAX_FILE_SIZE, Evidence
from ..format import layout
from ..output.writer import OutputDir
from ..parse.items import STATE_SCHEMA
from ..runtime.cluster import require_folder
from ..runtime.shards import run_shards
from . import scan
from .index import (
    PART_PREFIX,
    PART_SCHEMA,
    PART_SUFFIX,
    STATE_COLUMNS,
    STATES_DIR,
    Index,
    IndexDamaged,
    Runner,
    fingerprint,
    read_row_groups,
    split_accounts,
)
from .index_files import FileKey, file_key, unchanged_items, with_file_stats
from .item_files import parse_item_files
from .scan import IO_THREADS, sort_states

ROW_GROUP = 1 << 20  # rows per row group: an account larger than this spans several
# accounts per part: a refresh rewrites the parts of the accounts it rescans (at 64, copying them was
# 3.4 s of an 11 s refresh after 1% of the accounts changed)
PART_ACCOUNTS = 8
PARALLEL_MIN_ACCOUNTS = 16  # below this a process pool costs more than it saves...
# ...unless the accounts a refresh rescans held this many item files when last scanned: 10 accounts of 730
# files (1% of a million states) are rescanned in 0.84-0.88 s by two processes, 1.03-1.23 s by one
PARALLEL_MIN_FILES = 2_000
COMPRESSION = "zstd"


class PartWriter:
    """One part file: written under a hidden temporary name, account by account (one row group or
    more each), then fsynced and renamed into place."""

    def __init__(self, index_dir: str | os.PathLike, root: str, schema: pa.Schema = PART_SCHEMA,
                 folder: str = STATES_DIR) -> None:  # fmt: skip
        self.out = OutputDir(index_dir, [root])
        self.folder, self.schema = folder, schema
        self.name = f"{PART_PREFIX}{uuid.uuid4().hex}{PART_SUFFIX}"
        self._cm = self.out.open_atomic(folder, self.name)  # entered here, left by close or abort
        self.handle = self._cm.__enter__()
        self.writer = pq.ParquetWriter(self.handle, schema, compression=COMPRESSION)
        self.groups = 0
        self.rows = 0

    def add(self, table: pa.Table) -> list[int]:
        """Append one account's states; returns the row groups that hold them."""
        if not table.num_rows:
            return []
        first = self.groups
        self.writer.write_table(table.cast(self.schema), row_group_size=ROW_GROUP)
        self.groups += -(-table.num_rows // ROW_GROUP)
        self.rows += table.num_rows
        return list(range(first, self.groups))

    def close(self) -> dict:
        """Finish, fsync and rename the part; returns its manifest entry."""
        self.writer.close()
        self.handle.flush()
        size = os.fstat(self.handle.fileno()).st_size
        self._cm.__exit__(None, None, None)
        return {"part": f"{self.folder}/{self.name}", "size": size, "rows": self.rows}

    def abort(self) -> None:
        """Give the part up: open_atomic, told the write failed, removes its temporary file."""
        abandoned = OutputError(f"{self.name}: abandoned")
        try:
            self.writer.close()
        finally:
            self._cm.__exit__(OutputError, abandoned, None)


def plain(table: pa.Table) -> pa.Table:
    """Dictionary columns back to plain strings: a part holds plain values (Parquet encodes repeats
    itself), and the store's assembly encodes them in first-appearance order as after a scan."""
    for index, field in enumerate(table.schema):
        if pa.types.is_dictionary(field.type):
            table = table.set_column(index, field.name, table[field.name].cast(field.type.value_type))
    return table


def newest_state_counts(states: pa.Table) -> list[list]:
    """`[type, items, deleted items, bytes]` per type over the newest state of each item, of one account's
    states sorted by SORT_KEY (the last row of an item is select_states' `last`: nulls sort last in both).
    Kept in the manifest, so the summary of any store adds up a few numbers an account."""
    if not states.num_rows:
        return []
    item_ids = states["item_id"].to_numpy()
    newest = np.empty(len(item_ids), dtype=bool)
    newest[:-1] = item_ids[1:] != item_ids[:-1]
    newest[-1] = True
    chosen = states.filter(pa.array(newest)).select(["type", "deleted", "size"])
    grouped = chosen.group_by("type").aggregate([([], "count_all"), ("deleted", "sum"), ("size", "sum")])
    rows = zip(*(grouped[c].to_pylist() for c in ("type", "count_all", "deleted_sum", "size_sum")), strict=True)
    counts = [[kind, items, deleted or 0, size or 0] for kind, items, deleted, size in rows]
    return sorted(counts, key=lambda row: (row[0] is None, row[0] or ""))


Head = tuple[dict, dict, list[dict], dict[int, FileKey]]  # fingerprint, header, header errors, file stats


def _head(ev: Evidence, account_id: str) -> Head:
    """What is taken of an account before any item file is read: its fingerprint (and each item file's
    stat, from the same pass), its header and the header's errors."""
    keys: dict[int, FileKey] = {}
    fp = fingerprint(ev, account_id, keys=keys)
    header_errors: list[dict] = []
    header = scan.safe_header(ev, account_id, header_errors)
    return fp, header, header_errors, keys


def scan_one(ev: Evidence, account_id: str, pool: ThreadPoolExecutor | None,
             head: Head | None = None) -> tuple[dict, pa.Table]:  # fmt: skip
    """`scan.scan_account`, keeping the header's errors apart from the items' (a store opening the
    header alone records the first) and taking the fingerprint (and each item file's stat) before
    anything is read (`head`, when the caller took it already). The states come back sorted and plain,
    each with its file's stat, their newest-state counts in the entry."""
    fp, header, header_errors, keys = head or _head(ev, account_id)
    errors: list[dict] = []
    table, count, moved = scan.safe_account_items(ev, account_id, errors, pool)
    return _entry(fp, header, header_errors, errors, count, moved, plain(sort_states(table)), keys)


def rescan_one(ev: Evidence, account_id: str, pool: ThreadPoolExecutor | None, out: OutputDir,
               before: dict) -> tuple[dict, pa.Table]:  # fmt: skip
    """`scan_one` of an account the index holds, reading again only the item files whose stat changed
    since (index_files): the states of the others are taken from the account's rows in its old part.
    Taken only where the answer is the same as scan_one's: the account is a folder whose last scan met
    no problem among its items, and nothing is met now (no listing problem, no misplaced or doubled
    file, no error in the files read); else, and when the old part does not read, the account is
    scanned whole."""
    if before["errors"] or before["real_paths"] or scan.is_archived(ev, account_id):
        return scan_one(ev, account_id, pool)
    head = _head(ev, account_id)
    fp, header, header_errors, keys = head
    whole = partial(scan_one, ev, account_id, pool, head)  # the head taken once, whichever path answers
    errors: list[dict] = []
    entries = list(scan.iter_item_entries(ev, account_id, errors))
    if errors or len(entries) != len({item_id for _rel, _e, item_id, _nn in entries}) or any(
            nn != layout.nn_folder(item_id) for _rel, _e, item_id, nn in entries):  # fmt: skip
        return whole()
    old = PART_SCHEMA.empty_table()
    if before["rows"]:  # the account's rows in its part, as the manifest says, or the account is scanned whole
        try:
            old = read_row_groups(out, before["part"], before["row_groups"])
        except IndexDamaged:
            return whole()
        if old.num_rows != before["rows"]:
            return whole()
    for _rel, entry, item_id, _nn in entries:  # a file the fingerprint did not see (added since): its stat now
        if item_id not in keys:
            keys[item_id] = file_key(entry.stat(follow_symlinks=False))
    same = unchanged_items(old, keys)
    changed = [e for e in entries if e[2] not in same]
    read = scan.read_item_files(ev, changed, pool)
    new, moved = parse_item_files(account_id, ((rel, i, nn, data) for (rel, _e, i, nn), data in read), errors)
    if errors:
        return whole()
    kept = old.filter(pc.is_in(old["item_id"], pa.array(sorted(same), pa.int64()))).select(STATE_COLUMNS)
    states = pa.concat_tables([kept.cast(STATE_SCHEMA), plain(new).cast(STATE_SCHEMA)])
    return _entry(fp, header, header_errors, errors, len(entries), moved, sort_states(states), keys)


def _entry(fp: dict, header: dict, header_errors: list[dict], errors: list[dict], count: int,
           moved: dict[int, str], table: pa.Table, keys: dict[int, FileKey]) -> tuple[dict, pa.Table]:  # fmt: skip
    """An account's manifest entry and its part rows (sorted, plain states with their files' stats)."""
    header.pop("item_count", None)
    entry = {"fp": fp, "header": header, "item_count": count, "header_errors": header_errors,
             "errors": errors, "real_paths": {str(k): v for k, v in moved.items()}, "rows": table.num_rows,
             "newest": newest_state_counts(table)}  # fmt: skip
    return entry, with_file_stats(table, keys)


def write_part(folder: str | Path, root: str, accounts: Iterable[tuple[str, dict, pa.Table]]) -> dict:
    """One new part holding the tables of `accounts` (id, manifest entry, states), a row group each;
    returns the part's manifest entry and the accounts' entries. A failure leaves no part behind."""
    writer = PartWriter(folder, root)
    entries: dict[str, dict] = {}
    try:
        for account_id, entry, table in accounts:
            entry["row_groups"] = writer.add(table)
            entries[account_id] = entry
    except BaseException:
        writer.abort()
        raise
    info = writer.close()
    for entry in entries.values():
        entry["part"] = info["part"]
    return {"part": info, "accounts": entries}


def build_part(root: str, index_dir: str, account_ids: Sequence[str], max_file_size: int = DEFAULT_MAX_FILE_SIZE,
               previous: dict[str, dict] | None = None) -> dict:  # fmt: skip
    """Scan some accounts into one new part of the index at `index_dir`; returns the part's manifest
    entry and the accounts' entries. The manifest is not touched: the caller commits. `previous`: the
    manifest entries of accounts the index holds (a refresh), rescanned file by file (rescan_one)."""
    ev = Evidence(root, max_file_size)
    out = OutputDir(index_dir, [str(ev.root)])
    previous = previous or {}

    def scanned(pool: ThreadPoolExecutor) -> Iterator[tuple[str, dict, pa.Table]]:
        for account_id in account_ids:
            if account_id in previous:
                entry, table = rescan_one(ev, account_id, pool, out, previous[account_id])
            else:
                entry, table = scan_one(ev, account_id, pool)
            yield account_id, entry, table

    with scan.no_cycle_collector(), ThreadPoolExecutor(IO_THREADS) as pool:
        return write_part(index_dir, str(ev.root), scanned(pool))


def copy_part(index: Index, manifest: dict, part: str, keep: Sequence[str]) -> dict:
    """A new part with the row groups of the accounts `keep` of an old part (no evidence is read): what a
    refresh leaves of a part whose other accounts it rescanned."""
    tables = index.read_accounts(manifest, keep, columns=PART_SCHEMA.names)
    kept = ((a, dict(manifest["accounts"][a]), tables.get(a, PART_SCHEMA.empty_table())) for a in keep)
    return write_part(index.folder, index.root, kept)


def local_runner(root: str, index_dir: str, max_file_size: int, workers: int, show: bool = True) -> Runner:
    """Parts built by this machine's processes (one process when the build is small)."""

    def run(parts: list[list[str]], known_files: int = 0, previous: dict[str, dict] | None = None) -> list[dict]:
        func = partial(build_part, root, index_dir, max_file_size=max_file_size, previous=previous)
        accounts = sum(len(p) for p in parts)
        parallel = accounts >= PARALLEL_MIN_ACCOUNTS or (accounts > 1 and known_files >= PARALLEL_MIN_FILES)
        return run_shards(func, parts, workers=workers if parallel else 1, show=show, desc="indexing accounts",
                          unit="account")  # fmt: skip

    return run


def dask_runner(client, root: str, index_dir: str, max_file_size: int, show: bool = True) -> Runner:
    """Parts built on a dask.distributed cluster (`runtime.cluster`): every worker mounts the backup path
    read-only at the same path and writes into the same (shared) index folder; only manifest entries come
    back. A worker that does not see both folders, or a part that fails, is a ZxError: nothing is committed."""

    def run(parts: list[list[str]], known_files: int = 0, previous: dict[str, dict] | None = None) -> list[dict]:
        func = partial(build_part, root, index_dir, max_file_size=max_file_size, previous=previous)
        require_folder(client, root)  # the cluster takes every build, however small
        require_folder(client, index_dir, "put the index folder on storage every worker shares, at the same path")
        return run_shards(func, parts, client=client, show=show, desc="indexing accounts", unit="account")

    return run


def update(index: Index, manifest: dict, scan_ids: Sequence[str], drop_ids: Sequence[str],
           runner: Runner, workers: int) -> dict:  # fmt: skip
    """Scan `scan_ids` into new parts, forget `drop_ids`, rewrite the old parts that held either,
    and commit: call under the lock. Returns the new manifest."""
    scan_ids = sorted(set(scan_ids))
    gone = set(scan_ids) | set(drop_ids)
    accounts = manifest["accounts"]
    touched = {accounts[a]["part"] for a in gone if a in accounts}
    previous = {a: _rescan_entry(accounts[a]) for a in scan_ids if a in accounts}
    known_files = sum(accounts[a]["item_count"] for a in previous)  # how much work, roughly
    results = runner(split_accounts(scan_ids, workers, PART_ACCOUNTS), known_files, previous) if scan_ids else []
    for part in sorted(touched):
        keep = sorted(a for a, e in accounts.items() if e["part"] == part and a not in gone)
        if keep:
            results.append(copy_part(index, manifest, part, keep))
    new = dict(manifest, parts=dict(manifest["parts"]), accounts=dict(accounts))
    for account_id in gone:
        new["accounts"].pop(account_id, None)
    for part in touched:
        new["parts"].pop(part, None)
    for result in results:
        info = result["part"]
        new["parts"][info["part"]] = {"size": info["size"], "rows": info["rows"]}
        new["accounts"].update(result["accounts"])
    index.commit(new)
    return new


def _rescan_entry(entry: dict) -> dict:
    """What rescan_one needs of an account's manifest entry (sent to a worker: not its fingerprint)."""
    return {"part": entry["part"], "row_groups": entry["row_groups"], "rows": entry["rows"],
            "errors": bool(entry["errors"]), "real_paths": bool(entry["real_paths"])}  # fmt: skip


def part_name(part: str) -> str:
    return Path(part).name
