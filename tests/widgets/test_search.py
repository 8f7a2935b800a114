"""The hand-over views: search, extract a hit, export a mailbox; every button a plain method."""

from __future__ import annotations

import mailbox

from zxforensics.sample.mail_cases import ACCOUNT, EXPORT_DATE, SEARCH_CASES
from zxforensics.widgets import search as ws


def test_search_and_extract_a_hit(sample_store, tmp_path):
    view = ws.ContentSearchView(sample_store, tmp_path, pattern="4711", accounts=ACCOUNT)
    hits = view.search()
    assert sorted(hits["item_id"]) == sorted(item for item, field in SEARCH_CASES.items() if field)
    assert "Rechnung 4711.pdf" in view.table.value and "<table" in view.table.value
    assert view.hit.options[0] == ("8111 state 1 alice@example.com (body)", 0) and view.hit.value == 0
    first = view.extract()
    assert first["status"] == "written" and first["row"]["verified"]
    written = tmp_path / ACCOUNT / "8111-20130705T090000Z.eml"
    assert written.read_bytes() == sample_store.read_blob(hits.iloc[0]["digest"])
    assert view.extract()["status"] == "exists"  # asked twice: shown, not written again
    assert [o["text"].split()[0] for o in view.out.outputs if o["output_type"] == "stream"] == ["wrote", "already"]
    inside = ws.ContentSearchView(sample_store, sample_store.root / "extracted", pattern="4711", accounts=ACCOUNT)
    inside.search()
    refused = inside.extract()
    assert refused["status"] == "failed" and "backup path" in refused["message"]
    assert not (sample_store.root / "extracted").exists()
    view.pattern.value = "no mail says this"
    assert view.search().empty and "no mail holds" in view.table.value
    assert view.extract() == {"status": "none", "message": ws.NO_HIT, "row": None}


def test_export_view_writes_a_new_folder_each_time(sample_store, tmp_path):
    view = ws.MailboxExportView(sample_store, tmp_path, account="ALICE@example.com", date=EXPORT_DATE)
    assert view.account.value == ACCOUNT and view.format.value == "maildir"
    first = view.export()
    view.format.value = "mbox"
    second = view.export()
    assert len(first) == len(second) > 20
    folders = sorted(p.name for p in tmp_path.iterdir())
    assert folders == [f"{ACCOUNT}-15_08_2013_00_00_00-maildir", f"{ACCOUNT}-15_08_2013_00_00_00-mbox"]
    top = mailbox.Maildir(tmp_path / folders[0] / ACCOUNT, create=False)
    assert sum(len(top.get_folder(name)) for name in top.list_folders()) == len(first)
    shown = [o for o in view.out.outputs if o["output_type"] == "display_data"]
    assert len(shown) == 2 and "/Inbox/Contracts" in shown[0]["data"]["text/html"]


def test_no_account_to_export_is_said_not_failed(store_shape, tmp_path):
    """An empty store: the export view has no account; Export says so and writes nothing."""
    import zxforensics as zx

    store = zx.open_backup(store_shape("empty"))
    assert ws.export_account(store, ws.ContentSearchView(store, tmp_path, pattern="x").search()) is None
    view = ws.MailboxExportView(store, tmp_path)
    manifest = view.export()
    assert manifest.empty and view.message == ws.NO_ACCOUNT and list(tmp_path.iterdir()) == []
    assert list(ws.export_table(manifest).columns) == ws.EXPORT_SHOWN
