"""account_info and account_stat out of range: the bad field is nulled with a note, the account still reads."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import EXTREMES, json_values

from zxforensics.format.dates import MAX_EPOCH_MS, MIN_EPOCH_MS
from zxforensics.parse import ParseError
from zxforensics.parse.account import account_row, parse_account_info, parse_account_stat
from zxforensics.parse.bounds import INT64_MAX, INT64_MIN

INFO = {"zimbraId": "acc-1", "mail": "one@example.com", "zimbraMailAlias": ["a@example.com"]}


@pytest.mark.parametrize("created", ["1e300", "-1e300", "\"99991231000000Z\"", "\"00010101000000Z\"", "[[[1]]]",
                                     "\"not a date\""])  # fmt: skip
def test_zimbra_create_timestamp_1e300(created):
    problems: list[str] = []
    info = parse_account_info(f'{json.dumps(INFO)[:-1]}, "zimbraCreateTimestamp": {created}}}'.encode(), problems)
    row = account_row(info, problems)
    assert (row["account_id"], row["name"], row["aliases"], row["created"]) == (
        "acc-1", "one@example.com", ["a@example.com"], None)  # fmt: skip
    assert len(problems) == 1 and problems[0].startswith("account_info: zimbraCreateTimestamp ")


def test_a_good_create_timestamp_is_kept():
    row = account_row({**INFO, "zimbraCreateTimestamp": "20130712143544Z"})
    assert row["created"] == 1373639744000


def test_account_stat_fields_are_nulled_one_by_one():
    problems: list[str] = []
    stat = parse_account_stat(b'{"lastScan": 1e300, "lastSequence": 18446744073709551615, "deleted": true,'
                              b' "deletedDate": 1389780000000}', problems)  # fmt: skip
    assert stat == {"last_scan": None, "last_sequence": None, "deleted": True, "deleted_date": 1389780000000}
    assert problems == ["account_stat: lastscan: date out of range: 1e+300",
                        "account_stat: lastSequence 18446744073709551615 is out of the int64 range"]  # fmt: skip


def test_an_attribute_nested_too_deep_is_left_out():
    problems: list[str] = []
    info = parse_account_info(b'{"zimbraId": "acc-1", "deep": ' + b"[" * 900 + b"]" * 900 + b"}", problems)
    assert info == {"zimbraId": "acc-1"}
    assert problems == ["account_info: attribute 'deep' is nested deeper than 4: left out"]


VALUES = json_values(max_leaves=10, text=16, extremes=[*EXTREMES, "20130712143544Z", "99991231Z"])
KEYS = ["zimbraId", "mail", "zimbraAccountStatus", "zimbraCOSId", "zimbraMailHost", "zimbraMailAlias",
        "zimbraCreateTimestamp", "lastScan", "lastSequence", "deleted", "deletedDate", "other"]


@settings(max_examples=150, deadline=1000)
@given(doc=st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=8) | VALUES)
def test_property_account_info_and_stat_give_values_in_range_or_a_parse_error(doc):
    data = json.dumps(doc).encode()
    problems: list[str] = []
    try:
        row = account_row(parse_account_info(data, problems), problems)
    except ParseError as exc:
        assert exc.kind in ("invalid_json", "invalid_metadata") and not isinstance(doc, dict)
    else:
        assert all(row[c] is None or isinstance(row[c], str) for c in ("account_id", "name", "status", "cos_id"))
        assert all(isinstance(alias, str) for alias in row["aliases"])
        assert row["created"] is None or MIN_EPOCH_MS <= row["created"] <= MAX_EPOCH_MS
    try:
        stat = parse_account_stat(data, problems)
    except ParseError as exc:
        assert exc.kind in ("invalid_json", "invalid_metadata") and not isinstance(doc, dict)
    else:
        assert all(stat[k] is None or MIN_EPOCH_MS <= stat[k] <= MAX_EPOCH_MS for k in ("last_scan", "deleted_date"))
        assert stat["last_sequence"] is None or INT64_MIN <= stat["last_sequence"] <= INT64_MAX
        assert isinstance(stat["deleted"], bool)
