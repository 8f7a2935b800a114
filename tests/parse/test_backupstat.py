"""backupstat, range-checked: a field that does not read is left out with a note, the rest stays."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import json_values

from zxforensics.format.dates import MAX_EPOCH_MS, MIN_EPOCH_MS
from zxforensics.parse import ParseError
from zxforensics.parse.backupstat import parse_backupstat


def test_backupstat_with_first_scan_1e30():
    stat, notes = parse_backupstat(b'{"serverId": "srv-1", "firstScan": 1e30, "lastScan": 1393556400000,'
                                   b' "numActiveBackupedAccounts": 18, "timeZone": "Europe/Rome"}')  # fmt: skip
    assert stat == {"serverId": "srv-1", "lastScan": 1393556400000, "numActiveBackupedAccounts": 18,
                    "timeZone": "Europe/Rome"}  # fmt: skip
    assert notes == ["backupstat: 'firstScan': date out of range: 1e+30; left out"]


def test_every_field_is_checked():
    stat, notes = parse_backupstat(b'{"firstScan": 1370000000, "lastScan": 0, "numCheckedAccounts": 1e30,'
                                   b' "timeZone": "Mars/Olympus_Mons", "serverId": {"a": 1}, "x": [1, [2]]}')
    assert stat == {"firstScan": 1370000000000, "lastScan": 0, "x": [1, [2]]}  # seconds read as ms; 0 = never
    assert [note.split(":")[1].strip() for note in notes] == ["'numCheckedAccounts'", "'timeZone'", "'serverId'"]


@pytest.mark.parametrize("data", [b"", b"[]", b"{", b"\xff"])
def test_not_an_object_is_a_parse_error(data):
    with pytest.raises(ParseError):
        parse_backupstat(data)


VALUES = json_values(max_leaves=10)
KEYS = ["serverId", "firstScan", "lastScan", "numActiveBackupedAccounts", "numCheckedAccounts", "timeZone", "x"]


@settings(max_examples=150, deadline=1000)
@given(doc=st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=7))
def test_property_backupstat_fields_are_in_range(doc):
    stat, notes = parse_backupstat(json.dumps(doc).encode())
    assert len(stat) + len(notes) == len(doc)
    for key in ("firstScan", "lastScan"):
        assert stat.get(key) is None or MIN_EPOCH_MS <= stat[key] <= MAX_EPOCH_MS
    for key in ("numActiveBackupedAccounts", "numCheckedAccounts"):
        assert stat.get(key) is None or -(2**63) <= stat[key] < 2**63
    assert stat.get("timeZone") is None or isinstance(stat["timeZone"], str)
