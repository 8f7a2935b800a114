"""The scan against hostile item files: values out of range, parsers that fail in ways nobody foresaw,
huge histories. One file never breaks a verb: it becomes errors rows, and item_states, get_item,
items at a date and the timeline still work; the evidence is never touched."""

from __future__ import annotations

import json
import os

import orjson
import pandas as pd
import pytest
from evidence_snapshot import snapshot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import EXTREMES, json_values

import zxforensics as zx
from zxforensics.investigate.timeline import timeline
from zxforensics.parse.bounds import MAX_ITEM_FILE_BYTES, MAX_STATES_PER_ITEM
from zxforensics.parse.item_columns import CANONICAL_KEYS
from zxforensics.sample.builder import StoreBuilder
from zxforensics.store.backup import BackupStore

GOOD = {"transactionId": 1, "id": 300, "type": "message", "folderId": 2, "startDate": 1373639744000, "subject": "ok"}


def store_with(make_store, files: dict[str, bytes]):
    """One account with a good item 300, plus `files` (relative to the account's folder)."""
    builder = make_store()
    builder.account({"zimbraId": "acc-1", "mail": "one@example.com"}, {"lastScan": 1393556400000})
    builder.item("acc-1", 300, [GOOD])
    for rel, data in files.items():
        builder.write(f"accounts/acc-1/{rel}", data)
    return builder.root


def every_verb(root) -> BackupStore:
    """item_states, get_item, items at a date and the timeline over a store; returns the store."""
    store = zx.open_backup(root)
    states = store.item_states()
    assert 300 in states["item_id"].tolist()
    assert store.get_item("one@example.com", 300)["subject"].tolist() == ["ok"]
    assert 300 in store.items(date="12/07/2013 15:00:00")["item_id"].tolist()
    assert len(timeline(store)) == len(states)
    store.accounts()
    return store


def rows(store) -> list[tuple[str, str, str]]:
    errors = store.errors
    return sorted(zip(errors["path"], errors["kind"].astype(str), errors["detail"], strict=True))


@pytest.mark.parametrize(
    ("state", "detail"),
    [
        ('"id": 1180591620717411303424', "state 0: item_id 1.1805916207174113e+21 is out of the int64 range"),
        ('"startDate": 1e23', "state 0: start_date: date out of range: 1e+23"),
        ('"transactionId": 18446744073709551615',
         "state 0: transaction_id 18446744073709551615 is out of the int64 range"),
        ('"startDate": 100000000000000000', "state of transaction 1: start_date 100000000000000000 is out of range"),
        ('"startDate": 9223372036854775807', "state of transaction 1: start_date 9223372036854775807 is out of range"),
        ('"endDate": -9223372036854775808', "state of transaction 1: end_date -9223372036854775808 is out of range"),
    ],
)  # fmt: skip
def test_out_of_range_numbers_in_one_item_file_break_no_verb(make_store, state, detail):
    base = {k: v for k, v in {**GOOD, "id": 301}.items() if k != state.split('"')[1]}
    bad = f"[{json.dumps(base)[:-1]}, {state}}}]".encode()
    store = every_verb(store_with(make_store, {"items/01/301": bad}))
    assert rows(store) == [("accounts/acc-1/items/01/301", "invalid_metadata", detail)]


def test_an_item_file_named_2_70(make_store):
    name = str(2**70)
    store = every_verb(store_with(make_store, {f"items/{name[-2:]}/{name}": orjson.dumps([GOOD])}))
    assert rows(store) == [(f"accounts/acc-1/items/{name[-2:]}/{name}", "bad_name", "item file name is not an item id")]


@pytest.mark.parametrize("error", [OverflowError, RecursionError, ValueError, TypeError, UnicodeError, MemoryError])
def test_an_unexpected_exception_while_parsing_one_file_becomes_its_row(make_store, monkeypatch, error):
    import zxforensics.store.item_files as item_files

    real = item_files.parse_item_file

    def failing(data: bytes):
        if b"explode" in data:
            raise error("a parser bug")
        return real(data)

    monkeypatch.setattr(item_files, "parse_item_file", failing)
    store = every_verb(store_with(make_store, {"items/01/301": b'[{"explode": 1}]'}))
    kind = "too_large" if error is MemoryError else "invalid_metadata"
    detail = f"unexpected {error.__name__} while parsing: a parser bug"
    assert rows(store) == [("accounts/acc-1/items/01/301", kind, detail)]


def test_an_unexpected_exception_for_a_whole_account_keeps_its_row(make_store, monkeypatch):
    import zxforensics.store.scan as scan

    real = scan.scan_account_items

    def failing(ev, account_id, errors, pool=None):
        if account_id == "acc-2":
            raise RecursionError("deep")
        return real(ev, account_id, errors, pool)

    monkeypatch.setattr(scan, "scan_account_items", failing)
    root = store_with(make_store, {})
    (root / "accounts/acc-2").mkdir()
    store = every_verb(root)
    assert ("accounts/acc-2", "invalid_metadata", "unexpected RecursionError while parsing: deep") in rows(store)


def test_states_per_item_are_capped(make_store):
    states = [{"transactionId": n, "startDate": 1373639744000 + n} for n in range(MAX_STATES_PER_ITEM + 1)]
    store = zx.open_backup(store_with(make_store, {"items/01/301": orjson.dumps(states)}))
    assert (store.item_states()["item_id"] == 301).sum() == MAX_STATES_PER_ITEM
    assert rows(store) == [("accounts/acc-1/items/01/301", "too_large",
                            f"{MAX_STATES_PER_ITEM + 1} states, over the cap of {MAX_STATES_PER_ITEM} per item: "
                            f"the first {MAX_STATES_PER_ITEM} kept")]  # fmt: skip


def test_a_huge_item_file_is_refused_unread(make_store):
    """A 200 MB history of 2M states took 15 s and 1.9 GiB: past 32 MiB the file is not read (sparse here)."""
    root = store_with(make_store, {"items/01/301": b"["})
    os.truncate(root / "accounts/acc-1/items/01/301", MAX_ITEM_FILE_BYTES + 1)
    store = every_verb(root)
    assert rows(store) == [("accounts/acc-1/items/01/301", "too_large",
                            f"{MAX_ITEM_FILE_BYTES + 1} bytes, over the {MAX_ITEM_FILE_BYTES}-byte limit")]  # fmt: skip


def test_account_info_and_stat_out_of_range(make_store):
    root = store_with(make_store, {})
    (root / "accounts/acc-1/account_info").write_bytes(b'{"zimbraId": "acc-1", "mail": "one@example.com",'
                                                      b' "zimbraCreateTimestamp": 1e300}')  # fmt: skip
    (root / "accounts/acc-1/account_stat").write_bytes(b'{"lastScan": 1e300, "deleted": false}')
    store = every_verb(root)
    account = store.accounts().iloc[0]
    assert account["name"] == "one@example.com" and pd.isna(account["created"]) and pd.isna(account["last_scan"])
    assert rows(store) == [
        ("accounts/acc-1/account_info", "invalid_metadata",
         "account_info: zimbraCreateTimestamp 1e+300 is not a date in range"),
        ("accounts/acc-1/account_stat", "invalid_metadata", "account_stat: lastscan: date out of range: 1e+300")]


# -- a fuzzed store ------------------------------------------------------------------------------
VALUES = json_values(max_leaves=6, text=8, extremes=[*EXTREMES, [], {}, [[[[]]]]])
GIVEN = ("transactionId", "startDate")  # always present: a state without them says little
STATE = st.fixed_dictionaries(
    {"transactionId": st.integers(0, 5) | VALUES, "startDate": st.just(1373639744000) | VALUES},
    optional={key: VALUES for key in [*CANONICAL_KEYS, "start_date", "Type"] if key not in GIVEN},
)
DOCUMENT = st.one_of(st.lists(STATE, max_size=4).map(lambda s: json.dumps(s).encode()),
                     VALUES.map(lambda v: json.dumps(v).encode()), st.binary(max_size=80))
NAMES = st.sampled_from(["items/01/301", "items/02/302", "items/42/4201", "items/05/4201", "items/99/nine",
                         f"items/24/{2**70}", "items/xx/1", "account_stat", "account_info"])


@pytest.fixture(scope="module")
def fuzz_root(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])  # fmt: skip
@given(files=st.dictionaries(NAMES, DOCUMENT, min_size=1, max_size=3))
def test_property_a_fuzzed_store_scans_without_raising_and_is_left_untouched(fuzz_root, files):
    import shutil

    root = fuzz_root / "store"
    shutil.rmtree(root, ignore_errors=True)
    builder = StoreBuilder(root)
    builder.account({"zimbraId": "acc-1", "mail": "one@example.com"}, {"lastScan": 1393556400000})
    builder.item("acc-1", 300, [GOOD])
    for rel, data in files.items():
        builder.write(f"accounts/acc-1/{rel}", data)
    before = snapshot(root)
    store = zx.open_backup(root)
    states = store.item_states()
    errors = store.errors
    assert 300 in states["item_id"].tolist()
    assert set(errors["kind"].astype(str)) <= {"invalid_json", "invalid_metadata", "bad_name", "misplaced",
                                               "too_large", "not_regular_file"}  # fmt: skip
    for column in ("start_date", "end_date"):
        low, high = pd.Timestamp.min.tz_localize("UTC"), pd.Timestamp.max.tz_localize("UTC")
        assert states[column].dropna().between(low, high).all()
    store.accounts()
    assert snapshot(root) == before


def test_an_nn_folder_that_is_a_link_is_never_followed_and_says_where_it_leads(make_store, tmp_path):
    """`items/01 -> /outside`: a link out of the tree is `link_outside`, not merely misplaced; one inside the
    tree stays misplaced (a link, not an NN folder). Neither is listed: their files are no states."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "101").write_bytes(orjson.dumps([{**GOOD, "id": 101}]))
    root = store_with(make_store, {})
    items = root / "accounts/acc-1/items"
    (items / "01").symlink_to(outside)
    (items / "02").symlink_to(items / "00")
    store = every_verb(root)
    assert rows(store) == [
        ("accounts/acc-1/items/01", "link_outside", f"a link to {outside}, outside the backup path"),
        ("accounts/acc-1/items/02", "misplaced", "a link, not an NN item folder"),
    ]
    assert sorted(store.item_states()["item_id"]) == [300]
