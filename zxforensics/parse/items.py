"""Item metadata: the JSON array of an item's states (FORMAT.md §4, §10).

Range checks: integers must fit int64 and dates the kit's range (format.dates.MIN_EPOCH_MS..MAX_EPOCH_MS).
A state holding a value the kit cannot take (out of range, or of the wrong type) is dropped, with an
`invalid_metadata` note naming the field: nulling the field instead would change what the state says
(a null endDate reads as "still current", a null id as "the file name's id").
"""

from __future__ import annotations

import orjson
import pyarrow as pa

from ..format.dates import BadDate, date_form, to_epoch_ms
from ..format.keys import STATE_LIST_KEYS, folded, state_field
from ..format.names import TYPE_CODES
from . import ParseError
from .bounds import (
    COUNT_CONTAINERS_FROM,
    INT64_MAX,
    MAX_ITEM_CONTAINERS,
    MAX_ITEM_FILE_BYTES,
    MAX_STATES_PER_ITEM,
    as_int64,
    short,
)

# Parsed states as Arrow columns (dates in epoch ms, UTC); `account_id` is added by the scan.
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
_INT_FIELDS = ("transaction_id", "item_id", "folder_id", "size", "revision", "flags", "parent_id", "remote_id")
_DATE_FIELDS = ("start_date", "end_date", "date")
_TEXT_FIELDS = ("digest", "name", "owner_id", "subject", "sender")


def load_json(data: bytes) -> object:
    """JSON bytes -> Python, with the kit's error kind on failure (orjson refuses nesting past 1,024)."""
    if not data.strip():
        raise ParseError("invalid_json", "empty file")
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise ParseError("invalid_json", f"not JSON: {exc}") from None


def load_json_object(data: bytes, what: str) -> dict:
    """JSON bytes that must hold one object (account_info, account_stat, config.json)."""
    doc = load_json(data)
    if not isinstance(doc, dict):
        raise ParseError("invalid_metadata", f"{what}: expected a JSON object, found {type(doc).__name__}")
    return doc


def state_list(doc: object) -> list:
    """The list of states of an item document: a top-level array, or one under `states`/`itemStates`."""
    if isinstance(doc, list):
        return doc
    if isinstance(doc, dict):
        for key, value in doc.items():
            if folded(key) in STATE_LIST_KEYS and isinstance(value, list):
                return value
        if any(state_field(key) == "transaction_id" for key in doc):
            return [doc]
    raise ParseError("invalid_metadata", f"expected a JSON array of states, found {type(doc).__name__}")


def item_id_of(name: str) -> int | None:
    """The item id an item file's name gives (`2057`), or None when the name is no id in int64
    (a file named 2**70 would overflow every id column)."""
    if not (name.isascii() and name.isdigit()) or len(name) > 19:
        return None
    number = int(name)
    return number if number <= INT64_MAX else None


def parse_item_file(data: bytes) -> tuple[list, list[str]]:
    """An item file -> its raw states (at most MAX_STATES_PER_ITEM) and `too_large` notes.

    Its cost is bounded before parsing: a file over MAX_ITEM_FILE_BYTES, or holding more JSON objects
    and arrays than MAX_ITEM_CONTAINERS, is a ParseError `too_large` (a 200 MB history of 2M states
    took 15 s and 1.9 GiB). Past the state cap the first states are kept, with a note.
    """
    if len(data) > MAX_ITEM_FILE_BYTES:
        raise ParseError("too_large", f"{len(data)} bytes, over the {MAX_ITEM_FILE_BYTES}-byte limit of an item file")
    # a small file cannot hold many (1 MiB: 350,000 at most); counting them costs a scan of the bytes
    containers = data.count(b"{") + data.count(b"[") if len(data) > COUNT_CONTAINERS_FROM else 0
    if containers > MAX_ITEM_CONTAINERS:
        detail = f"{containers} JSON objects and arrays, over the {MAX_ITEM_CONTAINERS} an item file may hold"
        raise ParseError("too_large", detail)
    states = state_list(load_json(data))
    if len(states) <= MAX_STATES_PER_ITEM:
        return states, []
    note = f"{len(states)} states, over the cap of {MAX_STATES_PER_ITEM} per item: the first {MAX_STATES_PER_ITEM} kept"
    return states[:MAX_STATES_PER_ITEM], [note]


def _as_bool(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    if isinstance(value, dict | list):
        raise ValueError(f"deleted is {short(value)}, not a boolean")
    return bool(value)


def _as_type(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, int | str) and not isinstance(value, bool) and (isinstance(value, int) or value.isdecimal()):
        code = as_int64(value, "type")
        return TYPE_CODES.get(code, f"type{code}")
    return _as_text(value, "type").strip().lower()


def _as_text(value: object, what: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise ValueError(f"{what} is {short(value)}, not text")


def _as_tags(value: object) -> list[str] | None:
    if value is None:
        return None
    values = value if isinstance(value, list) else [value]
    return [_as_text(tag, "a tag") for tag in values]


def normalize_state(raw: dict) -> dict:
    """One state with canonical field names and types; raises ValueError (or BadDate) on a bad value."""
    state: dict = {}
    for key, value in raw.items():
        field = state_field(key)
        if field is not None:
            state[field] = read_field(field, value)
    state.setdefault("type", None)
    state.setdefault("deleted", False)
    state["digest"] = state.get("digest") or None
    return state


def read_field(field: str, value: object) -> object:
    """One state field's value as the tolerant parse reads it (the probe asks the same question);
    raises ValueError (BadDate is one) where it cannot."""
    if field in _INT_FIELDS:
        return as_int64(value, field)
    if field in _DATE_FIELDS:
        try:
            return to_epoch_ms(value)
        except BadDate as exc:
            raise ValueError(f"{field}: {exc}") from None
    if field in _TEXT_FIELDS:
        return _as_text(value, field)
    if field == "type":
        return _as_type(value)
    if field == "deleted":
        return _as_bool(value)
    if field == "tags":
        return _as_tags(value)
    return value


def normalize_states(raw_states: list, item_id: int | None = None) -> tuple[list[dict], list[str]]:
    """Tolerant path: canonical states of one item, and a note for each state that had to be dropped.

    A state without a start date cannot be placed in time, so it is dropped with a note;
    a missing item id is taken from the file name, a missing transaction id from the order.
    """
    states: list[dict] = []
    problems: list[str] = []
    for index, raw in enumerate(raw_states):
        if not isinstance(raw, dict):
            problems.append(f"state {index}: expected an object, found {type(raw).__name__}")
            continue
        try:
            state = normalize_state(raw)
        except (ValueError, TypeError, OverflowError) as exc:
            problems.append(f"state {index}: {exc}")
            continue
        if state.get("start_date") is None:
            problems.append(f"state {index}: no startDate")
            continue
        if state.get("item_id") is None:
            state["item_id"] = item_id
        elif item_id is not None and state["item_id"] != item_id:
            problems.append(f"state {index}: id {state['item_id']} differs from the file name {item_id}")
        if state.get("transaction_id") is None:
            state["transaction_id"] = index
        states.append(state)
    if not states and not problems:
        problems.append("no states")
    return states, problems


# -- descriptions for the probe: which tolerant form a document or a value took (the parse above is unchanged)


def container_form(doc: object) -> str | None:
    """Where an item document keeps its states, as `state_list` finds them: `array`, `wrapped:<key>`
    (the folded container key, `states` or `itemstates`), `single` (one state object); None when nowhere."""
    if isinstance(doc, list):
        return "array"
    if isinstance(doc, dict):
        for key, value in doc.items():
            if folded(key) in STATE_LIST_KEYS and isinstance(value, list):
                return f"wrapped:{folded(key)}"
        if any(state_field(key) == "transaction_id" for key in doc):
            return "single"
    return None


def value_form(field: str, value: object) -> str | None:
    """The tolerant form a state field's value takes, where the field has several (None: the plain one).

    Dates: `format.dates.date_form`; `type`: a name or a numeric code, known or not; `deleted`: a
    boolean written as text or as a number; integers written as text."""
    if field in _DATE_FIELDS:
        return date_form(value)
    if field == "type":
        code = isinstance(value, int) and not isinstance(value, bool)
        if code or (isinstance(value, str) and value.isascii() and value.isdigit()):
            return "type_code" if int(value) in TYPE_CODES else "type_code_unknown"
        if isinstance(value, str):
            name = value.strip().lower()
            if name not in TYPE_CODES.values():
                return "type_name_unknown"
            return "type_name" if value == name else "type_name_other_case"
        return None
    if field == "deleted" and not isinstance(value, bool) and value is not None:
        return "bool_text" if isinstance(value, str) else "bool_number"
    if field in _INT_FIELDS and isinstance(value, str):
        return "int_text"
    return None
