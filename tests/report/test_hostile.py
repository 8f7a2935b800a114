"""The report on a hostile store: nothing written outside its folder or through a planted link, and nothing
taken from the evidence interpreted as Markdown or HTML (no beacon, no javascript: link, no live markup)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import hostile_store as hs
import pytest
from evidence_snapshot import snapshot

from zxforensics.errors import ZxError
from zxforensics.report.run import run_report
from zxforensics.sample.builder import StoreBuilder

TITLE = "Case <b>42</b> ![t](http://203.0.113.9/title.png)"


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    """One report run over the hostile store, with --force over an output folder holding planted links."""
    folder = tmp_path_factory.mktemp("hostile-report")
    builder = hs.build(StoreBuilder(folder / "evidence"))
    hs.add_path_accounts(builder)
    evidence = builder.root
    (folder / "notification.txt").write_text(hs.notification())
    out = folder / "out"
    out.mkdir()
    for name, target in (("report.html", "backupstat"), ("run_manifest.json", "backupstat"), ("eml", "items"),
                         ("tables", "accounts"), ("timeline.csv", "backupstat")):  # fmt: skip
        (out / name).symlink_to(evidence / target)
    (out / "mine.txt").symlink_to(evidence / "backupstat")  # not the report's: left alone, never written
    before = snapshot(evidence)
    with pytest.raises(ZxError, match="not empty"):
        run_report(evidence, out, notification=folder / "notification.txt", progress=False)
    written = run_report(evidence, out, notification=folder / "notification.txt", title=TITLE, force=True,
                         progress=False)  # fmt: skip
    assert snapshot(evidence) == before, "the report changed the evidence"
    return out, written, written["html"].read_text(encoding="utf-8")


def unescaped(html: str) -> str:
    """The HTML's text with character references decoded (what a reader sees)."""
    return re.sub(r"&#(\d+);", lambda m: chr(int(m[1])), html).replace("&lt;", "<").replace("&gt;", ">").replace(
        "&amp;", "&")


def test_nothing_is_written_outside_the_output_or_through_a_link(ran):
    out, written, _html = ran
    assert not os.path.lexists(hs.ESCAPE_TARGET)
    assert all(Path(p).is_relative_to(out) for p in written.values())
    links = [p for p in out.rglob("*") if p.is_symlink()]
    assert [p.name for p in links] == ["mine.txt"]
    folders = {p.name for p in (out / "eml").iterdir() if p.is_dir()}
    assert set(hs.PATH_MAILS) <= folders  # every unsafe mail fell back to its account id
    assert not any("example.com" in name and name.lower().startswith("twin") for name in folders)
    for account_id in hs.PATH_MAILS:
        assert (out / "eml" / account_id / f"{hs.ITEM_ID}-20130712T143544Z.eml").is_file()


def test_the_html_holds_no_live_markup_from_the_evidence(ran):
    _out, _written, html = ran
    assert not re.search(r"<img\b[^>]*\bsrc=[\"']?https?:", html, re.I)  # no beacon: figures are inline data
    assert not re.search(r"(href|src)\s*=\s*[\"']?\s*javascript:", html, re.I)
    assert not re.search(r"<a\b[^>]*href=[\"']?https?://203\.0\.113", html, re.I)
    assert "<script>alert" not in html and "<b>42</b>" not in html
    assert "\x1b" not in html and "\u202e" not in html
    text = unescaped(html)
    for shown in ("beacon.png", "javascript:alert(1)", "<script>alert(2)", "\\x1b[2J", "title.png"):
        assert shown in text, shown  # ...shown as text


def test_the_check_lines_and_tables_show_the_hostile_values_as_text(ran):
    _out, _written, html = ran
    text = unescaped(html)
    assert f"item {hs.ITEM_ID} of {hs.MAIL} is listed more than once" in text
    assert f"item 400 of {hs.EVIL_MAIL} is listed more than once" in text  # a check line: Markdown, made inert
