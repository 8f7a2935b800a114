"""One errors table: every kind of blob problem is a row of `store.errors` wherever it was met, after a
failed `read_blob()`, a failed `extract`, and after `audit()` (FORMAT.md §9 kinds)."""

from __future__ import annotations

import os

import pytest

import zxforensics as zx
from zxforensics.errors import EvidenceError
from zxforensics.format import digest as vdigest
from zxforensics.sample.builder import gzip_bytes

LIMIT = 4096  # max_blob_size of the stores opened here: the "too large" blob decompresses past it
ACCOUNT = "acc-1"


def message(n: int) -> bytes:
    return f"From: a@example.com\r\nSubject: blob {n}\r\n\r\nbody {n}\r\n".encode()


@pytest.fixture
def damaged(make_store, tmp_path):
    """A store with one item per kind of blob problem; `cases` maps item id -> (digest, expected kind)."""
    b = make_store()
    b.account({"zimbraId": ACCOUNT, "mail": "a@example.com"}, {"lastScan": 0})
    outside = tmp_path / "outside.gz"
    outside.write_bytes(gzip_bytes(message(0)))
    cases = {}

    def case(item_id: int, kind: str, write) -> None:
        raw = message(item_id)
        digest = vdigest.digest_of(raw)
        write(digest, raw)
        cases[item_id] = (digest, kind)
        b.item(ACCOUNT, item_id, [{"id": item_id, "type": "message", "startDate": 1_373_639_744_000,
                                   "transactionId": item_id, "digest": digest, "size": len(raw)}])  # fmt: skip

    rel = vdigest.blob_relpath
    case(1, "missing", lambda d, raw: None)
    case(2, "link_outside", lambda d, raw: b.symlink(rel(d), "../../items/00/does-not-exist"))  # dangling
    case(3, "link_outside", lambda d, raw: b.symlink(rel(d), str(outside)))
    case(4, "not_regular_file", lambda d, raw: (os.makedirs(b.root / rel(d)[:8], exist_ok=True),
                                                 os.mkfifo(b.root / rel(d))))  # fmt: skip
    case(5, "truncated_gzip", lambda d, raw: b.write(rel(d), gzip_bytes(raw)[:-12]))
    case(6, "not_gzip", lambda d, raw: b.write(rel(d), raw))
    case(7, "digest_mismatch", lambda d, raw: b.write(rel(d), gzip_bytes(raw + b"tampered")))
    case(8, "too_large", lambda d, raw: b.write(rel(d), gzip_bytes(raw + b" " * (2 * LIMIT))))
    case(9, "missing", lambda d, raw: b.write(f"items/{'zz' if d[:2] != 'zz' else 'yy'}/{d}", gzip_bytes(raw)))
    return b.root, cases


def kinds_at(store, rel: str) -> set[str]:
    errors = store.errors
    return set(errors.loc[errors["path"].astype(str) == rel, "kind"].astype(str))


def test_a_failed_read_blob_is_an_errors_row_of_its_kind(damaged):
    root, cases = damaged
    for item_id, (digest, kind) in cases.items():
        store = zx.open_backup(root, max_blob_size=LIMIT)
        with pytest.raises(EvidenceError) as info:
            store.read_blob(digest)
        assert info.value.kind == kind, item_id
        assert kind in kinds_at(store, vdigest.blob_relpath(digest)), (item_id, store.errors)


def test_a_failed_extract_is_an_errors_row_and_a_misplaced_copy_is_named(damaged, tmp_path):
    root, cases = damaged
    for item_id, (digest, kind) in cases.items():
        store = zx.open_backup(root, max_blob_size=LIMIT)
        with pytest.raises(EvidenceError):
            store.extract(ACCOUNT, item_id, tmp_path / "out")
        assert kind in kinds_at(store, vdigest.blob_relpath(digest)), (item_id, store.errors)
    assert not any((tmp_path / "out").rglob("*.eml"))
    store = zx.open_backup(root, max_blob_size=LIMIT)
    digest = cases[9][0]
    with pytest.raises(EvidenceError, match="misplaced"):
        store.read_blob(digest)
    misplaced = store.errors[store.errors["kind"] == "misplaced"]
    assert [p.rsplit("/", 1)[1] for p in misplaced["path"].astype(str)] == [digest]
    assert "_blob_files" not in store.__dict__  # found by a stat per prefix folder, not a listing of every blob
    held = zx.open_backup(root, max_blob_size=LIMIT)
    held.blob_files()
    with pytest.raises(EvidenceError) as from_listing:
        held.read_blob(digest)
    with pytest.raises(EvidenceError) as from_stats:
        store.read_blob(digest)
    assert str(from_listing.value) == str(from_stats.value)
    assert "a misplaced copy sits in items/" in str(from_stats.value)


def test_the_audit_puts_every_blob_problem_in_the_errors_table(damaged):
    root, cases = damaged
    store = zx.open_backup(root, max_blob_size=LIMIT)
    store.audit(progress=False)
    for item_id, (digest, kind) in cases.items():
        assert kind in kinds_at(store, vdigest.blob_relpath(digest)), (item_id, store.errors)
    assert "misplaced" in set(store.errors["kind"].astype(str))
    before = len(store.errors)
    store.audit(progress=False)
    for digest, _kind in cases.values():
        with pytest.raises(EvidenceError):
            store.read_blob(digest)
    assert len(store.errors) == before  # one row per problem, however often and by whom it is met


def test_a_customizations_archive_read_for_a_diff_records_its_refused_members(fresh_store):
    name = "customizations_25_02_14#04_00_47.tar.gz"
    row, members = fresh_store.server.customization_members(name)
    assert row["name"] == name and "conf/localconfig.xml" in members
    refused = fresh_store.errors[fresh_store.errors["path"].astype(str) == f"server/{name}"]
    assert set(refused["kind"].astype(str)) == {"hostile_member"} and len(refused) == 2


def test_the_lines_of_a_notification_that_do_not_parse_are_errors_rows(make_store):
    b = make_store()
    b.account({"zimbraId": ACCOUNT, "mail": "a@example.com"}, {"lastScan": 0})
    text = ("- stats -\nRestored Items: 0\nSkipped Items: 0\nUnrestored Items: 2\n\n- unrestored items -\n"
            "account: a@example.com\nunrestored items: 12,abc\n")  # fmt: skip
    store = zx.open_backup(b.root)
    diagnosis = zx.diagnose(store, zx.read_notification(text))
    assert diagnosis["item_id"].tolist() == [12]
    rows = store.errors[store.errors["kind"] == "invalid_metadata"]
    assert rows["path"].tolist() == ["notification"] and "'abc'" in rows["detail"].iloc[0]
