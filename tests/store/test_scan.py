"""The scan: item files to states, every problem an errors row, shards equal to one pass."""

from __future__ import annotations

import errno

import pandas as pd
import pytest
from tiny_store import tiny, ts

import zxforensics as zx
from zxforensics.sample.builder import gzip_bytes
from zxforensics.sample.catalog import account_id
from zxforensics.sample.faults import FAULTS
from zxforensics.store.frames import STATE_COLUMNS


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


@pytest.mark.parametrize(("mail", "item_id"), [k for k, v in FAULTS.items() if v[1] == "metadata"])
def test_metadata_faults_are_error_rows(fresh_store, mail, item_id):
    kind = FAULTS[(mail, item_id)][0]
    fresh_store.item_states()
    rows = fresh_store.errors.query("item_id == @item_id")
    assert kind in set(rows["kind"].astype(str))
    assert (rows["account_id"] == account_id(mail)).all()


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
