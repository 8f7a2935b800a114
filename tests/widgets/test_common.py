"""What makes a view fit the page (wide tables scroll in their box, hashes short with the full value on
hover, figures at the page's resolution keeping their aspect ratio, dropdowns as wide as their labels),
and `.value` on every view."""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest
from matplotlib.figure import Figure
from sample_paths import SAMPLE_DATA

import zxforensics as zx
from zxforensics.report.plots import SCREEN_DPI
from zxforensics.widgets import audit as wa
from zxforensics.widgets import common
from zxforensics.widgets import restore as rw
from zxforensics.widgets import search as ws
from zxforensics.widgets import server as sw

SHA = hashlib.sha256(b"x").hexdigest()
DIGEST = "w3gH6uBQpRPszcXVEAdYAASU48CS14xUIv3BlYmXGKI="  # the vendor's base64 digest


def test_wide_tables_scroll_in_their_own_box_and_hashes_are_short_with_the_full_value_on_hover():
    frame = pd.DataFrame({"<b>name</b>": ["<script>x</script>"], "digest": [DIGEST], "other": [SHA],
                          "size": [None], "note": ["short"]})  # fmt: skip
    shown = common.frame_html(frame)
    assert shown.startswith(common.TABLE_STYLE + '<div class="zx-table-box" style="overflow-x:auto;max-width:100%">')
    assert "<script>" not in shown and "&lt;script&gt;x&lt;/script&gt;" in shown
    assert "&lt;b&gt;name&lt;/b&gt;" in shown  # headings escaped too
    for full in (DIGEST, SHA):  # by column name, and a hex hash in any column
        assert f'<span title="{full}" style="font-family:monospace">{full[:common.HASH_SHOWN]}…</span>' in shown
        assert f">{full}<" not in shown
    assert "<td></td>" in shown and "<td>short</td>" in shown
    assert common.short_hash("abc") == "abc"


def test_figures_are_drawn_for_the_page_and_keep_their_aspect_ratio():
    fig = Figure(figsize=(5, 2))
    fig.add_subplot().set_title("a title")
    data, width = common.render_figure(fig)
    assert data.startswith(b"\x89PNG") and abs(common.png_width(data) - width * common.RETINA) <= 1
    assert 0.8 * 5 * SCREEN_DPI < width <= 5 * SCREEN_DPI  # the size it means (bbox tight trims margins)
    image = common.figure_image(fig)
    assert image.layout.width == f"{width}px" and image.layout.height == "auto"
    assert image.layout.max_width == "100%" and image.layout.align_self == "flex-start"
    assert image.tooltip is None  # ipywidgets 8's Image view fails on a tooltip
    common.set_figure(image, None)
    assert image.value == b"" and image.layout.width is None
    shown = common.show_figure(fig)
    assert shown.width == width and shown.alt == "a title"


def test_dropdowns_are_as_wide_as_their_longest_label():
    import ipywidgets as w

    control = w.Dropdown(options=[("x" * 30, 1), ("y", 2)], description="item")
    common.fit_dropdown(control)
    assert control.layout.width == "calc(34ch + 4em)" and control.style.description_width == "initial"
    control.options = ["z" * 500]
    common.fit_dropdown(control)
    assert control.layout.width == f"calc({common.MAX_CONTROL_CH + 4}ch + 4em)"


def test_summary_view_keeps_the_chart_out_of_the_tables_height(sample_store):
    report = zx.read_notification(SAMPLE_DATA / "notifications" / "restore_report.eml")
    box = rw.summary_view(report, zx.diagnose(sample_store, report))
    assert box.layout.flex_flow == "row wrap" and box.layout.align_items == "flex-start"
    chart = box.children[1]  # shrinks beside the table, never past its drawn size; its height follows
    assert chart.layout.height == "auto" and chart.layout.max_width.endswith("px") and chart.layout.width is None
    assert chart.layout.flex == "1 1 360px" and chart.layout.min_width == "0"


@pytest.fixture(scope="module")
def views(sample_store, tmp_path_factory):
    """One of every view over the sample, as the notebooks make them."""
    out = tmp_path_factory.mktemp("out")
    case = rw.open_case(sample_store.root, SAMPLE_DATA / "notifications" / "restore_report.eml")
    search = ws.ContentSearchView(sample_store, out, pattern="4711")
    search.search()
    return {
        rw.UnrestoredItemsView: rw.UnrestoredItemsView(case, out, account="admin@example.com"),
        wa.FindingsView: wa.FindingsView(sample_store, sample_store.audit()),
        wa.RetentionView: wa.RetentionView(sample_store),
        sw.ServerConfigDiffView: sw.ServerConfigDiffView(sample_store),
        ws.ContentSearchView: search,
        ws.MailboxExportView: ws.MailboxExportView(sample_store, out, account="alice@example.com"),
    }


def test_every_view_exposes_its_value(views):
    assert set(views) == set(common.View.__subclasses__()), "a view without a test of its value"
    restore = views[rw.UnrestoredItemsView]
    assert restore.value == {"account": "admin@example.com", "cause": rw.ALL, "item": ("admin@example.com", 24700)}
    restore.cause.value = "broken"
    assert restore.value["item"] is None
    assert views[wa.RetentionView].value == {"data_days": 30, "account_days": 30, "date": ""}
    assert views[sw.ServerConfigDiffView].value == {"date_a": "last", "date_b": "last", "query": "/"}
    search = views[ws.ContentSearchView].value
    assert search["pattern"] == "4711" and search["hit"]["item_id"] == 8111 and search["hit"]["field"] == "body"
    export = views[ws.MailboxExportView]
    assert export.value["account"] == "alice@example.com" and export.value["last_export"] is None
    export.export()
    assert export.value["last_export"] == export.last_export and export.last_export.is_dir()
