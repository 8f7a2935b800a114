"""Shapes of values without the values: types, forms, ranges, lengths, nesting, masks of unread text."""

from __future__ import annotations

import pytest

from zxforensics.parse.shapes import MAX_DEPTH, MAX_KEYS, Shape, mask, string_form


@pytest.mark.parametrize(("text", "form"), [
    ("", "empty"), ("  ", "empty"), ("12345", "int_text"), ("-3", "int_text"), ("20130712143544Z", "ldap_time"),
    ("n4bQgYhMfWWaL+qgxVrQFaO,TxsrC4Is0V1sFbDwCgg=", "digest_sha256"), ("6f3a2c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b", "uuid"),
    ("TRUE", "bool_text"), ("alice@example.com", "address"), ("2014-01-20T10:00:00Z", "iso"),
    ("20/01/2014 10:00:00", "dd/MM/yyyy"), ("Minutes of the board", "text"), ("2014.01.20", "text"),
])  # fmt: skip
def test_string_form(text, form):
    assert string_form(text) == form


def test_mask_keeps_the_layout_of_date_like_text_only():
    assert mask("2014.01.20 10:00:00") == "9999.99.99 99:99:99"
    assert mask("20 Jan 2014") == "99 Aaa 9999"
    assert mask("Minutes of the board meeting") is None and mask("Q3") is None and mask("9" * 50) is None


def test_shape_merges_types_forms_ranges_and_nesting():
    shape = Shape()
    for value in (3, 9, "abc", None, [1, [2]], {"k": {"j": 1}}, True, 1.5):
        shape.add(value)
    shape.add("2014.01.20 10:00", form="unread")
    shape.add(1_389_945_600_000, form="epoch_ms")
    doc = shape.to_json(str.upper)
    assert doc["int"] == {"count": 2, "range": [3, 9]}
    assert doc["str:text"] == {"count": 1, "len": [3, 3]}
    assert doc["str:unread"]["masks"] == ["9999.99.99 99:99"]
    assert doc["int:epoch_ms"]["range"] == [1_389_916_800_000, 1_390_003_200_000]  # widened to whole days
    assert doc["list"]["items"]["list"]["items"] == {"int": {"count": 1, "range": [2, 2]}}
    assert doc["dict"]["keys"]["K"]["shape"]["dict"]["keys"]["J"]["count"] == 1  # keys through the anonymiser
    assert set(doc) == {"int", "str:text", "str:unread", "int:epoch_ms", "null", "list", "dict", "bool", "float"}


def test_shape_is_bounded_in_depth_and_keys():
    deep: object = 1
    for _ in range(MAX_DEPTH + 3):
        deep = [deep]
    shape = Shape()
    shape.add(deep)
    level, depth = shape.to_json(str), 0
    while "items" in level["list"]:
        level, depth = level["list"]["items"], depth + 1
    assert depth == MAX_DEPTH
    wide = Shape()
    wide.add({f"k{n}": n for n in range(MAX_KEYS + 10)})
    assert len(wide.to_json(str)["dict"]["keys"]) == MAX_KEYS and wide.to_json(str)["dict"]["keys_dropped"] == 10
    shallow = Shape()
    shallow.add([1, 2, 3], shallow=True)
    assert shallow.to_json(str) == {"list": {"count": 1, "len": [3, 3]}}
