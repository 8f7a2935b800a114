"""config.json: nesting bounded (orjson writes at most 254 levels, reads 1,024), rows of text."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import json_values

from zxforensics.parse import ParseError
from zxforensics.parse.server_config import MAX_CONFIG_DEPTH, config_rows, parse_config


@pytest.mark.parametrize("depth", [MAX_CONFIG_DEPTH, 300, 1000, 1030])
def test_config_json_nested_1000_deep(depth):
    """getServerConfig and diffServerConfig failed on orjson's recursion limit: now a ParseError."""
    data = b'{"globalConfig": {"zimbraX": ' + b"[" * depth + b"]" * depth + b"}}"
    with pytest.raises(ParseError) as caught:
        config_rows(parse_config(data))
    assert caught.value.kind in ("invalid_metadata", "invalid_json")


def test_a_config_nested_within_the_bound_gives_rows():
    depth = MAX_CONFIG_DEPTH - 3
    rows = config_rows(parse_config(b'{"globalConfig": {"zimbraX": ' + b"[" * depth + b"]" * depth + b"}}"))
    assert [row[:3] for row in rows] == [("globalConfig", "zimbraX", "")]


VALUES = json_values(max_leaves=20)


@settings(max_examples=150, deadline=1000)
@given(doc=VALUES, depth=st.sampled_from([0, 0, 0, 70, 300]))
def test_property_config_json_gives_text_rows_or_a_parse_error(doc, depth):
    data = json.dumps(doc).encode()
    data = b"[" * depth + data + b"]" * depth if depth else data
    try:
        rows = config_rows(parse_config(data))
    except ParseError as exc:
        assert exc.kind in ("invalid_json", "invalid_metadata")
        return
    for section, ident, key, value in rows:
        assert all(isinstance(text, str) for text in (section, ident, key))
        assert isinstance(value, str) or all(isinstance(v, str) for v in value)
