"""Item metadata: the JSON array of an item's states (FORMAT.md §4, §10)."""

from __future__ import annotations

import orjson
import pyarrow as pa

from ..format.dates import BadDate, to_epoch_ms
from ..format.keys import STATE_LIST_KEYS, folded, state_field
from ..format.names import TYPE_CODES
from . import ParseError

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


def load_json(data: bytes) -> object:
    """JSON bytes -> Python, with the kit's error kind on failure."""
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


def _as_bool(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value)


def _as_int(value: object) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError("a boolean")
    return int(value)


def _as_type(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
        return TYPE_CODES.get(int(value), f"type{int(value)}")
    return str(value).strip().lower()


def normalize_state(raw: dict) -> dict:
    """One state with canonical field names and types; raises ValueError on a bad value."""
    state: dict = {}
    for key, value in raw.items():
        field = state_field(key)
        if field is not None:
            state[field] = value
    for field in _INT_FIELDS:
        if field in state:
            state[field] = _as_int(state[field])
    for field in _DATE_FIELDS:
        if field in state:
            state[field] = to_epoch_ms(state[field])
    state["type"] = _as_type(state.get("type"))
    state["deleted"] = _as_bool(state.get("deleted", False))
    digest = state.get("digest")
    state["digest"] = str(digest) if digest else None
    tags = state.get("tags")
    if tags is not None and not isinstance(tags, list):
        state["tags"] = [str(tags)]
    return state


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
        except (ValueError, TypeError, BadDate) as exc:
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
