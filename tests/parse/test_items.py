"""Item metadata out of range: int64 integers, dates in pandas' range, per-file bounds; both paths
(columnar and tolerant) drop a bad state with a note and keep the rest."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import json_values

from zxforensics.format.dates import MAX_EPOCH_MS, MIN_EPOCH_MS
from zxforensics.parse import ParseError
from zxforensics.parse.bounds import INT64_MAX, INT64_MIN, MAX_ITEM_CONTAINERS, MAX_ITEM_FILE_BYTES
from zxforensics.parse.item_columns import CANONICAL_KEYS, canonical_table, is_canonical
from zxforensics.parse.items import item_id_of, normalize_states, parse_item_file

GOOD = {"transactionId": 1, "id": 300, "type": "message", "folderId": 2, "startDate": 1373639744000}


def both_paths(states: list[dict], item_id: int = 300) -> tuple[list[tuple[int, int]], list[str], list[str]]:
    """(item, transaction) of the states kept by the tolerant path, its notes, and the columnar path's notes
    (the columnar path must keep the same states, or refuse the batch so that the tolerant path takes it)."""
    kept, notes = normalize_states(states, item_id)
    tolerant = sorted((s["item_id"], s["transaction_id"]) for s in kept)
    try:
        table, problems = canonical_table(states, [item_id] * len(states))
    except (pa.ArrowException, ValueError, TypeError, OverflowError):
        return tolerant, notes, ["(columnar path refused the batch)"]
    columnar = sorted(zip(table["item_id"].to_pylist(), table["transaction_id"].to_pylist(), strict=True))
    assert columnar == tolerant
    return tolerant, notes, [note for _item, note in problems]


@pytest.mark.parametrize(
    ("field", "raw", "note"),
    [
        ("id", f"{2**70}", "item_id 1.1805916207174113e+21 is out of the int64 range"),
        ("startDate", "1e23", "start_date: date out of range: 1e+23"),
        ("startDate", "100000000000000000000000", "start_date: date out of range: 1e+23"),
        ("transactionId", f"{2**64 - 1}", "transaction_id 18446744073709551615 is out of the int64 range"),
        ("size", "-1e300", "size -1e+300 is out of the int64 range"),
        ("folderId", "[[[[1]]]]", "folder_id is list, not an integer"),
    ],
)
def test_integers_above_int64_in_item_json(field, raw, note):
    """id 2**70, startDate 1e23, transactionId 2**64-1: an OverflowError in item_states, audit, getItem..."""
    bad = {key: value for key, value in {**GOOD, "transactionId": 2}.items() if key != field}
    data = f"[{json.dumps(GOOD)}, {json.dumps(bad)[:-1]}, \"{field}\": {raw}}}]".encode()  # the value as written
    states, notes = parse_item_file(data)
    assert notes == [] and len(states) == 2
    kept, tolerant_notes, _columnar = both_paths(states)
    assert kept == [(300, 1)]
    assert tolerant_notes == [f"state 1: {note}"]


@pytest.mark.parametrize("start", [10**17, INT64_MAX, INT64_MIN, 9_223_372_036_855, -9_223_372_036_855])
def test_dates_outside_pandas_range(start):
    """1e17 ms, int64 max or min: getItem failed localizing them; each path drops the state, with a note."""
    states = [GOOD, {**GOOD, "transactionId": 2, "startDate": start}, {**GOOD, "transactionId": 3, "endDate": start}]
    kept, notes, columnar = both_paths(states)
    assert kept == [(300, 1)]
    assert len(notes) == 2 and all("out of range" in note for note in notes)
    assert columnar == [f"state of transaction 2: start_date {start} is out of range",
                        f"state of transaction 3: end_date {start} is out of range"]  # fmt: skip


def test_dates_at_the_edges_of_the_range_are_kept():
    states = [{**GOOD, "transactionId": n, "startDate": value} for n, value in enumerate([MIN_EPOCH_MS, MAX_EPOCH_MS])]
    kept, notes, columnar = both_paths(states)
    assert (kept, notes, columnar) == ([(300, 0), (300, 1)], [], [])


NAMES = [("2057", 2057), (str(INT64_MAX), INT64_MAX), (str(2**70), None), (str(2**63), None), ("٣", None),
         ("12a", None), ("", None)]


@pytest.mark.parametrize(("name", "expected"), NAMES)
def test_an_item_file_named_2_70(name, expected):
    assert item_id_of(name) == expected


def test_file_bounds_are_checked_before_parsing():
    with pytest.raises(ParseError) as big:
        parse_item_file(b" " * (MAX_ITEM_FILE_BYTES + 1))
    assert big.value.kind == "too_large"
    with pytest.raises(ParseError) as many:
        parse_item_file(b"[" + b"{}," * MAX_ITEM_CONTAINERS + b"{}]")
    assert many.value.kind == "too_large" and "JSON objects and arrays" in many.value.detail


def test_states_past_the_cap_keep_the_first(monkeypatch):
    import zxforensics.parse.items as items

    monkeypatch.setattr(items, "MAX_STATES_PER_ITEM", 3)
    states, notes = parse_item_file(json.dumps([{**GOOD, "transactionId": n} for n in range(5)]).encode())
    assert [s["transactionId"] for s in states] == [0, 1, 2]
    assert notes == ["5 states, over the cap of 3 per item: the first 3 kept"]


# -- property: any JSON an item file may hold ----------------------------------------------------
VALUES = json_values()
KEYS = [*CANONICAL_KEYS, "start_date", "item_id", "TYPE", "blobDigest", "states"]
STATES = st.lists(st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=8) | VALUES, max_size=5)


def _json(value: object) -> bytes:
    return json.dumps(value, allow_nan=False).encode()


@settings(max_examples=150, deadline=2000)
@given(states=STATES, item_id=st.integers(0, INT64_MAX))
def test_property_item_json_gives_states_in_range_or_a_parse_error(states, item_id):
    try:
        parsed, _notes = parse_item_file(_json(states))
    except ParseError as exc:
        assert exc.kind in ("invalid_json", "invalid_metadata", "too_large")
        return
    kept, notes = normalize_states(parsed, item_id)
    assert all(isinstance(note, str) and len(note) < 400 for note in notes)
    for state in kept:
        for field in ("item_id", "transaction_id", "folder_id", "size", "revision", "flags", "parent_id", "remote_id"):
            value = state.get(field)
            assert value is None or (type(value) is int and INT64_MIN <= value <= INT64_MAX)
        for field in ("start_date", "end_date", "date"):
            value = state.get(field)
            assert value is None or MIN_EPOCH_MS <= value <= MAX_EPOCH_MS
        assert state["start_date"] is not None
        for field in ("type", "digest", "name", "owner_id", "subject", "sender"):
            assert state.get(field) is None or isinstance(state[field], str)
        assert state.get("tags") is None or all(isinstance(tag, str) for tag in state["tags"])
    if parsed and is_canonical(parsed):
        try:
            table, _problems = canonical_table(parsed, [item_id] * len(parsed))
        except (pa.ArrowException, ValueError, TypeError, OverflowError):
            return  # the scan hands the batch to the tolerant path
        for name in ("start_date", "end_date", "date"):
            values = [v for v in table[name].to_pylist() if v is not None]
            assert all(MIN_EPOCH_MS <= v <= MAX_EPOCH_MS for v in values)
