"""The LMTP validator's checks: each named in its finding, none raised on a clean message."""

from __future__ import annotations

import pytest

import zxforensics as zx
from zxforensics.investigate.lmtp import CHECKS, Finding, header_fields, validate_message
from zxforensics.sample.messages import SEED_RESTORED_EML
from zxforensics.sample.restore_cases import INVALID_ITEMS

CLEAN = (
    b"From: Alice <alice@example.com>\nTo: bob@example.com\nSubject: =?utf-8?q?R=C3=A9union?=\n"
    b"Date: Mon, 20 Jan 2014 10:00:00 +0100\nMessage-ID: <1@example.com>\nMIME-Version: 1.0\n"
    b'Content-Type: multipart/mixed; boundary="=_b"\n\n--=_b\nContent-Type: text/plain; charset=utf-8\n'
    b"Content-Transfer-Encoding: 8bit\n\nCaf\xc3\xa9 \xe2\x82\xac\n--=_b--\n"
)


def checks(raw: bytes) -> list[str]:
    return [finding.check for finding in zx.validate_message(raw)]


@pytest.mark.parametrize("raw", [CLEAN, CLEAN.replace(b"\n", b"\r\n"), SEED_RESTORED_EML], ids=["lf", "crlf", "seed"])
def test_clean_messages_pass(raw):
    assert zx.validate_message(raw) == []


# item -> every check its message fails, in report order
EXPECTED = {
    6301: ["no_separator"], 6302: ["missing_from"], 6303: ["unparseable_from"], 6304: ["missing_date"],
    6305: ["unparseable_date"], 6306: ["long_header_line"], 6307: ["bare_cr"], 6308: ["mixed_line_ends"],
    6309: ["nul_byte"], 6310: ["8bit_header"], 6311: ["mime_boundary"], 6312: ["mime_boundary", "mime_boundary"],
    6313: ["unparseable_from", "header_parse_error"],
}  # fmt: skip


@pytest.mark.parametrize("item_id", sorted(INVALID_ITEMS))
def test_sample_cases_fail_their_check(item_id):
    _mail, check, raw = INVALID_ITEMS[item_id]
    findings = zx.validate_message(raw)
    assert [f.check for f in findings] == EXPECTED[item_id]
    assert check in EXPECTED[item_id]
    for finding in findings:
        assert isinstance(finding, Finding) and finding.detail.startswith(f"{finding.check}: ")
        assert str(finding) == finding.detail


def test_every_check_has_a_sample_case():
    assert {check for _mail, check, _raw in INVALID_ITEMS.values()} == set(CHECKS)


def test_details():
    assert [str(f) for f in zx.validate_message(INVALID_ITEMS[6306][2])] == [
        "long_header_line: header line 3 is 1331 octets (limit 998)"
    ]
    assert [str(f) for f in zx.validate_message(INVALID_ITEMS[6313][2])] == [
        "unparseable_from: From '\"billing\"@' cannot be parsed",
        "header_parse_error: From makes the parser raise IndexError: string index out of range",
    ]
    assert [str(f) for f in zx.validate_message(INVALID_ITEMS[6310][2])] == [
        "8bit_header: 8-bit byte 0xc3 in header Subject"
    ]


def test_header_that_makes_email_raise_is_a_finding_not_a_crash():
    raw = CLEAN.replace(b"To: bob@example.com\n", b'To: "\nCc: a@[\n')
    findings = zx.validate_message(raw)
    assert [f.check for f in findings] == ["header_parse_error", "header_parse_error"]
    assert findings[0].detail.startswith("header_parse_error: To makes the parser raise IndexError")
    assert findings[1].detail.startswith("header_parse_error: Cc makes the parser raise AttributeError")


def test_line_ends():
    assert checks(CLEAN.replace(b"\n", b"\r\n")) == []  # CRLF throughout
    assert checks(CLEAN) == []  # LF throughout is normal
    assert checks(CLEAN.replace(b"\n", b"\r\n", 3)) == ["mixed_line_ends"]
    assert checks(CLEAN.replace(b"Caf", b"C\raf")) == ["bare_cr"]


def test_boundary_syntax_and_missing_boundary():
    long_boundary = b"x" * 71
    raw = CLEAN.replace(b"=_b", long_boundary)
    assert checks(raw) == ["mime_boundary"]
    no_boundary = CLEAN.replace(b'; boundary="=_b"', b"")
    assert checks(no_boundary) == ["mime_boundary", "mime_boundary"]


def test_sample_store_messages(sample_store):
    """Only the cases added for this check fail among the newest states of the sample's messages."""
    last = sample_store.items("last")
    failing, folders = {}, {}
    for row in last[last["type"] == "message"].itertuples(index=False):
        try:
            raw = sample_store.read_blob(row.digest)
        except zx.EvidenceError:
            continue
        found = checks(raw)
        if found:
            failing[(str(row.account), int(row.item_id))] = found
            folders[(str(row.account), int(row.item_id))] = str(row.folder_path)
    cases = {(mail, item_id) for item_id, (mail, _c, _r) in INVALID_ITEMS.items()}
    cases |= {("account1@domain.com", 1369), ("account2@domain.com", 6314)}
    assert cases <= set(failing)
    others = {key: found for key, found in failing.items() if key not in cases}
    assert others == {}
    assert len(failing) == len(cases) and len(set(folders.values())) >= 1


def test_header_fields_unfold_without_the_email_package():
    raw = b"From: a@b.c\nSubject: one\n two\n\tthree\nX-Bad: caf\xe9\n\nbody: not a header\n"
    assert header_fields(raw) == [("From", "a@b.c"), ("Subject", "one two three"), ("X-Bad", "caf\ufffd")]
    assert header_fields(INVALID_ITEMS[6301][2])[-1] == ("Subject", "No separator")  # stops at the body line


def test_deeply_nested_parts_are_not_walked():
    """A mail of 3,000 nested multiparts: the headers are checked, the tree is not walked (no RecursionError)."""
    depth = 3000
    head = b"From: a@example.com\r\nDate: Mon, 1 Jul 2013 10:00:00 +0000\r\n"
    body = b"".join(b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (i, i) for i in range(depth))
    found = validate_message(head + body + b"text\r\n")
    assert [f.check for f in found] == ["mime_boundary"]
    assert "not walked" in found[0].detail
