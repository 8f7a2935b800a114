"""The scan: a pure function from a shard of the store (some account folders) to columns.

It reads through `Evidence` only, never raises on a bad file (each becomes an error record),
and returns Arrow columns, so shards can run in worker processes (or on a cluster) and be
concatenated cheaply. It imports neither pandas nor the store.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pyarrow as pa

from .errors import ErrorRecord, EvidenceError
from .evidence import Evidence
from .parse import ParseError
from .parse.account import account_row, parse_account_info, parse_account_stat
from .parse.items import parse_item
from .vendor import layout

# Columns of a shard's states table, with their Arrow types (dates in epoch ms, UTC).
STATE_SCHEMA = pa.schema(
    [
        ("account_id", pa.string()),
        ("item_id", pa.int64()),
        ("transaction_id", pa.int64()),
        ("type", pa.string()),
        ("folder_id", pa.int64()),
        ("start_date", pa.int64()),
        ("end_date", pa.int64()),
        ("deleted", pa.bool_()),
        ("digest", pa.string()),
        ("size", pa.int64()),
        ("date", pa.int64()),
        ("revision", pa.int64()),
        ("flags", pa.int64()),
        ("name", pa.string()),
        ("parent_id", pa.int64()),
        ("owner_id", pa.string()),
        ("remote_id", pa.int64()),
        ("subject", pa.string()),
        ("sender", pa.string()),
        ("tags", pa.list_(pa.string())),
    ]
)
_STATE_FIELDS = [f.name for f in STATE_SCHEMA if f.name != "account_id"]


@dataclass
class ShardResult:
    """What one shard scan returns: states as Arrow, account headers and errors as records."""

    states: pa.Table
    accounts: list[dict] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)


def list_account_ids(ev: Evidence) -> tuple[list[str], list[dict]]:
    """Account folder names under `accounts/`, and error records for entries that are not folders."""
    ids: list[str] = []
    errors: list[dict] = []
    try:
        entries = ev.scandir(layout.ACCOUNTS_DIR)
    except EvidenceError as exc:
        if exc.kind != "missing":
            errors.append(ErrorRecord(exc.path, exc.kind, exc.detail).as_dict())
        return ids, errors
    for entry in entries:
        rel = f"{layout.ACCOUNTS_DIR}/{entry.name}"
        if entry.is_dir(follow_symlinks=False):
            ids.append(entry.name)
        elif entry.name.endswith(layout.ACCOUNT_ARCHIVE_SUFFIX):
            continue  # an S3-style account archive: read by archives, not by the folder scan
        elif entry.is_symlink():
            try:
                ev.scandir(rel)
                ids.append(entry.name)
            except EvidenceError as exc:
                errors.append(ErrorRecord(rel, exc.kind, exc.detail, entry.name).as_dict())
        else:
            errors.append(ErrorRecord(rel, "not_regular_file", "not an account folder", entry.name).as_dict())
    return ids, errors


def read_account_header(ev: Evidence, account_id: str, errors: list[dict]) -> dict:
    """account_info + account_stat of one account, as a row; unreadable parts become errors."""
    base = f"{layout.ACCOUNTS_DIR}/{account_id}"
    row: dict = {"account_id": account_id, "source_path": str(ev.root / base), "info": {}}
    for name, parse in ((layout.ACCOUNT_INFO, parse_account_info), (layout.ACCOUNT_STAT, parse_account_stat)):
        rel = f"{base}/{name}"
        try:
            parsed = parse(ev.read(rel))
        except (EvidenceError, ParseError) as exc:
            errors.append(ErrorRecord(rel, exc.kind, exc.detail, account_id).as_dict())
            continue
        if name == layout.ACCOUNT_INFO:
            row["info"] = parsed
            row.update({k: v for k, v in account_row(parsed).items() if k != "account_id"})
        else:
            row.update(parsed)
    return row


def iter_item_entries(ev: Evidence, account_id: str, errors: list[dict]):
    """(relative path, scandir entry, item id, NN folder) of every item file of an account."""
    base = f"{layout.ACCOUNTS_DIR}/{account_id}/{layout.ITEMS_DIR}"
    try:
        nn_entries = ev.scandir(base)
    except EvidenceError as exc:
        if exc.kind != "missing":
            errors.append(ErrorRecord(base, exc.kind, exc.detail, account_id).as_dict())
        return
    for nn_entry in nn_entries:
        nn_rel = f"{base}/{nn_entry.name}"
        if not layout.NN_DIR_RE.match(nn_entry.name) or not nn_entry.is_dir(follow_symlinks=False):
            errors.append(ErrorRecord(nn_rel, "misplaced", "not an NN item folder", account_id).as_dict())
            continue
        try:
            entries = ev.scandir(nn_rel)
        except EvidenceError as exc:
            errors.append(ErrorRecord(nn_rel, exc.kind, exc.detail, account_id).as_dict())
            continue
        for entry in entries:
            rel = f"{nn_rel}/{entry.name}"
            if not layout.ITEM_FILE_RE.match(entry.name):
                errors.append(ErrorRecord(rel, "bad_name", "item file name is not an item id", account_id).as_dict())
                continue
            yield rel, entry, int(entry.name), nn_entry.name


def scan_account_items(ev: Evidence, account_id: str, columns: dict[str, list], errors: list[dict]) -> int:
    """Append every state of one account to `columns`; returns the number of item files seen."""
    count = 0
    add = {name: columns[name].append for name in columns}
    for rel, entry, item_id, nn in iter_item_entries(ev, account_id, errors):
        count += 1
        if nn != layout.nn_folder(item_id):
            detail = f"item {item_id} belongs in items/{layout.nn_folder(item_id)}/, found in items/{nn}/"
            errors.append(ErrorRecord(rel, "misplaced", detail, account_id, item_id).as_dict())
        try:
            states, problems = parse_item(ev.read_entry(entry, rel), item_id)
        except (EvidenceError, ParseError) as exc:
            errors.append(ErrorRecord(rel, exc.kind, exc.detail, account_id, item_id).as_dict())
            continue
        for problem in problems:
            errors.append(ErrorRecord(rel, "invalid_metadata", problem, account_id, item_id).as_dict())
        for state in states:
            add["account_id"](account_id)
            for name in _STATE_FIELDS:
                add[name](state.get(name))
    return count


def scan_shard(root: str, account_ids: Sequence[str], max_file_size: int | None = None) -> ShardResult:
    """Scan some account folders of the backup path at `root` into columns and error records."""
    ev = Evidence(root) if max_file_size is None else Evidence(root, max_file_size)
    columns: dict[str, list] = {name: [] for name in STATE_SCHEMA.names}
    accounts: list[dict] = []
    errors: list[dict] = []
    for account_id in account_ids:
        header = read_account_header(ev, account_id, errors)
        header["item_count"] = scan_account_items(ev, account_id, columns, errors)
        accounts.append(header)
    return ShardResult(pa.Table.from_pydict(columns, schema=STATE_SCHEMA), accounts, errors)


def count_account_items(ev: Evidence, account_id: str, errors: list[dict]) -> int:
    """Number of item files of an account, from the listing alone (no file is opened)."""
    return sum(1 for _ in iter_item_entries(ev, account_id, errors))


def scan_headers(root: str, account_ids: Sequence[str]) -> tuple[list[dict], list[dict]]:
    """Account rows with item counts from listings: cheap enough to run before any item is read."""
    ev = Evidence(root)
    errors: list[dict] = []
    rows = []
    for account_id in account_ids:
        row = read_account_header(ev, account_id, errors)
        row["item_count"] = count_account_items(ev, account_id, errors)
        rows.append(row)
    return rows, errors


def scan_blobs(root: str, prefixes: Sequence[str] | None = None) -> tuple[pa.Table, list[dict]]:
    """Every file under `items/`: digest, prefix, path, compressed size; misplaced ones flagged."""
    ev = Evidence(root)
    errors: list[dict] = []
    cols: dict[str, list] = {"digest": [], "prefix": [], "path": [], "compressed_size": [], "misplaced": []}
    try:
        prefix_entries = ev.scandir(layout.ITEMS_DIR)
    except EvidenceError as exc:
        if exc.kind != "missing":
            errors.append(ErrorRecord(exc.path, exc.kind, exc.detail).as_dict())
        prefix_entries = []
    for prefix_entry in prefix_entries:
        if prefixes is not None and prefix_entry.name not in prefixes:
            continue
        prefix_rel = f"{layout.ITEMS_DIR}/{prefix_entry.name}"
        if not prefix_entry.is_dir(follow_symlinks=False):
            errors.append(ErrorRecord(prefix_rel, "misplaced", "a file where a blob prefix folder belongs").as_dict())
            continue
        try:
            entries = ev.scandir(prefix_rel)
        except EvidenceError as exc:
            errors.append(ErrorRecord(prefix_rel, exc.kind, exc.detail).as_dict())
            continue
        for entry in entries:
            rel = f"{prefix_rel}/{entry.name}"
            try:
                size = entry.stat(follow_symlinks=False).st_size if entry.is_file(follow_symlinks=False) else None
            except OSError:
                size = None
            cols["digest"].append(entry.name)
            cols["prefix"].append(prefix_entry.name)
            cols["path"].append(str(ev.root / rel))
            cols["compressed_size"].append(size)
            cols["misplaced"].append(entry.name[:2] != prefix_entry.name)
    return pa.Table.from_pydict(cols), errors
