"""BackupStore over the sample and over tiny stores built in the test: exact frames, every error kind."""

from __future__ import annotations

import errno

import pandas as pd
import pytest

import zxforensics as zx
from zxforensics.errors import EvidenceError, NotABackupPath, NotFound
from zxforensics.format import digest as vdigest
from zxforensics.sample.builder import gzip_bytes
from zxforensics.sample.catalog import ACCOUNTS, account_id
from zxforensics.sample.faults import FAULTS
from zxforensics.sample.seed_examples import SEED_ITEM
from zxforensics.store.frames import STATE_COLUMNS

UTC = "UTC"


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz=UTC)


def tiny(make_store):
    """Two accounts, four items, known states; one corrupt item file."""
    b = make_store()
    b.account({"zimbraId": "acc-1", "mail": "One@Example.com", "zimbraMailAlias": ["alias@example.com"],
               "zimbraAccountStatus": "active", "zimbraCreateTimestamp": "20130712143544Z", "zimbraCOSId": "cos-a"},
              {"lastScan": 1393556400000, "deleted": False, "deletedDate": None})  # fmt: skip
    b.account({"zimbraId": "acc-2", "mail": "two@example.com"},
              {"lastScan": 1393556400000, "deleted": True, "deletedDate": 1389780000000})  # fmt: skip
    raw = b"From: a@example.com\nSubject: hi\n\nbody\n"
    digest = b.blob(raw)
    folder = {"id": 257, "type": "folder", "name": "Projects", "parentId": 2, "folderId": 2,
              "startDate": 1370000000000, "endDate": None, "deleted": False, "transactionId": 1}  # fmt: skip
    b.item("acc-1", 257, [folder])
    b.item("acc-1", 300, [
        {"id": 300, "type": 5, "folderId": 257, "startDate": 1373639744000, "endDate": 1373641473000,
         "deleted": False, "transactionId": 1, "digest": digest, "size": len(raw), "subject": "hi"},
        {"item_id": 300, "Type": "message", "folder_id": 3, "start_date": "2013-07-12T15:04:33Z",
         "end_date": None, "deleted": "true", "transaction_id": 2, "blob_digest": digest, "size": len(raw)},
    ])  # fmt: skip
    b.write("accounts/acc-1/items/05/405", b'{"states": [{"transactionId": 1, "startDate": 1373639744}]}')
    b.write("accounts/acc-2/items/06/406", b"[{not json")
    return b.root


def test_tiny_store_states_exactly(make_store):
    store = zx.open_backup(tiny(make_store))
    states = store.item_states()
    assert list(states.columns[: len(STATE_COLUMNS)]) == STATE_COLUMNS
    assert states[["item_id", "transaction_id"]].values.tolist() == [[257, 1], [300, 1], [300, 2], [405, 1]]
    msg = states[states["item_id"] == 300]
    assert msg["type"].astype(str).tolist() == ["message", "message"]  # numeric code 5 and a name
    assert msg["folder_path"].astype(str).tolist() == ["/Inbox/Projects", "/Trash"]
    assert msg["start_date"].tolist() == [ts("2013-07-12 14:35:44"), ts("2013-07-12 15:04:33")]
    assert msg["end_date"].iloc[0] == ts("2013-07-12 15:04:33") and pd.isna(msg["end_date"].iloc[1])
    assert msg["deleted"].tolist() == [False, True]
    assert str(states["start_date"].dtype).endswith("UTC]")
    assert states["type"].dtype == "category" and states["account"].dtype == "category"
    assert states.loc[states["item_id"] == 405, "start_date"].iloc[0] == ts("2013-07-12 14:35:44")  # seconds
    assert msg["blob_path"].iloc[0].endswith(f"/items/{msg['digest'].iloc[0][:2]}/{msg['digest'].iloc[0]}")
    assert msg["source_path"].iloc[0].endswith("accounts/acc-1/items/00/300")
    errors = store.errors
    assert errors[["item_id", "kind"]].values.tolist() == [[406, "invalid_json"]]


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


def test_items_date_semantics(make_store):
    store = zx.open_backup(tiny(make_store), tz="Europe/Paris")
    msg = store.items("12/07/2013 16:40:00")  # CEST: 14:40 UTC
    assert msg.loc[msg["item_id"] == 300, "transaction_id"].tolist() == [1]
    assert store.items("12/07/2013 17:04:33").query("item_id == 300")["transaction_id"].tolist() == [2]
    assert store.items("last").query("item_id == 300")["transaction_id"].tolist() == [2]
    assert store.items("01/01/2013 00:00:00").empty
    assert len(store.items("all")) == 4


def test_refuses_a_path_that_is_not_a_backup(tmp_path):
    with pytest.raises(NotABackupPath, match=r"accounts/.*ng/ or zextras/"):
        zx.open_backup(tmp_path)
    with pytest.raises(NotABackupPath, match="no such folder"):
        zx.open_backup(tmp_path / "nowhere")


def test_accepts_a_folder_holding_a_vendor_root(make_store, tmp_path):
    builder = make_store("parent/ng")
    builder.backupstat("srv", 0, 0, 0)
    assert zx.open_backup(tmp_path / "parent").root == builder.root


def test_unreadable_file_becomes_an_error_row(make_store, monkeypatch):
    root = tiny(make_store)
    import zxforensics.evidence.files as evidence

    real = evidence.read_fd

    def failing(fd, limit, path, info=None):
        if path.endswith("/300"):
            raise OSError(errno.EIO, "Input/output error")
        return real(fd, limit, path, info)

    monkeypatch.setattr(evidence, "read_fd", failing)
    store = zx.open_backup(root)
    assert 300 not in store.item_states()["item_id"].tolist()
    row = store.errors.query("item_id == 300").iloc[0]
    assert (row["kind"], row["detail"]) == ("unreadable", "Input/output error")


# -- the committed sample --------------------------------------------------------------------


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


def test_seed_item_24700(sample_store):
    states = sample_store.get_item(*SEED_ITEM, date="all")
    assert states["start_date"].dt.tz_convert("Europe/Paris").dt.strftime("%d/%m/%Y %H:%M:%S").tolist() == [
        "12/07/2013 16:35:44", "12/07/2013 17:04:33", "15/07/2013 10:03:26",
    ]  # fmt: skip
    assert states["deleted"].all() and set(states["type"].astype(str)) == {"message"}
    raw = sample_store.read_blob(states["digest"].iloc[-1])
    assert raw.startswith(b"Return-Path: zimbra@test.example.com\n")
    assert b"Subject: Service mailboxd started on test.example.com" in raw


def test_seed_unrestored_items_exist(sample_store):
    for mail, item_id in [("account2@domain.com", 49965), ("account1@domain.com", 1369)]:
        assert not sample_store.get_item(mail, item_id).empty


@pytest.mark.parametrize(("mail", "item_id"), [k for k, v in FAULTS.items() if v[1] == "metadata"])
def test_metadata_faults_are_error_rows(fresh_store, mail, item_id):
    kind = FAULTS[(mail, item_id)][0]
    fresh_store.item_states()
    rows = fresh_store.errors.query("item_id == @item_id")
    assert kind in set(rows["kind"].astype(str))
    assert (rows["account_id"] == account_id(mail)).all()


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


def test_search_items(sample_store):
    found = sample_store.search_items("admin@example.com", text="mailboxd")
    assert found["item_id"].tolist() == [24700]
    assert sample_store.search_items("admin@example.com", text="mailboxd", filter="not_deleted").empty
    messages = sample_store.search_items("alice@example.com", type="message", filter="all")
    assert len(messages) > 10 and set(messages["type"].astype(str)) == {"message"}
    before = sample_store.search_items("admin@example.com", before="13/07/2013 00:00:00", filter="all")
    assert 24700 in before["item_id"].tolist()
    assert 24700 not in sample_store.search_items("admin@example.com", after="13/07/2013 00:00:00")["item_id"].tolist()


def test_account_info(sample_store):
    info = sample_store.account_info("root@example.com").set_index("attribute")["value"]
    assert info["mail"] == "admin@example.com"
    assert info["displayName"] == "Administrator"


def test_read_blob_refuses_a_name_that_is_not_a_digest(sample_store):
    with pytest.raises(EvidenceError) as info:
        sample_store.read_blob("../../etc/passwd")
    assert info.value.kind == "bad_name"


def test_store_tolerates_gzip_of_item_history_mix(make_store):
    """Item files wrapped in an object under `itemStates` load like arrays."""
    b = make_store()
    b.account({"zimbraId": "x", "mail": "x@example.com"}, {"lastScan": 0, "deleted": False})
    b.write("accounts/x/items/57/2057", b'{"itemStates": [{"TransactionId": 1, "StartDate": 1373639744000}]}')
    store = zx.open_backup(b.root)
    assert store.item_states()["item_id"].tolist() == [2057]
    assert gzip_bytes(b"x")[:2] == b"\x1f\x8b"


def test_columnar_and_tolerant_paths_agree(make_store):
    """Canonical spelling takes the columnar path, other spellings the tolerant one: same frame."""
    canonical = {"transactionId": 1, "id": 2057, "type": "message", "folderId": 2, "startDate": 1373639744000,
                 "endDate": None, "deleted": False, "digest": None, "size": 10, "subject": "s"}  # fmt: skip
    tolerant = {"transaction_id": 1, "item_id": 2057, "Type": "MESSAGE", "folder_id": 2,
                "start_date": "2013-07-12T14:35:44Z", "deleted": "false", "size": "10", "subject": "s"}  # fmt: skip
    frames = []
    for name, state in (("a", canonical), ("b", tolerant)):
        b = make_store(name)
        b.account({"zimbraId": "x", "mail": "x@example.com"}, {"lastScan": 0, "deleted": False})
        b.item("x", 2057, [state])
        frames.append(zx.open_backup(b.root).item_states().drop(columns=["blob_path", "source_path"]))
    pd.testing.assert_frame_equal(frames[0], frames[1])


def test_unexpected_value_types_fall_back_to_the_tolerant_path(make_store):
    b = make_store()
    b.account({"zimbraId": "x", "mail": "x@example.com"}, {"lastScan": 0, "deleted": False})
    b.item("x", 300, [{"transactionId": 1, "id": 300, "type": 5, "startDate": 1373639744, "deleted": "true"}])
    b.item("x", 301, [{"transactionId": 1, "id": 301, "type": "task", "startDate": 1373639744000}])
    b.item("x", 302, [{"transactionId": 1, "id": 999, "type": "task", "startDate": 1373639744000},
                      {"transactionId": 2, "id": 302, "type": "task"}])  # fmt: skip
    store = zx.open_backup(b.root)
    states = store.item_states()
    assert states["item_id"].tolist() == [300, 301, 999]  # the id inside the file wins, with a note
    assert states["type"].astype(str).tolist() == ["message", "task", "task"]
    assert states["deleted"].tolist() == [True, False, False]
    assert (states["start_date"] == ts("2013-07-12 14:35:44")).all()
    errors = store.errors
    assert errors["item_id"].tolist() == [302, 302] and set(errors["kind"]) == {"invalid_metadata"}
    assert errors["detail"].str.contains("999 differs from the file name 302").sum() == 1
    assert errors["detail"].str.contains("startDate").sum() == 1


def test_account_archives_are_read_in_place(make_store):
    """An S3-style `accounts/<id>.tar.gz` loads like a folder; a hostile member is refused."""
    import io
    import tarfile

    b = make_store()
    b.backupstat("srv", 0, 0, 1)
    payload = io.BytesIO()
    with tarfile.open(fileobj=payload, mode="w:gz") as tar:
        files = {
            "arch/account_info": b'{"zimbraId": "arch", "mail": "arch@example.com"}',
            "arch/account_stat": b'{"lastScan": 0, "deleted": false}',
            "arch/items/57/2057": b'[{"transactionId": 1, "id": 2057, "type": "message", "startDate": 1373639744000}]',
            "arch/items/58/2058": b"[{broken",
            "../escape": b"x",
        }
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    b.write("accounts/arch.tar.gz", payload.getvalue())
    store = zx.open_backup(b.root)
    accounts = store.accounts()
    assert accounts[["account_id", "name", "item_count"]].values.tolist() == [["arch", "arch@example.com", 2]]
    states = store.item_states()
    assert states["item_id"].tolist() == [2057]
    assert states["source_path"].iloc[0] == f"{b.root}/accounts/arch.tar.gz!/items/57/2057"
    kinds = dict(zip(store.errors["path"], store.errors["kind"], strict=True))
    assert kinds["accounts/arch.tar.gz!/items/58/2058"] == "invalid_json"
    assert kinds["accounts/arch.tar.gz"] == "hostile_member"


def test_parallel_scan_equals_the_sequential_one(tmp_path):
    """Shards in worker processes give the same frame and errors as one in-process scan."""
    from zxforensics.sample import generate_store

    path = generate_store(tmp_path / "many", accounts=18, items_per_account=12, seed=3)
    (tmp_path / "many" / "accounts" / sorted(p.name for p in (tmp_path / "many" / "accounts").iterdir())[0]
     / "items" / "x9").mkdir()  # not an NN folder: one error row  # fmt: skip
    serial = zx.open_backup(path, workers=1)
    parallel = zx.open_backup(path, workers=2)
    pd.testing.assert_frame_equal(serial.item_states(), parallel.item_states())
    assert len(parallel.item_states()) > 18 * 12
    pd.testing.assert_frame_equal(serial.errors, parallel.errors)
    assert parallel.errors["kind"].astype(str).tolist() == ["misplaced"]


def test_item_states_are_detached_from_the_cache(sample_path):
    store = zx.open_backup(sample_path)
    first = store.item_states()
    first.loc[0, "deleted"] = not first.loc[0, "deleted"]
    del first["subject"]
    again = store.item_states()
    assert "subject" in again.columns and again.loc[0, "deleted"] != first.loc[0, "deleted"]


def test_hostile_metadata_never_stops_the_scan(make_store):
    """Invalid UTF-8, a huge file, a FIFO and a link out of the tree: each one error row, the rest read."""
    import os

    b = make_store()
    b.account({"zimbraId": "x", "mail": "x@example.com"}, {"lastScan": 0, "deleted": False})
    b.item("x", 300, [{"transactionId": 1, "id": 300, "type": "task", "startDate": 1373639744000}])
    b.write("accounts/x/items/01/301", b'[{"transactionId": 1, "subject": "\xff\xfe caf\xe9"}]')
    b.write("accounts/x/items/02/302", b"[" + b" " * 2048 + b"]")
    (b.root / "accounts/x/items/03").mkdir()
    os.mkfifo(b.root / "accounts/x/items/03/303")
    b.symlink("accounts/x/items/04/304", "/etc/passwd")
    store = zx.open_backup(b.root, max_file_size=1024)  # a metadata file over the limit is refused, not read
    states = store.item_states()
    assert states["item_id"].tolist() == [300]
    kinds = dict(zip(store.errors["item_id"], store.errors["kind"].astype(str), strict=True))
    assert kinds == {301: "invalid_json", 302: "too_large", 303: "not_regular_file", 304: "link_outside"}
