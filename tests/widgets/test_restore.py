"""The restore views: every action is a plain function, called here without a browser."""

from __future__ import annotations

import pandas as pd
import pytest
from sample_paths import SAMPLE_DATA

import zxforensics as zx
from zxforensics.widgets import restore as rw
from zxforensics.widgets.common import frame_html

REPORT = SAMPLE_DATA / "notifications" / "restore_report.eml"


@pytest.fixture(scope="module")
def case(sample_store):
    report = zx.read_notification(REPORT)
    return rw.RestoreCase(sample_store, report, zx.diagnose(sample_store, report))


def test_open_case(sample_path, tmp_path):
    opened = rw.open_case(sample_path, REPORT)
    assert len(opened.diagnosis) == 32 and opened.report.stats["unrestored"] == 32
    assert rw.open_case(sample_path, REPORT, index=False).store.index_dir is None
    indexed = rw.open_case(sample_path, REPORT, index=tmp_path / "idx")
    assert indexed.store.index_dir == tmp_path / "idx" and len(indexed.diagnosis) == 32


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


@pytest.mark.parametrize("notification", [None, "", "  "])
def test_a_case_without_a_notification(store_shape, tmp_path, notification):
    """No notification: nothing to diagnose, and the views and the Extract button say so instead of failing."""
    case = rw.open_case(store_shape("no_deleted"), notification)
    assert case.diagnosis.empty and case.report.source == rw.NO_NOTIFICATION and case.report.check() == []
    view = rw.UnrestoredItemsView(case, tmp_path / "out")
    assert view.item.value is None and view.account.options == (rw.ALL,)
    result = view.extract()
    assert result["status"] == "not_recoverable" and result["message"] == rw.NO_ITEM and result["headers"].empty
    assert not (tmp_path / "out").exists()  # nothing written


def test_case_overview_and_extraction_note(case, tmp_path):
    overview = rw.case_overview(case, "/b<x>", tmp_path)
    text = repr(overview)
    told = "Restore notification: restore_report.eml (External Restore, started 03/03/2014 09:12:05)"
    assert text.splitlines() == ["Backup path: /b<x>", told, "Unrestored items: 32",
                                 f"Extracted .eml files go to: {tmp_path}"]  # fmt: skip
    assert "/b&lt;x&gt;" in overview._repr_html_() and "<ul>" not in overview._repr_html_()
    empty = rw.open_case(case.store.root, None)
    assert "Restore notification: none given" in repr(rw.case_overview(empty, "/b", tmp_path))
    assert rw.extraction_note(None, tmp_path).endswith(f"into {tmp_path}, listed in manifest.csv.")
    assert rw.extraction_note({"message": "wrote x"}, tmp_path) == "wrote x"
