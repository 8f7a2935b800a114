"""The columnar parse of item metadata: canonically spelled states straight into Arrow columns.

States parsed by orjson become Arrow columns one field at a time, then `finish_columns`
fixes them vectorised. Anything this cannot take (other spellings, other value types) goes
to the tolerant path of `items.normalize_states`; the tests prove both give the same frame.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from ..format.dates import MAX_EPOCH_MS, MIN_EPOCH_MS
from ..format.keys import state_field
from .items import STATE_SCHEMA

# The spelling of FORMAT.md §4: states written exactly so take the columnar fast path.
CANONICAL_KEYS = {
    "transactionId": "transaction_id", "id": "item_id", "type": "type", "folderId": "folder_id",
    "startDate": "start_date", "endDate": "end_date", "deleted": "deleted", "digest": "digest", "size": "size",
    "date": "date", "revision": "revision", "flags": "flags", "tags": "tags", "name": "name",
    "parentId": "parent_id", "ownerId": "owner_id", "remoteId": "remote_id", "subject": "subject",
    "sender": "sender",
}  # fmt: skip
RAW_SCHEMA = pa.schema([(raw, STATE_SCHEMA.field(name).type) for raw, name in CANONICAL_KEYS.items()])
_CANONICAL_SET = frozenset(CANONICAL_KEYS)
EPOCH_SECONDS_BELOW = 100_000_000_000  # as vendor.dates: smaller epoch values are seconds
_OUTPUT = [name for name in STATE_SCHEMA.names if name != "account_id"]
DATE_COLUMNS = ("start_date", "end_date", "date")


def is_canonical(states: list) -> bool:
    """True when every state is an object whose known keys use the canonical spelling.

    Unknown keys that map to no field are fine; a differently spelled known key
    (`start_date`) sends the item to the tolerant path."""
    for state in states:
        if not isinstance(state, dict):
            return False
        extra = state.keys() - _CANONICAL_SET
        if extra and any(state_field(key) is not None for key in extra):
            return False
    return True


def canonical_table(states: list[dict], file_ids: list[int]) -> tuple[pa.Table, list[tuple[int, str]]]:
    """Canonical states already parsed (orjson dicts) -> columns; see `finish_columns`."""
    # one comprehension per field beats from_pylist's per-row conversion by about 2.5x;
    # a field no state has (mountpoint fields in a mail account) costs nothing
    present: set[str] = set()
    for state in states:
        present.update(state)
    columns = {}
    for raw, name in CANONICAL_KEYS.items():
        kind = RAW_SCHEMA.field(raw).type
        columns[name] = pa.array([s.get(raw) for s in states], kind) if raw in present else pa.nulls(len(states), kind)
    return finish_columns(pa.table(columns), pa.array(file_ids, pa.int64()))


def _set(table: pa.Table, name: str, column) -> pa.Table:
    return table.set_column(table.schema.get_field_index(name), name, column)


def finish_columns(table: pa.Table, files: pa.Array) -> tuple[pa.Table, list[tuple[int, str]]]:
    """Vectorised fixes of canonical columns: epoch seconds -> ms, ids from file names,
    deleted defaults to false, types in lower case, empty digests are none; a state without
    startDate, or with a date outside the kit's range, is dropped (as in `items.normalize_state`).

    Returns the table (STATE_SCHEMA minus account_id) and (file item id, problem) notes for
    dropped states. Raises ValueError on a state without transactionId (the tolerant path
    numbers those). Integers are int64 already: Arrow refused any other when building the columns."""
    problems: list[tuple[int, str]] = []
    if table["transaction_id"].null_count:
        raise ValueError("a state without transactionId")
    bounds = {}
    for name in DATE_COLUMNS:
        column, bounds[name] = _in_ms(table[name])
        table = _set(table, name, column)
    item_id = table["item_id"]
    differs = pc.and_(pc.is_valid(item_id), pc.not_equal(item_id, files))
    if pc.any(differs).as_py():
        for index in pc.indices_nonzero(differs).to_pylist():
            found, name = item_id[index].as_py(), files[index].as_py()
            problems.append((name, f"id {found} differs from the file name {name}"))
    table = _set(table, "item_id", pc.coalesce(item_id, files))
    table = _set(table, "deleted", pc.fill_null(table["deleted"], False))
    table = _set(table, "type", pc.utf8_lower(table["type"]))
    digest = table["digest"]
    table = _set(table, "digest", pc.if_else(pc.equal(digest, ""), pa.scalar(None, pa.string()), digest))
    out_of_range = [(name, _out_of_range(table[name])) for name, (low, high) in bounds.items()
                    if low is not None and (low < MIN_EPOCH_MS or high > MAX_EPOCH_MS)]  # fmt: skip
    if table["start_date"].null_count or out_of_range:
        drop = pc.is_null(table["start_date"])
        problems.extend(_drop_notes(table, files, drop, out_of_range))
        for _name, bad in out_of_range:
            drop = pc.or_(drop, bad)
        keep = pc.invert(drop)
        table, files = table.filter(keep), files.filter(keep)
    return table.select(_OUTPUT), problems


def _bounds(column) -> tuple[int | None, int | None]:
    found = pc.min_max(column)
    return found["min"].as_py(), found["max"].as_py()


def _in_ms(column) -> tuple[pa.ChunkedArray, tuple[int | None, int | None]]:
    """A date column with epoch seconds made ms (|value| < EPOCH_SECONDS_BELOW, not 0), and its bounds.

    One min_max decides: dates written in ms, as the vendor writes them, cost no per-value pass."""
    low, high = _bounds(column)
    if low is None or low >= EPOCH_SECONDS_BELOW or high <= -EPOCH_SECONDS_BELOW:
        return column, (low, high)
    # no abs(): abs(INT64_MIN) wraps to itself and would pass for seconds
    small = pc.and_(pc.greater(column, -EPOCH_SECONDS_BELOW), pc.less(column, EPOCH_SECONDS_BELOW))
    seconds = pc.and_(small, pc.not_equal(column, 0))
    column = pc.if_else(seconds, pc.multiply(column, 1000), column)
    return column, _bounds(column)


def _out_of_range(column) -> pa.ChunkedArray:
    """True where a date (epoch ms) lies outside MIN_EPOCH_MS..MAX_EPOCH_MS; false where it is null."""
    bad = pc.or_(pc.less(column, MIN_EPOCH_MS), pc.greater(column, MAX_EPOCH_MS))
    return pc.fill_null(bad, False)


def _drop_notes(table: pa.Table, files: pa.Array, no_start, out_of_range: list) -> list[tuple[int, str]]:
    """(file item id, note) of each dropped state: no startDate, or a date out of range (rare: per row)."""
    notes = [(files[i].as_py(), "a state without startDate") for i in pc.indices_nonzero(no_start).to_pylist()]
    for name, bad in out_of_range:
        for index in pc.indices_nonzero(bad).to_pylist():
            value = table[name][index].as_py()
            notes.append((files[index].as_py(), f"state of transaction {table['transaction_id'][index].as_py()}: "
                          f"{name} {value} is out of range"))
    return notes
