"""zimbraSharedItem grants: key:value pairs, a folderId in int64, anything else a ParseError."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zxforensics.parse import ParseError
from zxforensics.parse.grants import parse_grant

GRANT = "granteeId:acc-2;granteeName:two@example.com;granteeType:usr;folderId:{};folderPath:/Inbox;rights:r"


def test_a_grant_is_read():
    assert parse_grant(GRANT.format(257))["folderId"] == "257"


@pytest.mark.parametrize("folder", ["100000000000000000000000", "1e23", "-9223372036854775809", "x"])
def test_a_zimbra_shared_item_grant_whose_folder_id_is_1e23(folder):
    with pytest.raises(ParseError) as caught:
        parse_grant(GRANT.format(folder))
    assert caught.value.kind == "invalid_metadata" and "folderId" in caught.value.detail


@pytest.mark.parametrize("value", [None, 5, ["folderId:1"], {"folderId": 1}, "folderId", "no folder:1"])
def test_what_is_no_grant(value):
    with pytest.raises(ParseError):
        parse_grant(value)


@settings(max_examples=200, deadline=500)
@given(value=st.one_of(st.text(max_size=80), st.lists(st.sampled_from(["folderId:", "granteeId:", ";", ":", "1",
                                                                          "1e23", "99999999999999999999", "x"]),
                                                       max_size=12).map("".join)))  # fmt: skip
def test_property_grants_parse_or_raise_parse_error(value):
    try:
        grant = parse_grant(value)
    except ParseError as exc:
        assert exc.kind == "invalid_metadata"
    else:
        assert -(2**63) <= int(grant["folderId"]) < 2**63
