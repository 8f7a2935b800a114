"""The recovery report: one papermill run on the sample, its HTML, its .eml files and its manifest."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import orjson
import pandas as pd
import pytest
from evidence_snapshot import read_evidence, walk_tree

import zxforensics as zx
from zxforensics.errors import ZxError
from zxforensics.report.run import OUTPUTS, prepare_out_dir, run_report

SECTIONS = [
    "Summary", "Restore outcome", "Unrestored items by cause", "Recovered messages",
    "Server configuration changes", "Audit findings", "About this report",
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
        "html": "report.html", "notebook": "report.ipynb", "manifest": "run_manifest.json",
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
    assert not re.search(r"<script[^>]+src=", html) and "cdnjs" not in html
    # code cells and the notebook's own introduction stay out of the report
    assert "rv.show(" not in html and "report_view" not in html and "backup_path = " not in html
    assert "Not available" not in html and "not there yet" not in html


def test_unrestored_items_with_their_causes(ran, expected):
    out, _, html = ran
    for cause, rows in expected.groupby(expected["cause"].astype(str)):
        section = block(html, f"{cause}: {len(rows)} item", level=3)
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
    for row in manifest.itertuples(index=False):
        path = Path(row.written_path)
        assert path.is_relative_to(out / "eml") and sha256(path) == row.sha256
        assert row.sha256 in section and path.relative_to(out).as_posix() in section
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
    assert "Retention: what a purge on" in audit and "dave@domain.com deleted" in audit
    assert "Shares" in audit and "grantee_missing" in audit


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
