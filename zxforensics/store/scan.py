"""The scan: a pure function from a shard of the store (some account folders) to columns.

It reads through `Evidence` only, never raises on a bad file (each becomes an error record),
and returns Arrow columns, so shards can run in worker processes (or on a cluster) and be
concatenated cheaply. It imports neither pandas nor the store.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field

import pyarrow as pa

from ..errors import ErrorRecord, EvidenceError
from ..evidence.files import DEFAULT_MAX_FILE_SIZE, Evidence
from ..format import layout
from ..parse.bounds import MAX_ITEM_FILE_BYTES
from ..parse.items import STATE_SCHEMA, item_id_of
from .account_archive import archive_header, archive_item_files
from .headers import account_header
from .item_files import SCHEMA_NO_ACCOUNT, UNEXPECTED, parse_item_files, unexpected_row

SORT_KEY = ("account_id", "item_id", "start_date", "transaction_id")
IO_THREADS = 2  # concurrent reads per process: cold metadata reads wait on storage, not the CPU
READ_BATCH = 64  # files per thread task, so warm reads do not pay a hand-off per file


@dataclass
class ShardResult:
    """What one shard scan returns: states as Arrow, account headers and errors as records."""

    states: pa.Table
    accounts: list[dict] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    # item files not at accounts/<id>/items/NN/<item>: misplaced ones, and members of account archives
    real_paths: dict[tuple[str, int], str] = field(default_factory=dict)


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
    names = {entry.name for entry in entries}
    for entry in entries:
        rel = f"{layout.ACCOUNTS_DIR}/{entry.name}"
        if entry.is_dir(follow_symlinks=False):
            ids.append(entry.name)
        elif entry.name.endswith(layout.ACCOUNT_ARCHIVE_SUFFIX) and entry.is_file(follow_symlinks=False):
            account_id = entry.name.removesuffix(layout.ACCOUNT_ARCHIVE_SUFFIX)
            if account_id not in names:  # a folder of the same account wins
                ids.append(account_id)
        elif entry.is_symlink():
            try:
                ev.scandir(rel)
                ids.append(entry.name)
            except EvidenceError as exc:
                errors.append(ErrorRecord(rel, exc.kind, exc.detail, entry.name).as_dict())
        else:
            errors.append(ErrorRecord(rel, "not_regular_file", "not an account folder", entry.name).as_dict())
    return ids, errors


def is_archived(ev: Evidence, account_id: str) -> bool:
    """Whether an account is kept as `accounts/<id>.tar.gz` (S3-style) rather than as a folder."""
    base = f"{layout.ACCOUNTS_DIR}/{account_id}"
    return not ev.is_dir(base) and ev.exists(base + layout.ACCOUNT_ARCHIVE_SUFFIX)


def read_account_header(ev: Evidence, account_id: str, errors: list[dict]) -> dict:
    """account_info + account_stat of one account (a folder, or an S3-style archive), as a row."""
    base = f"{layout.ACCOUNTS_DIR}/{account_id}"
    if is_archived(ev, account_id):
        return archive_header(ev, account_id, errors)
    return account_header(account_id, str(ev.root / base), base, ev.read, errors)


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
            errors.append(_not_an_nn_folder(ev, nn_entry, nn_rel, account_id))
            continue
        try:
            entries = ev.scandir_entry(nn_entry, nn_rel)
        except EvidenceError as exc:
            errors.append(ErrorRecord(nn_rel, exc.kind, exc.detail, account_id).as_dict())
            continue
        for entry in entries:
            rel = f"{nn_rel}/{entry.name}"
            item_id = item_id_of(entry.name)
            if item_id is None:
                errors.append(ErrorRecord(rel, "bad_name", "item file name is not an item id", account_id).as_dict())
                continue
            yield rel, entry, item_id, nn_entry.name


def _not_an_nn_folder(ev: Evidence, entry, rel: str, account_id: str) -> dict:
    """The error row of an entry of items/ that is not an NN folder; a link is never followed, and one
    that leads out of the backup path is named so (`link_outside`), not merely misplaced."""
    if entry.is_symlink():
        real = os.path.realpath(ev.path(rel))
        if not ev.inside(real):
            return ErrorRecord(rel, "link_outside", f"a link to {real}, outside the backup path", account_id).as_dict()
        return ErrorRecord(rel, "misplaced", "a link, not an NN item folder", account_id).as_dict()
    return ErrorRecord(rel, "misplaced", "not an NN item folder", account_id).as_dict()


def _read_batch(ev: Evidence, batch: list[tuple]) -> list[bytes | EvidenceError]:
    out: list[bytes | EvidenceError] = []
    limit = min(ev.max_file_size, MAX_ITEM_FILE_BYTES)  # a larger item file is refused unread
    for rel, entry, _item_id, _nn in batch:
        try:
            out.append(ev.read_entry(entry, rel, limit))
        except EvidenceError as exc:
            out.append(exc)
    return out


def read_item_files(ev: Evidence, entries: list[tuple], pool: ThreadPoolExecutor | None) -> Iterator[tuple]:
    """(entry, bytes or EvidenceError) in listing order, read by the pool's threads in batches."""
    batches = [entries[i : i + READ_BATCH] for i in range(0, len(entries), READ_BATCH)]
    results = pool.map(lambda b: _read_batch(ev, b), batches) if pool else (_read_batch(ev, b) for b in batches)
    for batch, datas in zip(batches, results, strict=True):
        yield from zip(batch, datas, strict=True)


def scan_account_items(
    ev: Evidence, account_id: str, errors: list[dict], pool: ThreadPoolExecutor | None = None
) -> tuple[pa.Table, int, dict[int, str]]:
    """Every state of one account as a table; also the number of item files, and the real paths of
    the files that are not where their id puts them."""
    if is_archived(ev, account_id):
        files = archive_item_files(ev, account_id, errors)
        table, real_paths = parse_item_files(account_id, files, errors)
        real_paths.update({item_id: rel for rel, item_id, _nn, _data in files})
        return table, len(files), real_paths
    entries = list(iter_item_entries(ev, account_id, errors))
    files = ((rel, item_id, nn, data) for (rel, _e, item_id, nn), data in read_item_files(ev, entries, pool))
    table, misplaced = parse_item_files(account_id, files, errors)
    return table, len(entries), misplaced


def safe_header(ev: Evidence, account_id: str, errors: list[dict]) -> dict:
    """`read_account_header`, with what escapes its guards as a row: the account keeps a (bare) row."""
    try:
        return read_account_header(ev, account_id, errors)
    except UNEXPECTED as exc:
        rel = f"{layout.ACCOUNTS_DIR}/{account_id}"
        errors.append(ErrorRecord(rel, *unexpected_row(exc), account_id).as_dict())
        return {"account_id": account_id, "source_path": str(ev.root / rel), "info": {}}


def safe_account_items(
    ev: Evidence, account_id: str, errors: list[dict], pool: ThreadPoolExecutor | None
) -> tuple[pa.Table, int, dict[int, str]]:
    """`scan_account_items`, with the last net: what escapes the per-file guards becomes a row for the
    account (no states), and the scan goes on."""
    try:
        return scan_account_items(ev, account_id, errors, pool)
    except UNEXPECTED as exc:
        rel = f"{layout.ACCOUNTS_DIR}/{account_id}"
        errors.append(ErrorRecord(rel, *unexpected_row(exc), account_id).as_dict())
        column = pa.array([], pa.string())
        return SCHEMA_NO_ACCOUNT.empty_table().add_column(0, "account_id", column), 0, {}


def scan_account(
    ev: Evidence, account_id: str, errors: list[dict], pool: ThreadPoolExecutor | None
) -> tuple[dict, pa.Table, dict[int, str]]:
    """One account's header, states and moved item files; a failure keeps the account's row in accounts()."""
    header = safe_header(ev, account_id, errors)
    table, header["item_count"], moved = safe_account_items(ev, account_id, errors, pool)
    return header, table, moved


@contextmanager
def no_cycle_collector() -> Iterator[None]:
    """Parsing allocates millions of acyclic dicts: the cycle collector only costs time (~2x)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def scan_shard(
    root: str, account_ids: Sequence[str], io_threads: int = IO_THREADS, max_file_size: int = DEFAULT_MAX_FILE_SIZE
) -> ShardResult:
    """Scan some account folders of the backup path at `root` into columns and error records."""
    ev = Evidence(root, max_file_size)
    tables: list[pa.Table] = []
    accounts: list[dict] = []
    errors: list[dict] = []
    real_paths: dict[tuple[str, int], str] = {}
    with no_cycle_collector(), ThreadPoolExecutor(io_threads) if io_threads > 1 else nullcontext() as pool:
        for account_id in account_ids:
            header, table, moved = scan_account(ev, account_id, errors, pool)
            tables.append(table)
            accounts.append(header)
            real_paths.update({(account_id, item_id): rel for item_id, rel in moved.items()})
    states = sort_states(pa.concat_tables(tables)) if tables else STATE_SCHEMA.empty_table()
    return ShardResult(encode_repeated(states), accounts, errors, real_paths)


# Columns whose values repeat (an account id on every state of the account, a digest, subject or name
# on every state of an item): dictionary-encoded where they are made, they cross to the parent process
# and sit in memory at a fraction of their size.
REPEATED = ("account_id", "type", "sender", "owner_id", "digest", "subject", "name")


def encode_repeated(table: pa.Table) -> pa.Table:
    for name in REPEATED:
        index = table.schema.get_field_index(name)
        if not pa.types.is_dictionary(table.schema.field(index).type):
            table = table.set_column(index, name, table[name].dictionary_encode())
    return table


def sort_states(table: pa.Table) -> pa.Table:
    """States in the frames' order (account, item, start, transaction), sorted where they are made."""
    return table.sort_by([(key, "ascending") for key in SORT_KEY])


def count_items(root: str, account_ids: Sequence[str]) -> tuple[dict[str, int], list[dict]]:
    """Number of item files per account, from listings alone (no file is opened)."""
    ev = Evidence(root)
    errors: list[dict] = []
    counts = {account_id: item_file_count(ev, account_id, errors) for account_id in account_ids}
    return counts, errors


def item_file_count(ev: Evidence, account_id: str, errors: list[dict]) -> int:
    """Item files of an account folder (listed, not opened) or of an account archive."""
    if is_archived(ev, account_id):
        return len(archive_item_files(ev, account_id, errors))
    return sum(1 for _ in iter_item_entries(ev, account_id, errors))


def scan_headers(root: str, account_ids: Sequence[str]) -> tuple[list[dict], list[dict]]:
    """Account rows from account_info and account_stat, cheap enough to run before any item is read;
    `item_count` is left at 0 for `count_items` or the scan to fill."""
    ev = Evidence(root)
    errors: list[dict] = []
    rows = [dict(safe_header(ev, account_id, errors), item_count=0) for account_id in account_ids]
    return rows, errors


BLOB_LISTING_SCHEMA = pa.schema([("digest", pa.string()), ("prefix", pa.string()), ("path", pa.string()),
                                 ("compressed_size", pa.int64()), ("misplaced", pa.bool_())])  # fmt: skip


def scan_blobs(root: str, folders: Callable[[str], bool] | None = None) -> tuple[pa.Table, list[dict]]:
    """Every file under `items/` (or under the prefix folders whose name `folders` accepts): digest, prefix,
    path, compressed size; misplaced ones flagged."""
    ev = Evidence(root)
    errors: list[dict] = []
    cols: dict[str, list] = {"digest": [], "prefix": [], "path": [], "compressed_size": [], "misplaced": []}
    try:
        prefix_entries = ev.scandir(layout.ITEMS_DIR)
    except EvidenceError as exc:
        if exc.kind != "missing":
            errors.append(ErrorRecord(exc.path, exc.kind, exc.detail).as_dict())
        prefix_entries = []
    root_text = str(ev.root)  # paths joined as text: a Path per blob cost 2 s of 5 on 74,000 blobs
    for prefix_entry in prefix_entries:
        if folders is not None and not folders(prefix_entry.name):
            continue
        prefix_rel = f"{layout.ITEMS_DIR}/{prefix_entry.name}"
        if not prefix_entry.is_dir(follow_symlinks=False):
            errors.append(ErrorRecord(prefix_rel, "misplaced", "a file where a blob prefix folder belongs").as_dict())
            continue
        try:
            entries = ev.scandir_entry(prefix_entry, prefix_rel)
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
            cols["path"].append(f"{root_text}/{rel}")
            cols["compressed_size"].append(size)
            cols["misplaced"].append(entry.name[:2] != prefix_entry.name)
    return pa.Table.from_pydict(cols, schema=BLOB_LISTING_SCHEMA), errors
