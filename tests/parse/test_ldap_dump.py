"""The LDIF reader: linear unfolding, no backtracking pattern, bounded bytes and lines."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zxforensics.parse import ParseError
from zxforensics.parse.ldap_dump import MAX_LDIF_LINES, ldap_records, parse_ldif
from zxforensics.sample.hostile import folded_ldif


def test_an_ldap_ldif_value_folded_over_1m_lines():
    """Quadratic in the ldif package (80,000 lines: 5 s); here one pass (bench/bench_hostile.py times it)."""
    entries = parse_ldif(folded_ldif(1_000_000, width=4))
    assert [dn for dn, _attrs in entries] == ["cn=folded,dc=example,dc=com"]
    assert entries[0][1]["description"] == ["start" + "xxx" * 1_000_000]


def test_a_dn_that_made_the_ldif_package_backtrack():
    """`dn: a=x+a=x+...`: the ldif package's DN pattern took 20 s for 22 pairs; no DN pattern here."""
    dn = "+".join(["a=x"] * 40)
    assert parse_ldif(f"dn: {dn}\nobjectClass: top\n".encode()) == [(dn, {"objectclass": ["top"]})]


def test_rfc_2849_forms():
    text = (b"version: 1\n# a comment\n#  folded\ndn: uid=a,dc=x\nobjectClass: zimbraAccount\nmail: a@x\n"
            b"displayName:: " + base64.b64encode("Bob Müller".encode()) + b"\ndescription: one\n two\r\n"
            b"jpegPhoto:< file:///etc/passwd\nzimbraId: id-a\n\n\ndn: uid=b,dc=x\nobjectClass: zimbraAccount\n")
    entries = parse_ldif(text)
    assert entries[0] == ("uid=a,dc=x", {"objectclass": ["zimbraAccount"], "mail": ["a@x"],
                                         "displayname": ["Bob Müller"], "description": ["onetwo"],
                                         "jpegphoto": [""], "zimbraid": ["id-a"]})  # fmt: skip
    assert [a["name"] for a in ldap_records(entries)["accounts"]] == ["a@x", None]


@pytest.mark.parametrize(
    ("data", "kind"),
    [(b"dn: cn=x\nno colon here\n", "invalid_metadata"), (b"objectClass: top\n", "invalid_metadata"),
     (b"dn: a\ndn: b\n", "invalid_metadata"), (b"dn: a\nx:: YQ\n", "invalid_metadata"),
     (b"\n" * (MAX_LDIF_LINES + 1), "too_large")],
)  # fmt: skip
def test_what_is_no_ldif(data, kind):
    with pytest.raises(ParseError) as caught:
        parse_ldif(data)
    assert caught.value.kind == kind


LINES = st.sampled_from([b"dn: uid=a,dc=x", b"dn:: dWlkPWI=", b"objectClass: zimbraAccount", b"objectClass: zimbraCOS",
                         b"zimbraId: id", b"mail: a@x", b"zimbraCreateTimestamp: 99991231000000Z", b" folded",
                         b"", b"# comment", b"x:: ***", b"cn: default", b"zimbraNotes: ${ZxBackup_Disabled}"])
RAW = st.binary(max_size=40)


@settings(max_examples=200, deadline=1000)
@given(lines=st.lists(LINES | RAW, max_size=25), newline=st.sampled_from([b"\n", b"\r\n"]))
def test_property_ldif_gives_records_or_a_parse_error(lines, newline):
    try:
        entries = parse_ldif(newline.join(lines))
    except ParseError as exc:
        assert exc.kind in ("invalid_metadata", "too_large")
        return
    records = ldap_records(entries)
    for account in records["accounts"]:
        assert account["created"] is None or isinstance(account["created"], int)
        assert all(isinstance(alias, str) for alias in account["aliases"])
