"""BackupStore over the sample and over tiny stores built in the test: exact frames, every error kind."""

from __future__ import annotations

import pandas as pd
import pytest
from index_checks import assert_frames_identical
from tiny_store import tiny, ts

import zxforensics as zx
from zxforensics.errors import EvidenceError, NotABackupPath, NotFound
from zxforensics.format import digest as vdigest
from zxforensics.sample.catalog import ACCOUNTS, account_id
from zxforensics.sample.faults import FAULTS
from zxforensics.sample.shapes import SHAPES


def test_tiny_store_accounts_and_lookup(make_store):
    store = zx.open_backup(tiny(make_store))
    accounts = store.accounts()
    assert accounts["name"].tolist() == ["One@Example.com", "two@example.com"]
    one = accounts.iloc[0]
    assert one["aliases"] == ["alias@example.com"]
    assert one["created"] == ts("2013-07-12 14:35:44")
    assert one["item_count"] == 3 and not one["deleted"]
    two = accounts.iloc[1]
    assert two["deleted"] and two["deleted_date"] == ts("2014-01-15 10:00:00")
    assert accounts["backup_disabled"].isna().all()  # no LDAP dump: unknown, not False
    for spelling in ("one@example.com", "ONE@EXAMPLE.COM", "acc-1", "Alias@Example.com"):
        assert store.resolve_account(spelling) == "acc-1"
    with pytest.raises(NotFound, match=r"nobody@example\.com"):
        store.resolve_account("nobody@example.com")
    assert "zimbraCOSId" not in accounts.columns
    assert store.accounts(extra=True).loc[0, "attr_zimbraCOSId"] == "cos-a"


def test_refuses_a_path_that_is_not_a_backup(tmp_path):
    with pytest.raises(NotABackupPath, match=r"accounts/.*ng/ or zextras/"):
        zx.open_backup(tmp_path)
    with pytest.raises(NotABackupPath, match="no such folder"):
        zx.open_backup(tmp_path / "nowhere")


def test_accepts_a_folder_holding_a_vendor_root(make_store, tmp_path):
    builder = make_store("parent/ng")
    builder.backupstat("srv", 0, 0, 0)
    assert zx.open_backup(tmp_path / "parent").root == builder.root


def test_sample_holds_the_catalog_accounts(sample_store):
    accounts = sample_store.accounts().set_index("name")
    assert {spec.mail for spec in ACCOUNTS} <= set(accounts.index)
    assert accounts.loc["dave@domain.com", "deleted"]
    assert accounts.loc["frank@example.com", "status"] == "locked"
    assert (accounts["item_count"] > 60).all()


def test_sample_has_every_common_type_and_history(sample_store):
    states = sample_store.item_states()
    assert len(states) >= 1200 and states.groupby(["account_id", "item_id"]).ngroups >= 600
    assert {"message", "contact", "appointment", "task", "document", "chat", "folder", "tag"} <= set(
        states["type"].astype(str)
    )
    per_item = states.groupby(["account_id", "item_id"]).size()
    assert (per_item >= 3).sum() >= 50
    assert states["deleted"].sum() >= 50
    drafts = states[states["folder_id"] == 6].groupby(["account_id", "item_id"])["digest"].nunique()
    assert (drafts >= 2).any()  # drafts change digest between states
    shared = states.drop_duplicates(["account_id", "item_id", "digest"]).groupby("digest")["account_id"].nunique()
    assert (shared >= 2).any()  # one blob serves several accounts


@pytest.mark.parametrize(("mail", "item_id"), [k for k, v in FAULTS.items() if v[1] == "blob"])
def test_blob_faults_raise_their_kind(sample_store, mail, item_id):
    kind = FAULTS[(mail, item_id)][0]
    digest = sample_store.get_item(mail, item_id, "last")["digest"].iloc[0]
    with pytest.raises(EvidenceError) as info:
        sample_store.read_blob(digest)
    assert info.value.kind == kind


def test_double_gzip_blob_verifies(sample_store):
    from zxforensics.sample.faults import DOUBLE_GZIP_ITEM

    digest = sample_store.get_item(*DOUBLE_GZIP_ITEM, date="last")["digest"].iloc[0]
    raw, layers = sample_store.read_blob_checked(digest)
    assert layers == 2 and vdigest.verify(digest, raw)


def test_blobs_orphans_and_misplaced(sample_store):
    from zxforensics.sample.faults import ORPHAN_NOTE

    blobs = sample_store.blobs().set_index("digest")
    assert not blobs.loc[vdigest.digest_of(ORPHAN_NOTE), "referenced"]
    misplaced = blobs[blobs["misplaced"]]
    assert len(misplaced) >= 1 and not misplaced["referenced"].any()
    assert blobs["referenced"].sum() >= 500
    assert (blobs["compressed_size"].dropna() > 0).all()


def test_read_blob_refuses_a_name_that_is_not_a_digest(sample_store):
    with pytest.raises(EvidenceError) as info:
        sample_store.read_blob("../../etc/passwd")
    assert info.value.kind == "bad_name"


def test_item_states_are_detached_from_the_cache(sample_path):
    store = zx.open_backup(sample_path)
    first = store.item_states()
    first.loc[0, "deleted"] = not first.loc[0, "deleted"]
    del first["subject"]
    again = store.item_states()
    assert "subject" in again.columns and again.loc[0, "deleted"] != first.loc[0, "deleted"]


@pytest.mark.parametrize("shape", ["sample", *sorted(SHAPES)])
@pytest.mark.parametrize("indexed", [False, True], ids=["in memory", "indexed"])
def test_a_store_that_answered_for_some_accounts_first_gives_the_frames_of_a_fresh_one(
    shape, indexed, sample_path, store_shape, tmp_path
):
    """Per-account questions fill the store's frame piece by piece; whatever came first, every later
    answer equals a fresh store's exactly, categoricals' categories and their order included."""
    path = sample_path if shape == "sample" else store_shape(shape)

    def opened():
        return zx.open_backup(path, index=tmp_path / "index" if indexed else False)

    fresh: dict[tuple, pd.DataFrame] = {}  # a fresh store's answer, read once for each question

    def answer(accounts: list[str] | None) -> pd.DataFrame:
        key = None if accounts is None else tuple(accounts)
        if key not in fresh:
            fresh[key] = opened().item_states(accounts)
        return fresh[key]

    ids = opened().accounts()["account_id"].tolist()
    assert len(answer(None)) or shape in ("empty", "no_items")
    last, middle = ids[-1:], ids[len(ids) // 2 : len(ids) // 2 + 1]
    for questions in ([last, middle], [middle, None, ids[:1] + last], [None, middle]):
        store = opened()
        for accounts in questions:
            store.item_states(accounts)
        assert_frames_identical(store.item_states(), answer(None))
        asked = sorted({a for accounts in questions if accounts for a in accounts})
        for accounts in (asked, *([a] for a in asked)):
            assert_frames_identical(store.item_states(accounts), answer(accounts))


def test_listing_names_entry_types_without_following_links(sample_path):
    store = zx.open_backup(sample_path)
    top = dict(store.listing(""))
    assert top["accounts"] == "folder" and top["backupstat"] == "file"
    a14 = account_id("account14@domain.com")
    assert dict(store.listing(f"accounts/{a14}/items/55"))["45655"] == "link"  # named, never followed
    assert dict(store.listing(f"accounts/{a14}/items/00"))["45200"] == "folder"  # a folder where an item belongs
    with pytest.raises(EvidenceError) as caught:
        store.listing("accounts/no-such-account")
    assert caught.value.kind == "missing"


def test_account_archive_members(make_store):
    import tarfile

    import orjson

    from zxforensics.sample.server import tar_gz

    builder = make_store()
    uid = "6f3a2c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b"
    members = {"account_info": orjson.dumps({"zimbraId": uid}), "items/57/2057": b"[]"}
    entries = [(name, data, tarfile.REGTYPE, 0, "") for name, data in members.items()]
    entries.append(("../escape", b"x", tarfile.REGTYPE, 0, ""))
    builder.write(f"accounts/{uid}.tar.gz", tar_gz(entries, 1_393_556_400))
    store = zx.open_backup(builder.root)
    assert store.account_archive(uid) == members  # the hostile member is refused, and an errors row
    assert store.errors["kind"].tolist() == ["hostile_member"]


def test_server_read_gives_the_wanted_members_bytes(sample_path):
    store = zx.open_backup(sample_path)
    rel = store.server.snapshots("customizations")["rel"].iloc[0]
    read = store.server.read(rel, want=lambda name: name.endswith(".cf"))
    with_bytes = [m.name for m in read.members if m.data is not None]
    assert with_bytes and all(name.endswith(".cf") for name in with_bytes)
    assert len(read.members) > len(with_bytes) and read.ok


def test_headers_without_counts_and_a_record_counts_its_own_account(make_store, monkeypatch):
    from zxforensics.store import scan

    listed: list[list[str]] = []
    count_items = scan.count_items
    monkeypatch.setattr(scan, "count_items", lambda root, ids: listed.append(list(ids)) or count_items(root, ids))
    store = zx.open_backup(tiny(make_store))
    headers = store.accounts(counts=False)
    assert "item_count" not in headers.columns and len(headers) == 2 and listed == []
    assert store.account_record("one@example.com")["item_count"] == 3 and listed == [["acc-1"]]
    assert store.accounts()["item_count"].tolist() == [3, 1] and listed == [["acc-1"], ["acc-2"]]
