"""Describers beside the item parser: where an item keeps its states, whether the tolerant parse reads a
value of a field, and which of its tolerant forms the value takes."""

from __future__ import annotations

import pytest

from zxforensics.format.dates import BadDate
from zxforensics.parse.items import container_form, normalize_states, read_field, state_list, value_form


@pytest.mark.parametrize(("doc", "form"), [
    ([{"transactionId": 1}], "array"), ({"states": []}, "wrapped:states"), ({"item_states": [1]}, "wrapped:itemstates"),
    ({"transactionId": 1, "startDate": 5}, "single"), ({"item": 1}, None), ("text", None), (3, None),
])  # fmt: skip
def test_container_form_agrees_with_state_list(doc, form):
    assert container_form(doc) == form
    if form is not None:
        assert isinstance(state_list(doc), list)


@pytest.mark.parametrize(("field", "value", "readable"), [
    ("item_id", "257", True), ("item_id", "x", False), ("item_id", True, False), ("start_date", "17/01/2014", True),
    ("start_date", "2014.01.17", False), ("type", 5, True), ("type", {"a": 1}, False), ("deleted", "yes", True),
    ("name", 2013, True), ("subject", None, True), ("tags", ["a", None], True), ("tags", [1], True),
    ("tags", "one", True), ("digest", "abc", True),
])  # fmt: skip
def test_read_field_is_what_the_tolerant_parse_reads(field, value, readable):
    spelled = {"item_id": "id", "start_date": "startDate", "type": "type", "deleted": "deleted", "name": "name",
               "subject": "subject", "tags": "tags", "digest": "digest"}[field]  # fmt: skip
    if readable:
        read_field(field, value)
    else:
        with pytest.raises((ValueError, TypeError, BadDate)):
            read_field(field, value)
    if field in ("item_id", "start_date", "deleted", "digest"):  # where the parse itself refuses a value
        state = {"transactionId": 1, "startDate": 1_389_945_600_000, spelled: value}
        kept, problems = normalize_states([state], 257 if field != "item_id" else None)
        assert bool(kept) == readable, problems


@pytest.mark.parametrize(("field", "value", "form"), [
    ("start_date", 1_389_945_600, "epoch_s"), ("type", "message", "type_name"),
    ("type", "MESSAGE", "type_name_other_case"),
    ("type", "mail", "type_name_unknown"), ("type", 5, "type_code"), ("type", "99", "type_code_unknown"),
    ("type", True, None), ("deleted", "false", "bool_text"), ("deleted", 0, "bool_number"), ("deleted", False, None),
    ("size", "1024", "int_text"), ("size", 1024, None), ("subject", "x", None),
])  # fmt: skip
def test_value_form(field, value, form):
    assert value_form(field, value) == form
