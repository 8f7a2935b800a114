"""doCheckShares / doFixShares offline: every share status of the sample, and the fix plan of its map."""

from __future__ import annotations

import pytest

import zxforensics as zx
from zxforensics.investigate.shares import PLAN_COLUMNS, SHARE_COLUMNS, SHARE_STATUSES, id_maps, import_map
from zxforensics.sample import audit_cases
from zxforensics.sample.catalog import account_id


@pytest.fixture(scope="module")
def store(sample_path):
    return zx.open_backup(sample_path)


def key(row) -> tuple:
    if row.source == "grant":
        grantee = "old:carol" if row.grantee_id == audit_cases.OLD_IDS["carol@domain.com"] else row.grantee
        return (row.owner, "grant", int(row.folder_id), grantee)
    return (row.grantee, "mountpoint", int(row.mountpoint_id))


def test_every_share_and_its_status(store):
    shares = store.shares()
    assert list(shares.columns) == SHARE_COLUMNS
    assert {key(row): row.status for row in shares.itertuples(index=False)} == audit_cases.SHARES
    assert set(shares["status"]) == set(SHARE_STATUSES)  # each status once at least
    ok = shares[(shares["source"] == "mountpoint") & (shares["status"] == "ok")].iloc[0]
    assert (ok.owner, ok.folder_path, ok.mountpoint) == ("alice@example.com", "/Inbox/Projects", "Alice's Projects")
    dangling = shares[shares["status"] == "mountpoint_dangling"].iloc[0]
    assert (dangling.grantee, dangling.folder_path) == ("account1@domain.com", "/Archive")
    orphaned = shares[shares["status"] == "owner_missing"].iloc[0]
    assert orphaned.owner_id == audit_cases.OLD_IDS["alice@example.com"] and orphaned.owner == "alice@example.com"
    # the accounts table holds alice under her new id: the detail says so instead of contradicting it
    assert orphaned.detail == (f"owner id {orphaned.owner_id} is not in the backup, but alice@example.com is, as "
                               f"{account_id('alice@example.com')}: its id changed in an import (doFixShares would "
                               "rewrite it)")  # fmt: skip


def test_the_fix_plan_of_the_sample_map(store, sample_path):
    maps = store.map_files()
    assert maps == [f"map_{audit_cases.OLD_SERVER_ID}"]
    assert set(import_map(store)["file"]) == set(maps)
    plan = zx.fix_shares_plan(store)  # the backup's own map_* files
    assert list(plan.columns) == PLAN_COLUMNS
    old, new = audit_cases.OLD_IDS, account_id
    assert [tuple(r) for r in plan[["source", "account", "field", "old", "new", "status"]].itertuples(index=False)] == [
        ("grant", "alice@example.com", "granteeId", old["carol@domain.com"], new("carol@domain.com"),
         "grantee_missing"),
        ("mountpoint", "carol@domain.com", "ownerId", old["alice@example.com"], new("alice@example.com"),
         "owner_missing"),
        ("mountpoint", "carol@domain.com", "remoteId", "1259", "259", "owner_missing"),  # from alice's id_mapper.log
    ]  # fmt: skip
    assert plan["mountpoint_id"].tolist()[1:] == [7111, 7111]
    # the same plan from the map file read as a frame, or as a dict
    mapping = zx.read_map(sample_path / maps[0])
    assert zx.fix_shares_plan(store, mapping).equals(plan)
    as_dict = dict(zip(mapping["source"], mapping["destination"], strict=True))
    assert zx.fix_shares_plan(store, as_dict).equals(plan)


def test_id_maps_of_the_accounts(store):
    maps = id_maps(store)
    alice = account_id("alice@example.com")
    assert set(maps["account_id"]) == {alice}
    assert dict(zip(maps["source_id"], maps["restored_id"], strict=True)) == audit_cases.ID_MAPPER


def test_a_bad_grant_becomes_an_error_row(make_store):
    builder = make_store()
    info = {"zimbraId": "a1", "mail": "a@x.org", "zimbraSharedItem": ["granteeId:b1;folderId:2", "nonsense"]}
    builder.account(info, {"lastScan": 1})
    builder.account({"zimbraId": "b1", "mail": "b@x.org"}, {"lastScan": 1})
    builder.backupstat("srv", 0, 0, 2)
    store = zx.open_backup(builder.root)
    shares = store.shares()
    assert shares[["status", "owner", "grantee", "folder_path"]].values.tolist() == [
        ["grant_without_mountpoint", "a@x.org", "b@x.org", "/Inbox"]]
    errors = store.errors
    assert errors[["path", "kind"]].values.tolist() == [["accounts/a1/account_info", "invalid_metadata"]]


def test_a_share_names_its_accounts_as_the_accounts_table_does(store, make_store):
    """The report once said a grantee 'is not in the backup' while the accounts table listed it: an id
    changed by an import is resolved to the account's address, and a deleted account is said deleted."""
    shares = store.shares()
    orphaned = shares[shares["status"] == "owner_missing"].iloc[0]
    assert orphaned.owner == "alice@example.com"  # the old id resolved through the backup's import map
    grant = shares[(shares["status"] == "grantee_missing") & (shares["source"] == "grant")].iloc[0]
    assert grant.grantee == "carol@domain.com" and "but carol@domain.com is, as" in grant.detail
    names = set(store.accounts()["name"].astype(str))
    assert {orphaned.owner, grant.grantee} <= names

    builder = make_store()
    builder.account({"zimbraId": "a1", "mail": "a@x.org", "zimbraSharedItem": ["granteeId:b1;folderId:2"]},
                    {"lastScan": 1})  # fmt: skip
    builder.account({"zimbraId": "b1", "mail": "b@x.org"}, {"lastScan": 1, "deleted": True, "deletedDate": 1})
    builder.backupstat("srv", 0, 0, 2)
    small = zx.open_backup(builder.root)
    assert bool(small.accounts().set_index("name").loc["b@x.org", "deleted"])
    row = small.shares().iloc[0]
    assert (row.status, row.grantee) == ("grantee_missing", "b@x.org")
    assert row.detail == "grantee b@x.org (b1) is a deleted account of the backup: a purge will remove it"
