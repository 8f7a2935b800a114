"""Restore notifications: the seed's excerpt byte for byte, the sample report as text and e-mail."""

from __future__ import annotations

import base64
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sample_paths import SAMPLE_DATA

import zxforensics as zx
from zxforensics.errors import NotAReport, ZxError
from zxforensics.parse.notification import Notification
from zxforensics.sample import restore_cases
from zxforensics.sample.seed_examples import SEED_STATS, SEED_UNRESTORED

NOTES = SAMPLE_DATA / "notifications"
SEED_PAIRS = [(mail, i) for mail, ids in SEED_UNRESTORED.items() for i in ids]


def pairs(frame: pd.DataFrame) -> list[tuple[str, int]]:
    return list(zip(frame["account"], frame["item_id"].astype(int), strict=True))


def test_seed_excerpt_file_is_verbatim():
    raw = (NOTES / "seed_excerpt.txt").read_bytes()
    assert raw == restore_cases.SEED_EXCERPT.encode()
    assert b"  Skipped Items:  125\n" in raw and b"unrestored items: 856,13339,45200, 45655\n" in raw
    assert raw.startswith(b"  [...]\n") and raw.endswith(b"  [...]\n")


@pytest.mark.parametrize("form", ["path", "str_path", "text", "bytes"])
def test_seed_excerpt_parse(form):
    path = NOTES / "seed_excerpt.txt"
    source = {"path": path, "str_path": str(path), "text": path.read_text(), "bytes": path.read_bytes()}[form]
    report = zx.read_notification(source)
    assert isinstance(report, Notification)
    assert report.stats == SEED_STATS == {"restored": 15233, "skipped": 125, "unrestored": 10}
    assert pairs(report.unrestored) == SEED_PAIRS
    assert pairs(report.unrestored)[-4:] == [("account14@domain.com", i) for i in (856, 13339, 45200, 45655)]
    assert list(report.unrestored.columns) == ["account", "item_id"]
    assert report.unrestored["item_id"].dtype == "int64"
    assert report.skipped.empty and report.operation == {}
    # the excerpt is cut ([...]): 7 listed against 10 in the stats line
    assert report.check() == ["unrestored: the stats line says 10, the per-account lists hold 7 (3 not listed)"]


def test_sample_report_text_and_email_agree():
    text = zx.read_notification(NOTES / "restore_report.txt")
    mail = zx.read_notification(NOTES / "restore_report.eml")
    assert text.operation == mail.operation == restore_cases.OPERATION
    assert text.stats == mail.stats
    assert text.stats["skipped"] == 19 and text.stats["unrestored"] == 32
    assert text.check() == [] and mail.check() == []
    expected = [(mail_, i) for mail_, ids in restore_cases.report_unrestored().items() for i in ids]
    assert pairs(text.unrestored) == pairs(mail.unrestored) == expected
    assert pairs(text.skipped) == pairs(mail.skipped)
    assert text.name == mail.name == restore_cases.OPERATION["id"]


def test_sample_email_is_quoted_printable_crlf_with_soft_breaks():
    raw = (NOTES / "restore_report.eml").read_bytes()
    assert b"Content-Transfer-Encoding: quoted-printable\r\n" in raw
    assert b"=\r\n" in raw  # a soft line break inside a long list of ids
    assert raw.count(b"\n") == raw.count(b"\r\n")
    report = zx.read_notification(raw)
    assert len(report.skipped) == 19 and report.check() == []
    lf = zx.read_notification(raw.replace(b"\r\n", b"\n"))
    assert lf.stats == report.stats and pairs(lf.skipped) == pairs(report.skipped)


def test_sample_skipped_items_exist_in_the_store(sample_store):
    report = zx.read_notification(NOTES / "restore_report.txt")
    last = sample_store.items("last")
    present = set(zip(last["account"].astype(str), last["item_id"].astype(int), strict=True))
    assert set(pairs(report.skipped)) <= present
    assert not set(pairs(report.skipped)) & set(pairs(report.unrestored))
    assert report.skipped.groupby("account").size().to_dict() == {"account2@domain.com": 3, "admin@example.com": 16}


def _email(body: str, cte: str, subtype: str = "plain") -> bytes:
    message = EmailMessage(policy=SMTP)
    message["From"] = "zextras@test.domain.com"
    message["Subject"] = "Operation Completed"
    message.set_content(body, subtype=subtype, charset="utf-8", cte=cte)
    return message.as_bytes()


def test_email_base64_and_html():
    body = (NOTES / "seed_excerpt.txt").read_text()
    encoded = _email(body, "base64")
    assert base64.b64encode(b"  [...]\n")[:8] in encoded
    assert pairs(zx.read_notification(encoded).unrestored) == SEED_PAIRS
    html = "<html><body>" + body.replace("\n", "<br>\n") + "</body></html>"
    assert pairs(zx.read_notification(_email(html, "quoted-printable", "html")).unrestored) == SEED_PAIRS


def test_email_file_given_as_text(tmp_path):
    path = tmp_path / "copy.eml"
    path.write_bytes((NOTES / "restore_report.eml").read_bytes())
    as_text = zx.read_notification(path.read_text())
    assert as_text.stats == zx.read_notification(path).stats


def test_no_report_is_a_clear_error(tmp_path):
    path = tmp_path / "letter.txt"
    path.write_text("Dear admin,\nthe restore went fine.\nunrestored items: 12\n")
    with pytest.raises(NotAReport) as info:
        zx.read_notification(path)
    assert isinstance(info.value, ZxError)
    message = str(info.value)
    assert message.startswith(f"no restore report found in {path}: looked for a '- stats -' block")
    assert "'- unrestored items -' block of 'account:' and 'unrestored items:' lines" in message
    with pytest.raises(NotAReport, match="in the e-mail"):
        zx.read_notification(_email("Nothing to see.\n", "quoted-printable"))
    with pytest.raises(NotAReport, match=r"missing\.eml: no such file"):
        zx.read_notification(str(tmp_path / "missing.eml"))


def test_check_findings():
    text = """- stats -
Restored Items: 1,500
Skipped Items:  2
Unrestored Items: 2

- unrestored items -
unrestored items: 7
account: a@x.com
unrestored items: 1, 2,
 3, 1
account: b@x.com
unrestored items: 4,x5

- skipped items -
account: a@x.com
skipped items: 9
"""
    report = zx.read_notification(text)
    assert report.stats == {"restored": 1500, "skipped": 2, "unrestored": 2}
    assert pairs(report.unrestored) == [("", 7), ("a@x.com", 1), ("a@x.com", 2), ("a@x.com", 3), ("a@x.com", 1),
                                        ("b@x.com", 4)]  # fmt: skip
    assert report.check() == [
        "unrestored: ids '7' come before any 'account:' line",
        "unrestored: 'x5' of account b@x.com is not an item id",
        "unrestored: the stats line says 2, the per-account lists hold 6",
        "unrestored: item 1 of a@x.com is listed more than once",
        "skipped: the stats line says 2, the per-account lists hold 1 (1 not listed)",
    ]


def test_read_notifications_concatenates_with_report_column():
    frame = zx.read_notifications([NOTES / "seed_excerpt.txt", NOTES / "restore_report.eml"])
    assert list(frame.columns) == ["report", "kind", "account", "item_id"]
    sizes = frame.groupby(["report", "kind"]).size().to_dict()
    assert sizes == {("seed_excerpt.txt", "unrestored"): 7, (restore_cases.OPERATION["id"], "skipped"): 19,
                     (restore_cases.OPERATION["id"], "unrestored"): 32}  # fmt: skip
    assert zx.read_notifications([]).empty


def test_reading_the_seed_document_finds_its_excerpt():
    """The whole vendor page, prose around the excerpt included, still gives the excerpt's report."""
    page = "How can I identify unrestored items?\nThe skipped items section contains a per-account list " \
           "of unrestored items:\n\n" + restore_cases.SEED_EXCERPT + "\nSkipped Items vs. Unrestored Items\n"
    report = zx.read_notification(page)
    assert report.stats == SEED_STATS and pairs(report.unrestored) == SEED_PAIRS
    assert Path(NOTES / "seed_excerpt.txt").stat().st_size == len(restore_cases.SEED_EXCERPT.encode())


def test_invalid_utf8_is_read_not_fatal():
    """Bytes that are not UTF-8 are decoded (Latin-1 fallback) rather than refused."""
    report = zx.read_notification(
        b"- stats -\nRestored Items: 1\nSkipped Items:  0\nUnrestored Items: 1\n\n"
        b"- unrestored items -\naccount: a\xff@example.com\nunrestored items: 5\n"
    )
    assert report.stats == {"restored": 1, "skipped": 0, "unrestored": 1}
    assert report.unrestored.values.tolist() == [["a\xff@example.com", 5]]


# -- hostile e-mails and texts ---------------------------------------------------------------------
REPORT = b"- stats -\nRestored Items: 1\nSkipped Items:  0\nUnrestored Items: 1\n- unrestored items -\n" \
         b"account: a@example.com\nunrestored items: 7\n"  # fmt: skip


def nested_multiparts(depth: int) -> bytes:
    head = b"From: a@example.com\nTo: b@example.com\nSubject: report\nMIME-Version: 1.0\n"
    opening = b"".join(b'Content-Type: multipart/mixed; boundary="b%d"\n\n--b%d\n' % (n, n) for n in range(depth))
    closing = b"".join(b"\n--b%d--\n" % n for n in reversed(range(depth)))
    return head + opening + b"Content-Type: text/plain\n\n" + REPORT + closing


@pytest.mark.parametrize("depth", [1000, 3000])
def test_a_notification_eml_with_multiparts_nested_1000_deep(depth):
    """RecursionError in the e-mail parser (and 5 s at 500 levels): refused before parsing."""
    with pytest.raises(NotAReport, match="multipart or message parts, over the 50"):
        zx.read_notification(nested_multiparts(depth))


def test_a_notification_eml_nested_a_few_levels_is_read():
    report = zx.read_notification(nested_multiparts(20))
    assert report.stats == {"restored": 1, "skipped": 0, "unrestored": 1}
    assert pairs(report.unrestored) == [("a@example.com", 7)]


@pytest.mark.parametrize("header", [b"Content-Type: text/plain; x=" + b"(" * 3000 + b")" * 3000,
                                    b"Content-Type: message/rfc822\n\n" * 40 + b"Content-Type: text/plain"])
def test_an_eml_whose_headers_or_attached_messages_nest_deep(header):
    try:
        zx.read_notification(b"From: a@example.com\nSubject: r\n" + header + b"\n\n" + REPORT)
    except NotAReport as refused:
        assert "nest" in str(refused) or "no restore report" in str(refused)


@pytest.mark.parametrize("ids", ["7,²", "7," + "9" * 5000, f"7,{2**64}"])
def test_ids_that_are_not_int64_are_problems(ids):
    report = zx.read_notification(REPORT.replace(b"unrestored items: 7", f"unrestored items: {ids}".encode()))
    assert pairs(report.unrestored) == [("a@example.com", 7)]
    assert len(report.problems) == 1 and "is not an item id" in report.problems[0]


def test_a_stat_past_int64_is_a_problem():
    report = zx.read_notification(REPORT.replace(b"Restored Items: 1", f"Restored Items: {10**30}".encode()))
    assert report.stats["restored"] is None and report.problems == [f"stats: a count {'1' + '0' * 30!r} is out of the "
                                                                    "int64 range"]  # fmt: skip


TEXT_LINES = st.sampled_from(["- stats -", "Restored Items: 15,233", "Skipped Items:  1e99", "Unrestored Items: ²",
                              "- unrestored items -", "- skipped items -", "account: a@x", "account: ",
                              "unrestored items: 1, 2,3", "skipped items: 99999999999999999999", "4,5", "[...]",
                              "Operation: restore", "Started: 28/02/2014 04:00:00", ""])  # fmt: skip


@settings(max_examples=150, deadline=2000)
@given(lines=st.lists(TEXT_LINES | st.text(max_size=30), max_size=20))
def test_property_notification_text_gives_a_report_or_not_a_report(lines):
    try:
        report = zx.read_notification("\n".join(lines))
    except NotAReport:
        return
    frame = report.to_frame()
    assert frame["item_id"].between(0, 2**63 - 1).all()
    assert all(v is None or 0 <= v < 2**63 for v in report.stats.values())
    report.check()


PART_TYPES = st.sampled_from([b"multipart/mixed", b"multipart/alternative", b"text/plain", b"text/html",
                              b"message/rfc822", b"text/plain; charset=x-unknown", b"application/octet-stream"])
ENCODINGS = st.sampled_from([b"7bit", b"base64", b"quoted-printable", b"x-bogus"])


@settings(max_examples=120, deadline=2000)
@given(parts=st.lists(st.tuples(PART_TYPES, ENCODINGS, st.binary(max_size=60)), max_size=8),
       boundary_depth=st.booleans())
def test_property_notification_eml_gives_a_report_or_not_a_report(parts, boundary_depth):
    body = b"From: a@example.com\nSubject: report\nMIME-Version: 1.0\n"
    for n, (kind, encoding, payload) in enumerate(parts):
        boundary = b'; boundary="b%d"' % (n if boundary_depth else 0) if kind.startswith(b"multipart") else b""
        body += b"Content-Type: " + kind + boundary + b"\nContent-Transfer-Encoding: " + encoding + b"\n\n"
        body += payload + b"\n" + (b"--b%d\n" % n if boundary else b"")
    body += REPORT
    try:
        report = zx.read_notification(body)
    except NotAReport:
        return
    assert report.to_frame()["item_id"].between(0, 2**63 - 1).all()
