"""The restore views: every action is a plain function, called here without a browser."""

from __future__ import annotations

import csv

import pandas as pd
import pytest
from sample_paths import SAMPLE_DATA

import zxforensics as zx
from zxforensics.errors import ZxError
from zxforensics.investigate.diagnose import CAUSES, cause_counts, report_summary
from zxforensics.investigate.extract import recover_item
from zxforensics.report import plots
from zxforensics.widgets import restore as rw
from zxforensics.widgets.common import figure_png, frame_html

REPORT = SAMPLE_DATA / "notifications" / "restore_report.eml"


@pytest.fixture(scope="module")
def case(sample_store):
    report = zx.read_notification(REPORT)
    return rw.RestoreCase(sample_store, report, zx.diagnose(sample_store, report))


def test_open_case(sample_path):
    opened = rw.open_case(sample_path, REPORT)
    assert len(opened.diagnosis) == 32 and opened.report.stats["unrestored"] == 32


def test_report_stats(case):
    stats = dict(report_summary(case.report, case.diagnosis).itertuples(index=False))
    assert stats["operation"] == "External Restore" and stats["server"] == "test.domain.com"
    assert stats["unrestored items"] == "32" and stats["skipped items"] == "19"
    assert stats["listed unrestored"] == "32" and stats["listed skipped"] == "19"
    assert stats["check"] == "the per-account lists add up to the stats line"
    assert [stats[f"cause {c}"] for c in CAUSES] == ["5", "7", "15", "3", "2"]


def test_cause_chart(case):
    fig = plots.causes(case.diagnosis)
    ax = fig.axes[0]
    accounts = [label.get_text() for label in ax.get_yticklabels()]
    assert accounts == list(cause_counts(case.diagnosis).index)
    assert len(ax.patches) == len(accounts) * len(CAUSES)
    widths = {(p.get_y(), p.get_facecolor()): p.get_width() for p in ax.patches}
    assert sum(widths.values()) == 32
    assert [t.get_text() for t in ax.get_legend().get_texts()] == list(CAUSES)
    assert figure_png(fig).startswith(b"\x89PNG")


def test_filters(case):
    options = rw.account_options(case.diagnosis)
    assert options[0] == rw.ALL and len(options) == 9 and "frank@example.com" in options
    items = rw.filter_items(case.diagnosis, "account2@domain.com")
    assert items["item_id"].tolist() == [49965, 6314, 50001]
    assert list(items.columns) == rw.ITEM_COLUMNS
    assert rw.filter_items(case.diagnosis, "ACCOUNT2@domain.com", "broken")["item_id"].tolist() == [49965]
    assert rw.filter_items(case.diagnosis, rw.ALL, "restorable")["item_id"].tolist() == [5010, 24700]
    assert len(rw.filter_items(case.diagnosis)) == 32
    assert rw.filter_items(case.diagnosis, "frank@example.com", "broken").empty


def test_history_view(case):
    history = rw.history_view(case.store, "account2@domain.com", 49965)
    assert history["transaction_id"].tolist() == [1, 2, 3]
    assert history["start_date"].tolist() == ["10/01/2014 10:00:00", "11/01/2014 10:00:00", "12/01/2014 10:00:00"]
    assert history["end_date"].tolist()[-1] == ""
    assert history["blob"].tolist()[:2] == ["verifies", "verifies"]
    assert history["blob"].iloc[2].startswith("truncated_gzip: ")
    missing = rw.history_view(case.store, "account14@domain.com", 13339)
    assert missing["note"].iloc[0].startswith("item 13339 of account14@domain.com not found")


def test_extract_eml(case, tmp_path):
    result = recover_item(case.store, case.diagnosis, "account2@domain.com", 49965, tmp_path)
    assert result["status"] == "written"
    assert result["path"] == tmp_path / "account2@domain.com" / "49965-20140111T090000Z.eml"
    assert result["row"]["transaction_id"] == 2 and result["row"]["verified"]
    headers = dict(result["headers"].itertuples(index=False))
    assert headers["Subject"] == "Offer v2" and headers["Message-ID"] == "<fault-49965@domain.com>"
    with (tmp_path / "manifest.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["account"], r["item_id"], r["transaction_id"]) for r in rows] == [("account2@domain.com", "49965", "2")]
    again = recover_item(case.store, case.diagnosis, "account2@domain.com", 49965, tmp_path)
    assert again["status"] == "exists" and again["message"].startswith("already extracted: ")
    assert again["headers"].equals(result["headers"])
    assert len((tmp_path / "manifest.csv").read_text().splitlines()) == 2


def test_extract_invalid_message_shows_raw_headers(case, tmp_path):
    result = recover_item(case.store, case.diagnosis, "frank@example.com", 6313, tmp_path)
    assert result["status"] == "written"
    assert dict(result["headers"].itertuples(index=False))["From"] == '"billing"@'


def test_extract_refusals(case, tmp_path, sample_path):
    broken = recover_item(case.store, case.diagnosis, "bob@example.com", 5002, tmp_path)
    assert broken["status"] == "not_recoverable" and broken["path"] is None
    assert broken["message"] == ("item 5002 of bob@example.com: nothing to extract (broken: blob of state 1 "
                                 "too_large: decompresses past the 536870912-byte limit)")  # fmt: skip
    unknown = recover_item(case.store, case.diagnosis, "bob@example.com", 1, tmp_path)
    assert unknown["message"].endswith("(not in the diagnosis)")
    with pytest.raises(ZxError, match="refusing to write into the backup path"):
        recover_item(case.store, case.diagnosis, "account2@domain.com", 49965, sample_path / "out")
    assert not list(tmp_path.iterdir())


def test_view_initial_values_and_filters(case, tmp_path):
    view = rw.UnrestoredItemsView(case, tmp_path, account="Account2@domain.com")
    assert view.account.value == "account2@domain.com" and view.cause.value == rw.ALL
    assert [value for _label, value in view.item.options] == [
        ("account2@domain.com", 49965), ("account2@domain.com", 6314), ("account2@domain.com", 50001),
    ]  # fmt: skip
    assert view.item.value == ("account2@domain.com", 49965)
    assert "49965" in view.table.value and "11/01/2014 10:00:00" in view.history.value
    view.cause.value = "not_in_backup"
    assert view.item.value == ("account2@domain.com", 50001)
    assert "not found" in view.history.value
    view.account.value = "admin@example.com"
    assert view.item.value is None and "(no rows)" in view.table.value
    view.cause.value = rw.ALL
    assert view.item.value == ("admin@example.com", 24700)
    assert rw.UnrestoredItemsView(case, tmp_path, account="nobody@x", cause="broken").account.value == rw.ALL


def test_view_extract_button(case, tmp_path):
    view = rw.UnrestoredItemsView(case, tmp_path, account="account2@domain.com")
    view.extract_button.click()
    assert (tmp_path / "account2@domain.com" / "49965-20140111T090000Z.eml").is_file()
    first = view.out.outputs[0]
    assert first["output_type"] == "stream" and first["text"].startswith("wrote ")
    assert len(view.out.outputs) == 3  # the message, the manifest row, the headers
    assert "Offer v2" in view.out.outputs[2]["data"]["text/html"]
    view.item.value = ("account2@domain.com", 50001)
    assert view.extract()["status"] == "not_recoverable"
    assert view.out.outputs[-1]["text"].startswith("item 50001 of account2@domain.com: nothing to extract")


def test_summary_view(case):
    box = rw.summary_view(case.report, case.diagnosis)
    table, chart = box.children
    assert "External Restore" in table.value and bytes(chart.value).startswith(b"\x89PNG")


def test_frame_html():
    assert frame_html(pd.DataFrame()) == "<p><i>(no rows)</i></p>"
    html = frame_html(pd.DataFrame({"a": range(5)}), max_rows=2)
    assert html.count("<td>") == 2 and "first 2 of 5 rows" in html


def test_view_shows_each_history_once(case, tmp_path, monkeypatch):
    shown = []
    original = rw.history_view

    def counting(store, account, item_id):
        shown.append(item_id)
        return original(store, account, item_id)

    monkeypatch.setattr(rw, "history_view", counting)
    view = rw.UnrestoredItemsView(case, tmp_path, account="account2@domain.com")
    assert shown == [49965]
    view.cause.value = "broken"  # the same item stays selected: its history is not read again
    assert shown == [49965]
    view.cause.value = "invalid"
    assert shown == [49965, 6314] and view.item.value == ("account2@domain.com", 6314)
