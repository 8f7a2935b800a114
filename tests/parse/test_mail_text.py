"""The searchable text of a mail: decoded as a reader sees it, bounded, and never raising on hostile bytes."""

from __future__ import annotations

import base64
import time

import pytest

from zxforensics.errors import ParseError
from zxforensics.parse.mail_text import MAX_CONTAINERS, SEARCH_FIELDS, mail_text
from zxforensics.sample.mail_cases import SEARCH_CASES, SEARCH_MAILS

HEAD = b"From: A <a@example.com>\nTo: b@example.com\nSubject: plain\nMIME-Version: 1.0\n"


def kinds(text) -> list[str]:
    return [p.kind for p in text.problems]


@pytest.mark.parametrize("item", sorted(SEARCH_CASES))
def test_the_sample_search_cases(item):
    text = mail_text(SEARCH_MAILS[item])
    where = [name for name in SEARCH_FIELDS if "4711" in text.fields[name]]
    assert where == ([SEARCH_CASES[item]] if SEARCH_CASES[item] else [])
    assert text.problems == []


def test_what_zgrep_would_see_of_the_sample_cases():
    """The bytes hide the pattern in quoted-printable and base64, and show it in a header nobody reads."""
    in_bytes = {item for item, raw in SEARCH_MAILS.items() if b"invoice 4711" in raw}
    in_text = {item for item, raw in SEARCH_MAILS.items() if "invoice 4711" in " ".join(mail_text(raw).fields.values())}
    assert in_bytes == {8115} and in_text == {8111, 8112}


def test_decoded_text_of_each_encoding():
    assert mail_text(SEARCH_MAILS[8111]).fields["body"].endswith("payment of invoice 4711 is overdue since 30 June.")
    assert mail_text(SEARCH_MAILS[8113]).fields["body"] == "Die Gebühr für Rechnung 4711 ist fällig."
    assert mail_text(SEARCH_MAILS[8116]).fields["subject"] == "Mahnung: Rechnung 4711 überfällig"
    assert mail_text(SEARCH_MAILS[8114]).fields["attachment_names"] == "Rechnung 4711.pdf"


def test_recipients_raw_8bit_headers_and_html():
    raw = ("From: Jürgen <j@example.com>\nTo: a@example.com\nCc: =?iso-8859-1?q?S=F8ren?= <s@example.com>\n"
           "Subject: Réunion\nContent-Type: text/html; charset=utf-8\n\n"
           "<p>Invoice&nbsp;<b>47</b>11</p><p>paid</p>").encode()  # fmt: skip
    text = mail_text(raw)
    assert text.fields["from"] == "Jürgen <j@example.com>" and text.fields["subject"] == "Réunion"
    assert text.fields["to"] == "a@example.com; Søren <s@example.com>"
    assert text.fields["body"] == "Invoice 4711 paid"


def test_only_the_fields_asked_for():
    text = mail_text(SEARCH_MAILS[8114], ("subject",))
    assert text.fields == {"subject": "Documents"}


def test_unknown_charsets_are_problems_and_the_text_is_still_read():
    body = mail_text(HEAD + b"Content-Type: text/plain; charset=x-klingon\n\nqapla 4711\n")
    assert body.fields["body"] == "qapla 4711"
    assert kinds(body) == ["invalid_mime"] and "x-klingon" in body.problems[0].detail
    codec = mail_text(HEAD + b"Content-Type: text/plain; charset=zlib\n\nnot a text codec\n")
    assert "zlib" in codec.problems[0].detail and codec.fields["body"] == "not a text codec"
    header = mail_text(b"Subject: =?x-unknown?q?secret_4711?=\n\nbody\n")
    assert header.fields["subject"] == "secret 4711" and kinds(header) == ["invalid_mime"]
    assert all(isinstance(p, ParseError) for p in body.problems + codec.problems + header.problems)


def test_broken_mime_is_a_problem_and_its_text_is_searched():
    parts = b"--other\nContent-Type: text/plain\n\nlost 4711\n"
    wrong = HEAD + b'Content-Type: multipart/mixed; boundary="declared"\n\n' + parts
    text = mail_text(wrong)
    assert "lost 4711" in text.fields["body"]
    assert kinds(text) and set(kinds(text)) == {"invalid_mime"}
    assert any("Boundary" in p.detail for p in text.problems)
    bad_base64 = mail_text(b"Subject: =?utf-8?b?!!!?=\nContent-Transfer-Encoding: base64\n\n%%%\n")
    assert bad_base64.fields["subject"] == ""  # base64 with no letter of the alphabet: nothing, not a crash


@pytest.mark.parametrize("raw", [b"", b"\x00\xff\xfe\x80garbage", b"Subject: x", b"\n\n\n", b"From nobody\n" * 1000,
                                 b"Content-Type: multipart/mixed\n\n--\n--\n", b"Content-Type: message/rfc822\n\n"])
def test_garbage_never_raises(raw):
    text = mail_text(raw)
    assert set(text.fields) == set(SEARCH_FIELDS)


def nested(depth: int) -> bytes:
    opening = b"".join(b"Content-Type: multipart/mixed; boundary=b%d\n\n--b%d\n" % (i, i) for i in range(depth))
    closing = b"".join(b"\n--b%d--\n" % i for i in reversed(range(depth)))
    return b"Subject: deep 4711\n" + opening + b"Content-Type: text/plain\n\ninner 4711\n" + closing


def test_nesting_is_bounded():
    shallow = mail_text(nested(5))
    assert shallow.fields["body"] == "inner 4711" and shallow.problems == []
    deep = mail_text(nested(30))
    assert deep.fields["body"] == "" and "deeper than 16" in deep.problems[0].detail
    started = time.perf_counter()
    bomb = mail_text(nested(20_000))  # the parser's cost is depth x lines: never handed such a mail
    assert time.perf_counter() - started < 5
    assert bomb.fields["subject"] == "deep 4711" and f"more than {MAX_CONTAINERS}" in bomb.problems[0].detail


def test_parts_and_text_are_bounded():
    many = HEAD + b"Content-Type: multipart/mixed; boundary=b\n\n" + b"".join(
        b"--b\nContent-Type: text/plain\n\npart %d\n" % i for i in range(50)) + b"--b--\n"
    text = mail_text(many, max_parts=10)
    assert text.fields["body"].split() == [w for i in range(9) for w in ("part", str(i))]
    assert "more than 10 MIME parts" in text.problems[0].detail
    big = HEAD + b"Content-Transfer-Encoding: base64\n\n" + base64.encodebytes(b"x" * 5000)
    cut = mail_text(big, max_text=1000)
    assert cut.fields["body"] == "x" * 1000
    two = mail_text(many, max_text=10)
    assert kinds(two) == ["too_large"] and two.fields["body"] == "part 0 part"
