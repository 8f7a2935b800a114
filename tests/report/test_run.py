"""The recovery report: one papermill run on the sample, its HTML, its .eml files and its manifest."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import orjson
import pandas as pd
import pytest
from evidence_snapshot import read_evidence, walk_tree
from pandas.testing import assert_frame_equal

import zxforensics as zx
from zxforensics.errors import ZxError
from zxforensics.report.labels import cause_label
from zxforensics.report.run import OUTPUTS, prepare_out_dir, run_report

SECTIONS = [
    "Executive summary", "Summary", "Restore outcome", "Unrestored items by cause", "Recovered messages",
    "Server configuration changes", "Audit findings", "Appendix: technical details", "About this report",
]  # fmt: skip


def sha256(path: Path) -> str:
    return hashlib.sha256(read_evidence(path)).hexdigest()  # some are evidence files: no atime change


@pytest.fixture(scope="module")
def notification(sample_path) -> Path:
    return sample_path.parent / "notifications" / "restore_report.txt"


@pytest.fixture(scope="module")
def ran(tmp_path_factory, sample_path, notification):
    """The one execution of the report in the tests."""
    out = tmp_path_factory.mktemp("report") / "out"
    written = run_report(sample_path, out, notification=notification, title="Sample report", progress=False)
    html = written["html"].read_text(encoding="utf-8")
    return out, written, html


@pytest.fixture(scope="module")
def expected(sample_store, notification) -> pd.DataFrame:
    return zx.diagnose(sample_store, zx.read_notification(notification))


def text_of(html: str) -> str:
    """The visible text of an HTML page, whitespace collapsed."""
    body = re.sub(r"<(style|script)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)).replace("&amp;", "&")


def block(html: str, heading: str, level: int = 2) -> str:
    """The HTML from a heading to the next one of its level or above (a section, or a part of it)."""
    start = re.search(rf"<h{level}[^>]*>{re.escape(heading)}", html)
    assert start, heading
    end = re.compile(rf"<h[1-{level}][ >]").search(html, start.end())
    return html[start.start() : end.start() if end else len(html)]


def test_paths_written(ran):
    out, written, _ = ran
    assert {k: v.relative_to(out).as_posix() for k, v in written.items()} == {
        "html": "report.html", "pdf": "report.pdf", "notebook": "report.ipynb", "manifest": "run_manifest.json",
        "timeline": "timeline.csv", "eml": "eml", "tables": "tables",
    }  # fmt: skip


def test_html_is_self_contained_with_sections_and_figures(ran):
    _, _, html = ran
    for heading in SECTIONS:
        assert re.search(rf"<h2[^>]*>{re.escape(heading)}", html), heading
    assert "<title>Sample report</title>" in html
    assert re.search(r"<h1[^>]*>Sample report", html)
    # four figures: states over time, items per type and account, causes, findings
    assert html.count('src="data:image/png;base64,') == 4
    # every figure says in words what it shows (nbconvert's default is "No description has been provided")
    alts = re.findall(r'<img alt="([^"]*)"', html)
    assert len(alts) == 4 and "No description" not in html
    assert all(alt.startswith("Bar chart of the ") and len(alt) > 60 for alt in alts), alts
    assert "account1@domain.com: 1 Read error, 6 Refused by the mail server, 1 Not in the backup" in alts[2]
    assert not re.search(r"<script[^>]+src=", html) and "cdnjs" not in html
    # code cells and the notebook's own introduction stay out of the report
    assert "rv.show(" not in html and "report_view" not in html and "backup_path = " not in html
    assert "Not available" not in html and "not there yet" not in html


def test_unrestored_items_with_their_causes(ran, expected):
    out, _, html = ran
    for cause, rows in expected.groupby(expected["cause"].astype(str)):
        section = block(html, f"{cause_label(cause)}: {len(rows)} item", level=3)
        cells = re.findall(r"<td>([^<]*)</td>", section)
        for item in rows.itertuples(index=False):
            assert str(item.item_id) in cells, (cause, item.item_id)
    saved = pd.read_csv(out / "tables" / "diagnosis.csv")
    assert saved[["account", "item_id", "cause"]].values.tolist() == (
        expected[["account", "item_id", "cause"]].astype({"cause": str}).values.tolist()
    )
    # the seed's cases: a missing blob, a truncated newest draft whose second state verifies, a forged blob
    causes = {(r.account, r.item_id): (r.cause, r.last_valid_state) for r in expected.itertuples(index=False)}
    assert causes[("account1@domain.com", 1255)][0] == "read_error"
    assert causes[("account2@domain.com", 49965)] == ("broken", 2)
    assert causes[("account14@domain.com", 856)][0] == "broken"


def test_recoverable_items_extracted_and_listed_with_hashes(ran, expected, sample_path):
    out, _, html = ran
    manifest = pd.read_csv(out / "eml" / "manifest.csv")
    recoverable = expected[expected["recoverable_eml"].astype(bool)]
    assert sorted(zip(manifest["account"], manifest["item_id"], strict=True)) == sorted(
        zip(recoverable["account"], recoverable["item_id"], strict=True)
    )
    section = block(html, "Recovered messages")
    appendix = block(html, "Appendix: technical details")
    for row in manifest.itertuples(index=False):
        path = Path(row.written_path)
        assert path.is_relative_to(out / "eml") and sha256(path) == row.sha256
        assert path.relative_to(out).as_posix() in section
        assert row.sha256 not in section and row.sha256 in appendix  # hashes wait in the appendix
    offer = manifest[manifest["item_id"] == 49965]
    assert offer["transaction_id"].tolist() == [2]  # the newest state that still verifies
    assert b"Offer, version 2." in Path(offer["written_path"].iloc[0]).read_bytes()
    assert not any(rel.endswith(".eml") for rel, _path, _info in walk_tree(sample_path))  # no atime moved


def test_manifest_hashes_match_the_files(ran, notification, sample_store):
    out, _, _ = ran
    manifest = orjson.loads((out / "run_manifest.json").read_bytes())
    assert manifest["parameters"]["notification"] == str(notification.resolve())
    assert manifest["parameters"]["out_dir"] == str(out.resolve())
    assert manifest["versions"]["zxforensics"] == zx.__version__
    assert {"pandas", "matplotlib", "papermill", "nbconvert"} <= set(manifest["versions"])
    assert manifest["started"] < manifest["ended"]
    written = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()} - {"run_manifest.json"}
    assert {o["path"] for o in manifest["outputs"]} == written
    for entry in manifest["outputs"]:
        assert sha256(out / entry["path"]) == entry["sha256"], entry["path"]
    roles = {}
    for entry in manifest["inputs"]:
        assert sha256(Path(entry["path"])) == entry["sha256"], entry["path"]
        roles.setdefault(entry["role"], []).append(entry["path"])
    assert roles["notification"] == [str(notification.resolve())]
    # every archive the report read (an archive whose name does not parse is not read)
    archives = sorted(str((sample_store.root / p).resolve()) for p in sample_store.server_archives()["path"])
    assert len(archives) >= 21
    assert sorted(str(Path(p).resolve()) for p in roles["server_archive"]) == archives
    assert len(roles["blob"]) == len(pd.read_csv(out / "eml" / "manifest.csv"))


def test_config_and_audit_sections_show_real_content(ran):
    out, _, html = ran
    changes = pd.read_csv(out / "tables" / "config_changes.csv")
    # the seed's zimbraMailMode is `both` in the last snapshot; it was changed in the week
    mode = changes[(changes["id"] == "zimbraMailMode") & (changes["key"] == "test.domain.com")]
    assert mode[["after", "change"]].values.tolist() == [["both", "changed"]]
    config = text_of(block(html, "Server configuration changes"))
    for row in changes.itertuples(index=False):
        assert f"{row.section} {row.id}" in config
    assert "postfix/conf/main.cf" in config and "+message_size_limit" in config
    findings = pd.read_csv(out / "tables" / "findings.csv")
    pairs = set(zip(findings["kind"], findings["item_id"], strict=True))
    assert {("missing_blob", 1255), ("truncated_gzip", 49965), ("digest_mismatch", 856), ("not_gzip", 5001),
            ("too_large", 5002), ("double_gzip", 5010)} <= pairs  # fmt: skip
    audit = text_of(block(html, "Audit findings"))
    assert f"found {len(findings)} findings" in audit
    # the forecast is at the backup's last scan (28/02/2014 04:00:00 in Paris), heading and table alike
    assert "Retention: what a purge at the backup's last scan (28/02/2014 04:00:00) would remove" in audit
    assert "Purge date 28/02/2014 04:00:00" in audit and "(UTC)" not in audit
    assert "dave@domain.com deleted" in audit
    assert "Shares" in audit and "Grantee missing" in audit and "grantee_missing" not in audit
    assert "carol@domain.com) is not in the backup" not in audit  # carol is listed under Accounts


def test_existing_out_dir_refused_without_force(ran, sample_path):
    out, _, _ = ran
    with pytest.raises(ZxError, match="not empty"):
        run_report(sample_path, out)


def test_force_replaces_only_the_reports_files(tmp_path, sample_path):
    out = tmp_path / "out"
    (out / "eml" / "a@b").mkdir(parents=True)
    (out / "eml" / "a@b" / "1.eml").write_bytes(b"old")
    (out / "report.html").write_text("old")
    (out / "notes.txt").write_text("mine")
    with pytest.raises(ZxError, match="not empty"):
        prepare_out_dir(sample_path, out, force=False)
    prepare_out_dir(sample_path, out, force=True)
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]
    assert set(OUTPUTS) >= {"report.html", "eml", "run_manifest.json"}


def test_out_dir_inside_backup_path_refused(sample_path):
    for inside in (sample_path / "report", sample_path, sample_path / "accounts" / "x"):
        with pytest.raises(ZxError, match="backup path"):
            run_report(sample_path, inside)
    assert not (sample_path / "report").exists()


def test_the_first_screen_answers_the_managers_questions(ran, expected):
    """What was asked, how many items are lost, how many are back and where, why, and what to do next."""
    _, _, html = ran
    summary = text_of(block(html, "Executive summary"))
    back = expected[expected["recoverable_eml"].astype(bool)]
    lost = expected[~expected["recoverable_eml"].astype(bool)]
    total = len(expected)
    assert (len(expected), len(back), len(lost)) == (32, 18, 14)
    assert "What was asked: External Restore on server test.domain.com, started on 03/03/2014 09:12:05" in summary
    assert f"did not restore {total}" in summary
    assert (f"{len(back)} of the {total} can be recovered now (15 refused by the mail server as they "
            "are, 2 intact in the backup, 1 from an earlier intact version)") in summary  # fmt: skip
    assert "as .eml files in the folder eml/ beside this report" in summary
    assert f"{len(lost)} of the {total} cannot be recovered from this backup" in summary
    counts = lost["cause"].astype(str).value_counts()
    assert f"{counts['read_error']} items because the backup cannot read them" in summary
    assert f"{counts['not_in_backup']} items because the backup holds no copy of them" in summary
    assert "What to do next:" in summary and "Retry the restore" in summary
    # the table of contents follows it, one link per section
    toc = re.search(r'<nav class="zx-toc".*?</nav>', html, re.S)[0]
    assert re.findall(r'<a href="#[^"]+">([^<]+)</a>', toc) == SECTIONS[1:]
    # one time zone, named once at the top
    assert text_of(html).count("Europe/Paris") <= 3  # the title line, the chart's axis title and its alt text
    assert "All times in this report are in the server's time zone, Europe/Paris" in text_of(html)


def test_tables_speak_words_not_codes(ran):
    _, _, html = ran
    main = html[: html.index('id="Appendix:-technical-details"')]
    cells = re.findall(r"<td>(?:<span[^>]*>)?([^<]*)", main)
    assert "True" not in cells and "False" not in cells and {"yes", "no"} <= set(cells)
    assert not re.search(r"\b[0-9a-f]{64}\b", main)  # no SHA-256 before the appendix
    headings = re.findall(r"<h[23][^>]*>([^<]*)", main)
    assert not [h for h in headings if re.search(r"\b[a-z]+_[a-z_]+\b", h)], headings  # no read_error, ...
    assert "Message size, as the metadata states them (newest states)" in text_of(main)
    assert re.search(r"Message size, as the metadata states them \(newest states\) \d+\.\d MB", text_of(main))
    assert "629752833" not in main and "recoverable_eml" not in main and "last_valid_state" not in main


def test_the_pdf_has_the_sections_of_the_html(ran):
    from pypdf import PdfReader

    out, written, _ = ran
    reader = PdfReader(written["pdf"])
    title, sections = reader.outline[0], reader.outline[1]  # the bookmarks: the title, then its sections
    assert title.title == "Sample report"
    top = [entry for entry in sections if not isinstance(entry, list)]
    assert [entry.title for entry in top] == SECTIONS
    pages = [reader.get_destination_page_number(entry) for entry in top]
    # the executive summary shares the first page with the title; every other section starts a page
    assert pages[0] == 0 and pages[1:] == sorted(set(pages[1:])) and 0 not in pages[1:]
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "cannot be recovered from this backup" in text and "Contents" in text
    manifest = orjson.loads((out / "run_manifest.json").read_bytes())
    assert manifest["pdf"]["written"] is True and manifest["pdf"]["engine"].endswith("chromium")


def test_retention_at_the_last_scan_or_at_the_date_given(sample_path, tmp_path):
    from zxforensics.report import view

    ctx = view.open_report(sample_path, out_dir=tmp_path / "a")
    assert view.rs.retention_forecast(ctx).at == ctx.store.last_scan()
    given = view.open_report(sample_path, out_dir=tmp_path / "b", purge_date="01/01/2014 00:00:00")
    plan = view.rs.retention_forecast(given)
    assert plan.at == pd.Timestamp("2013-12-31 23:00:00", tz="UTC")  # midnight in Paris
    heading = view._retention(given)[0].data
    assert heading == "### Retention: what a purge on the date given (01&#47;01&#47;2014 00&#58;00&#58;00) would remove"


def test_the_report_opens_the_index_it_is_given(sample_path, tmp_path):
    """The notebook's `index` parameter: None the default index, False none, a path that folder."""
    from zxforensics.report import view

    assert view.open_report(sample_path, out_dir=tmp_path / "a", index=False).store.index_dir is None
    ctx = view.open_report(sample_path, out_dir=tmp_path / "b", index=tmp_path / "idx")
    assert ctx.store.index_dir == tmp_path / "idx"
    default = view.open_report(sample_path, out_dir=tmp_path / "c").store.index_dir
    assert default is not None and tmp_path not in default.parents


def test_the_audit_of_a_report_reads_again_only_the_blobs_its_preflight_did_not_verify(sample_path, tmp_path,
                                                                                        audit_reads):  # fmt: skip
    """The report's diagnosis (the pre-flight, without a notification) reads and verifies most blobs; its
    audit takes those verdicts and reads the rest: the findings of an audit that reads every blob."""
    from zxforensics.report import view

    read = audit_reads
    expected = zx.open_backup(sample_path, index=False).audit(progress=False)
    every = len(read)
    read.clear()
    ctx = view.open_report(sample_path, out_dir=tmp_path / "ctx", index=False)
    assert len(view.rs.diagnosis(ctx))  # the sample's items a restore would leave behind
    assert_frame_equal(view.rs.findings(ctx), expected)
    assert len(ctx.verified) > every // 2 and 0 < len(read) < every // 2


def test_the_audit_of_a_report_on_a_dask_cluster(ran, sample_path, notification, tmp_path, dask_client):
    """`scheduler`: the same findings, the blobs verified by the cluster's workers; the run records it."""
    from zxforensics.report import view

    address = dask_client.scheduler.address
    ctx = view.open_report(sample_path, out_dir=tmp_path / "ctx", scheduler=address)
    try:
        assert ctx.client is not None and ctx.client.scheduler.address == address
        assert_frame_equal(view.rs.findings(ctx), zx.open_backup(sample_path).audit(progress=False))
    finally:
        ctx.client.close()
    out = tmp_path / "out"
    written = run_report(sample_path, out, notification=notification, title="Sample report", progress=False,
                         pdf=False, scheduler=address)  # fmt: skip
    assert (out / "tables" / "findings.csv").read_bytes() == (ran[0] / "tables" / "findings.csv").read_bytes()
    assert orjson.loads(written["manifest"].read_bytes())["parameters"]["scheduler"] == address
