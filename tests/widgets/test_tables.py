"""What the notebooks show of each frame: columns, rows worth a look, and a note instead of nothing."""

from __future__ import annotations

import zxforensics as zx
from zxforensics.investigate.summary import holdings
from zxforensics.widgets import tables


def test_shares_and_unprotected_accounts_show_the_columns_a_person_reads(sample_store):
    shown = tables.shares_table(sample_store.shares())
    assert list(shown.columns) == tables.SHARE_SHOWN and "grant_without_mountpoint" in set(shown["status"])
    unprotected = tables.unprotected_accounts(sample_store)
    assert list(unprotected.columns) == tables.UNPROTECTED_SHOWN and list(unprotected["name"]) == ["eve@domain.com"]


def test_holdings_by_type(sample_store):
    pivot = tables.holdings_by_type(holdings(sample_store))
    assert "admin@example.com" in pivot.index and {"message", "contact"} <= set(pivot.columns)
    assert int(pivot.loc["admin@example.com"].sum()) > 60


def test_server_snapshots_changes_diffs_and_errors(sample_store):
    counts = {"config": 7, "customizations": 7, "ldap": 7}  # the copy with a bad name is no snapshot
    assert tables.snapshot_counts(sample_store).to_dict() == counts
    assert tables.diff_dates(zx.diff_config(sample_store, "23/02/2014 04:01:03", "last")) == (
        "from 2014-02-23 03:01:03+00:00 to 2014-02-28 03:01:14+00:00 (UTC)")
    changes = tables.config_changes(zx.config_timeline(sample_store))
    assert len(changes) and "initial" not in set(changes["change"])
    diffs = tables.member_diffs(zx.diff_customizations(sample_store, "23/02/2014 04:01:03", "last"))
    assert "+message_size_limit = 20480000" in diffs
    errors = tables.server_errors(sample_store)
    assert len(errors) and errors["path"].str.startswith("server/").all()
    assert {"bad_name", "hostile_member"} <= set(errors["kind"])


def test_a_note_instead_of_an_empty_map_or_a_missing_copy(sample_store, sample_path, make_store):
    assert len(tables.import_map_view(sample_store)) > 0
    builder = make_store()
    builder.backupstat("srv", 0, 0, 0)
    bare = zx.open_backup(builder.root)
    assert tables.import_map_view(bare) == tables.NO_MAP
    assert tables.diff_dates(zx.diff_config(bare)) == tables.NO_SNAPSHOT
    assert tables.copy_check(sample_path, None) == [tables.NO_COPY] == tables.copy_check(sample_path, "")
    summary, differences = tables.copy_check(sample_path, sample_path.parent / "offsite_copy")
    assert "content_differs" in set(differences["status"]) and "copy_sha256" not in differences.columns
    assert "files compared" in set(summary["metric"])
