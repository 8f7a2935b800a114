"""doCoherencyCheck offline: the exact findings on the sample, one case (at least) of every kind."""

from __future__ import annotations

import gzip
import zlib
from collections import Counter
from concurrent.futures.process import BrokenProcessPool

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

import zxforensics as zx
from zxforensics.errors import EvidenceError
from zxforensics.evidence.blobgzip import decompress_blob, iter_gunzip, verify_stream
from zxforensics.format import digest as vdigest
from zxforensics.investigate import blob_groups, coherency, diagnose
from zxforensics.investigate.coherency import FINDING_COLUMNS, FINDING_KINDS, audit, counts
from zxforensics.investigate.verified_blobs import VerifiedBlobs
from zxforensics.runtime import pool as pool_module
from zxforensics.sample import audit_cases
from zxforensics.sample.catalog import account_id
from zxforensics.sample.faults import DOUBLE_GZIP_ITEM, FAULTS, ORPHAN_NOTE

# reader error kind of FAULTS -> finding kind, by where the fault sits
FAULT_KINDS = {
    ("missing", "blob"): "missing_blob", ("link_outside", "blob"): "unreadable_blob",
    ("invalid_json", "metadata"): "corrupt_metadata", ("invalid_metadata", "metadata"): "corrupt_metadata",
    ("not_regular_file", "metadata"): "unreadable_metadata", ("link_outside", "metadata"): "unreadable_metadata",
    ("misplaced", "metadata"): "misplaced_item",
}  # fmt: skip


def expected_sample() -> Counter:
    """(kind, account, item) of every finding the sample must give, from the fault catalogs."""
    expected = Counter()
    for (mail, item_id), (kind, where) in FAULTS.items():
        expected[(FAULT_KINDS.get((kind, where), kind), mail, item_id)] += 1
    expected[("corrupt_metadata", "alice@example.com", 5005)] += 2  # [1, 2, 3]: one note per bad state
    expected[("misplaced_blob", "bob@example.com", 5003)] += 1  # its blob sits under items/zz/
    expected[("double_gzip", *DOUBLE_GZIP_ITEM)] += 1
    expected[("size_mismatch", *audit_cases.SIZE_MISMATCH_ITEM)] += 1
    expected[("missing_blob", *audit_cases.CASE_MISMATCH_ITEM)] += 1
    expected[("case_mismatch", *audit_cases.CASE_MISMATCH_ITEM)] += 1
    expected[("orphan_blob", None, None)] += 1
    return expected


def rows(store, found) -> Counter:
    return Counter(
        (kind, store.account_name(a) if isinstance(a, str) else None, None if pd.isna(i) else int(i))
        for kind, a, i in zip(found["kind"].astype(str), found["account_id"], found["item_id"], strict=True)
    )


@pytest.fixture(scope="module")
def sample_audit(sample_path):
    store = zx.open_backup(sample_path)
    return store, store.audit()


def test_exact_findings_on_the_sample(sample_audit):
    store, found = sample_audit
    assert list(found.columns) == FINDING_COLUMNS
    assert rows(store, found) == expected_sample()
    assert len(found) == sum(expected_sample().values()) == 21


def test_findings_name_their_files_and_causes(sample_audit):
    store, found = sample_audit
    by = {(k, store.account_name(a) if isinstance(a, str) else None, None if pd.isna(i) else int(i)): (p, d)
          for k, a, i, p, d in found[["kind", "account_id", "item_id", "path", "detail"]].itertuples(index=False)}
    bomb_path, bomb_detail = by[("too_large", "bob@example.com", 5002)]
    assert bomb_detail == "decompresses past the 536870912-byte limit"
    assert bomb_path == vdigest.blob_relpath(vdigest.digest_of(b"zxforensics sample bomb"))
    orphan = vdigest.blob_relpath(vdigest.digest_of(ORPHAN_NOTE))
    assert by[("orphan_blob", None, None)] == (orphan, f"no metadata references it ({len(ORPHAN_NOTE)} bytes)")
    path, detail = by[("missing_blob", "bob@example.com", 5003)]
    assert detail.endswith(f"a copy sits at items/zz/{path.rsplit('/', 1)[1]}")
    raw = audit_cases.message(7101, "Size misstated")
    size_detail = by[("size_mismatch", "frank@example.com", 7101)][1]
    assert size_detail == f"metadata says {len(raw) + 17} bytes, the blob holds {len(raw)}"
    case_path, case_detail = by[("case_mismatch", "frank@example.com", 7102)]
    digest = case_path.rsplit("/", 1)[1]
    assert case_path == f"items/{digest[:2].swapcase()}/{digest}" and "case-insensitive copy" in case_detail
    assert by[("unreadable_metadata", "account14@domain.com", 45200)][1] == "not_regular_file: a directory, not a file"
    assert by[("unreadable_blob", "alice@example.com", 5006)][1] == "link_outside: a dangling link"
    assert by[("misplaced_item", "alice@example.com", 4241)][0].endswith("/items/42/4241")
    assert set(found.loc[found["kind"] == "double_gzip", "severity"]) == {"warning"}
    assert list(found["severity"].astype(str)[:1]) == ["error"]  # most severe first


def test_every_kind_occurs_in_the_sample_data(sample_audit, sample_path):
    _store, found = sample_audit
    second = audit(zx.open_backup(sample_path.parent / "backup2"))
    assert sorted(zip(second["kind"].astype(str), second["path"], strict=True)) == [
        ("bad_name", next(p for p in second["path"] if "/." in p)),
        ("case_mismatch", f"accounts/{audit_cases.SERVER2_ACCOUNTS[1].account_id.upper()}"),
        ("missing_backupstat", "backupstat"),
    ]
    copy = zx.open_backup(sample_path.parent / "offsite_copy")
    copied = audit(copy, ["frank@example.com"])
    items = [None if pd.isna(i) else int(i) for i in copied["item_id"]]
    expected = [("missing_blob", 7101), ("missing_blob", 7102), ("truncated_gzip", 7120), ("case_mismatch", 7102),
                ("missing_lock", None)]  # fmt: skip
    assert sorted(zip(copied["kind"].astype(str), items, strict=True), key=str) == sorted(expected, key=str)
    seen = set(found["kind"].astype(str)) | set(second["kind"].astype(str)) | set(copied["kind"].astype(str))
    assert seen | {"hard_link"} == set(FINDING_KINDS)  # git keeps no hard links: see test_hard_links_are_findings


def test_an_audit_limited_to_accounts(sample_path):
    store = zx.open_backup(sample_path)
    found = store.audit(["frank@example.com"], progress=False)
    frank = account_id("frank@example.com")
    assert set(found["account_id"]) == {frank}  # no orphans, no other account
    assert sorted(zip(found["kind"].astype(str), found["item_id"], strict=True)) == [
        ("case_mismatch", 7102), ("missing_blob", 7102), ("size_mismatch", 7101)]
    assert counts(found).to_dict("list") == {
        "severity": ["error", "warning", "warning"], "kind": ["missing_blob", "size_mismatch", "case_mismatch"],
        "findings": [1, 1, 1]}  # fmt: skip


def damaged_store(builder, extra: bool = False):
    """A store with a good blob, a double-gzipped orphan and a forged one; with `extra`, also a truncated
    gzip, one that is no gzip, a missing blob and a size the metadata gets wrong, over several items."""
    good = builder.blob(b"one message\n")
    builder.blob(b"twice\n", double_gzip=True)
    bad = vdigest.digest_of(b"claimed")
    builder.write(vdigest.blob_relpath(bad), gzip.compress(b"forged"))
    builder.account({"zimbraId": "a1", "mail": "a@x.org"}, {"lastScan": 1, "deleted": False})
    states = [{"transactionId": 1, "id": 300, "type": "message", "startDate": 1000, "digest": good, "size": 12},
              {"transactionId": 2, "id": 300, "type": "message", "startDate": 2000, "digest": bad, "size": 7}]
    builder.item("a1", 300, states)
    if extra:
        cut, plain, gone = (vdigest.digest_of(raw) for raw in (b"cut short\n", b"plain text\n", b"gone\n"))
        builder.write(vdigest.blob_relpath(cut), gzip.compress(b"cut short\n")[:-6])
        builder.write(vdigest.blob_relpath(plain), b"plain text\n")
        for n, digest in enumerate([cut, plain, gone, good, builder.blob(b"fine %d\n" % 7)]):
            builder.item("a1", 301 + n, [{"transactionId": 3 + n, "id": 301 + n, "type": "message",
                                          "startDate": 3000 + n, "digest": digest, "size": 99}])  # fmt: skip
        for n in range(40):  # enough blobs for several shards
            raw = b"message %d\n" % n
            builder.item("a1", 400 + n, [{"transactionId": 50 + n, "id": 400 + n, "type": "message",
                                          "startDate": 5000 + n, "digest": builder.blob(raw), "size": len(raw)}])
    builder.backupstat("srv", 0, 0, 1)
    return builder.root


def test_parallel_verification_gives_the_same_findings(make_store, monkeypatch):
    store = zx.open_backup(damaged_store(make_store()))
    sequential = store.audit(workers=1)
    monkeypatch.setattr(coherency, "PARALLEL_MIN_BLOBS", 0)
    parallel = store.audit(workers=2)
    assert parallel.equals(sequential)
    assert sorted(sequential["kind"].astype(str)) == ["digest_mismatch", "double_gzip", "orphan_blob"]

    # a pool that breaks (a worker could not start or died) gives way to the same work here
    class BrokenPool:
        def __init__(self, *_args, **_kwargs):
            raise BrokenProcessPool("a worker died")

    monkeypatch.setattr(pool_module, "ProcessPoolExecutor", BrokenPool)
    assert store.audit(workers=2).equals(sequential)


def test_missing_lock_and_backupstat_and_account_folders_in_case(make_store):
    builder = make_store()
    builder.account({"zimbraId": "ab-cd", "mail": "a@x.org"}, {"lastScan": 1})
    builder.account({"zimbraId": "AB-CD", "mail": "b@x.org"}, {"lastScan": 1})
    builder.account({"zimbraId": "other", "mail": "c@x.org"}, {"lastScan": 1})
    (builder.root / "accounts" / "other").rename(builder.root / "accounts" / "elsewhere")
    builder.write("items/stray", b"a file where a prefix folder belongs")
    found = audit(zx.open_backup(builder.root))
    assert sorted(zip(found["kind"].astype(str), found["path"], strict=True)) == [
        ("case_mismatch", "accounts/AB-CD"), ("case_mismatch", "accounts/ab-cd"),
        ("corrupt_metadata", "accounts/elsewhere"), ("misplaced_blob", "items/stray"),
        ("missing_backupstat", "backupstat"), ("missing_lock", "lock_*")]


def test_streaming_verification_matches_the_reader(sample_path):
    """Every canonical blob of the sample (but the bomb): same verdict as decompress_blob."""
    store = zx.open_backup(sample_path)
    bomb = vdigest.digest_of(b"zxforensics sample bomb")
    compared = 0
    for rel, _entry in store.evidence.walk_files("items"):
        digest = rel.rsplit("/", 1)[1]
        if rel != vdigest.blob_relpath(digest) or digest == bomb:
            continue
        try:
            raw, layers = decompress_blob(store.evidence.read(rel, store.max_blob_size), store.max_blob_size, digest)
            old = "digest_mismatch" if not vdigest.verify(digest, raw) else (len(raw), layers)
        except EvidenceError as exc:
            old = exc.kind
        try:
            new = verify_stream(store.evidence.iter_chunks(rel, store.max_blob_size), digest, store.max_blob_size)
        except EvidenceError as exc:
            new = exc.kind
        assert new == old, rel
        compared += 1
    assert compared > 500


def test_a_bomb_stops_at_the_limit_and_small_chunks_change_nothing():
    inner = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = inner.compress(bytes(8 << 20)) + inner.flush()
    bomb = gzip.compress(zeros, mtime=0)
    produced = 0
    with pytest.raises(EvidenceError, match="too_large"):
        for chunk in iter_gunzip(zeros, 1 << 20):
            produced += len(chunk)
    assert 0 < produced <= 1 << 20  # never inflated past the limit
    with pytest.raises(EvidenceError, match="past the 1048576-byte limit"):
        verify_stream([bomb], vdigest.digest_of(b"anything"), 1 << 20)
    raw = b"a .gz attachment stays as stored: " + gzip.compress(b"inner", mtime=0)
    blob = gzip.compress(gzip.compress(raw, mtime=0), mtime=0)
    pieces = [blob[i : i + 1] for i in range(len(blob))]  # one byte at a time
    assert verify_stream(pieces, vdigest.digest_of(raw), 1 << 20) == (len(raw), 2)
    assert verify_stream([gzip.compress(b"x") + b"\x00garbage"], vdigest.digest_of(b"x"), 10) == (1, 1)
    sha1 = vdigest.digest_of(b"old mailbox", "sha1")
    assert verify_stream([gzip.compress(b"old mailbox")], sha1, 100) == (11, 1)
    for data, kind in ((b"", "not_gzip"), (b"plain", "not_gzip"), (gzip.compress(b"abc")[:-3], "truncated_gzip")):
        with pytest.raises(EvidenceError) as caught:
            verify_stream([data], vdigest.digest_of(b"abc"), 100)
        assert caught.value.kind == kind


def test_hard_links_are_findings(make_store, tmp_path):
    """An item or blob file with more than one name (st_nlink > 1) is read like any file, and flagged."""
    import os

    builder = make_store()
    builder.backupstat("srv", 0, 0, 1)
    builder.account({"zimbraId": "a1", "mail": "a@x.org"}, {"lastScan": 1, "deleted": False})
    digest = builder.blob(b"one message\n")
    state = {"transactionId": 1, "type": "message", "startDate": 1000, "digest": digest, "size": 12}
    for item_id in (300, 301, 302):
        builder.item("a1", item_id, [state])
    items = builder.root / "accounts" / "a1" / "items"
    os.link(items / "00" / "300", tmp_path / "outside")  # a second name outside the backup path
    (items / "02" / "302").unlink()
    os.link(items / "01" / "301", items / "02" / "302")  # two item files, one file
    blob = builder.root / vdigest.blob_relpath(digest)
    os.link(blob, tmp_path / "blob_outside")
    store = zx.open_backup(builder.root)
    found = store.audit(workers=1)
    linked = found[found["kind"] == "hard_link"]
    assert set(linked["severity"].astype(str)) == {"warning"}
    columns = zip(linked["path"], linked["item_id"], linked["detail"], strict=True)
    got = {(p, None if pd.isna(i) else int(i), d) for p, i, d in columns}
    assert got == {
        ("accounts/a1/items/00/300", 300, "a hard link: 2 names for this file, 1 of them elsewhere, maybe outside "
         "the backup path"),
        ("accounts/a1/items/01/301", 301, "a hard link: 2 names for this file, all of them item or blob files here"),
        ("accounts/a1/items/02/302", 302, "a hard link: 2 names for this file, all of them item or blob files here"),
        (vdigest.blob_relpath(digest), None, "a hard link: 2 names for this file, 1 of them elsewhere, maybe "
         "outside the backup path"),
    }  # fmt: skip
    assert set(found["kind"].astype(str)) == {"hard_link"}  # read as ordinary files: nothing else is wrong
    assert store.item_states()["item_id"].tolist() == [300, 301, 302]


def test_an_audit_on_a_dask_cluster_equals_the_local_one(sample_audit, sample_path, dask_client):
    local_store, local = sample_audit
    store = zx.open_backup(sample_path)
    assert_frame_equal(store.audit(client=dask_client, progress=False), local)
    assert_frame_equal(store.errors, local_store.errors)  # the verdicts recorded as the local audit does
    own = zx.open_backup(sample_path, index=False, client=dask_client)  # the store's client, by default
    assert_frame_equal(own.audit(progress=False), local)


def test_an_audit_of_damaged_blobs_on_a_dask_cluster(make_store, dask_client):
    from evidence_snapshot import age_atimes, snapshot

    root = damaged_store(make_store(), extra=True)
    age_atimes(root)
    before = snapshot(root)
    local = zx.open_backup(root, index=False).audit(workers=1, progress=False)
    store = zx.open_backup(root, index=False)
    found = store.audit(client=dask_client, progress=False)
    assert snapshot(root) == before, "the audit on the cluster changed the evidence"
    assert_frame_equal(found, local)
    assert list(zip(found["kind"].astype(str), found["item_id"], strict=True)) == [
        ("missing_blob", 303), ("digest_mismatch", 300), ("not_gzip", 302), ("truncated_gzip", 301),
        ("size_mismatch", 304), ("size_mismatch", 305), ("double_gzip", pd.NA), ("orphan_blob", pd.NA)]


def test_a_verification_that_fails_on_the_cluster_is_an_error_not_a_partial_audit(sample_path, dask_client,
                                                                                   sample_audit):  # fmt: skip
    from dask_workers import failing_on_workers

    store = zx.open_backup(sample_path)
    failing = failing_on_workers(dask_client, "zxforensics.investigate.blobcheck", "check_blobs")
    with failing, pytest.raises(zx.ZxError, match=r"shard \d+ of \d+ failed on the Dask cluster: RuntimeError"):
        store.audit(client=dask_client, progress=False)
    assert_frame_equal(zx.open_backup(sample_path).audit(client=dask_client, progress=False), sample_audit[1])


def sorted_rows(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(list(frame.columns), ignore_index=True)


@pytest.mark.parametrize("where", ["sample", "frank", "offsite_copy", "damaged"])
def test_an_audit_in_groups_equals_one_over_every_blob_and_state(where, sample_path, make_store, tmp_path,
                                                                 monkeypatch):  # fmt: skip
    """The audit verifies the blobs a group of prefix folders at a time (with the references whose digest
    falls in the group: from DuckDB on an indexed store) and reads the states a batch of accounts at a time:
    groups of a few blobs and batches of a few states give the findings of one pass over everything, and the
    same errors (in group order); an indexed store holds no frame of every state."""
    from zxforensics.store import backup

    path = {"sample": sample_path, "frank": sample_path, "offsite_copy": sample_path.parent / "offsite_copy"}.get(where)
    if path is None:  # a second account references a1's blobs, the good, the forged and the missing ones
        builder = make_store()
        path = damaged_store(builder, extra=True)
        digests = zx.open_backup(path, index=False).item_states()["digest"].dropna().astype(str).unique()
        builder.account({"zimbraId": "a2", "mail": "b@x.org"}, {"lastScan": 1, "deleted": False})
        for n, digest in enumerate(digests[:8]):
            builder.item("a2", 500 + n, [{"transactionId": 100 + n, "id": 500 + n, "type": "message",
                                          "startDate": 9000 + n, "digest": digest, "size": 5}])  # fmt: skip
    accounts = ["frank@example.com", "bob@example.com"] if where == "frank" else None
    whole = zx.open_backup(path)
    expected = whole.audit(accounts, workers=1, progress=False)
    assert len(expected)
    if where == "damaged":  # the same blobs' findings, for items of two accounts read in two batches
        assert {"a1", "a2"} <= set(expected["account_id"].dropna()) and "size_mismatch" in set(expected["kind"])
    monkeypatch.setattr(backup, "BATCH_STATES", 5)
    monkeypatch.setattr(blob_groups, "GROUP_BLOBS", 4)
    groups = []
    run_sharded = coherency.run_sharded
    monkeypatch.setattr(coherency, "run_sharded", lambda *a, **k: groups.append(k["desc"]) or run_sharded(*a, **k))
    for index in (False, tmp_path / "index"):
        store = zx.open_backup(path, index=index)
        assert len(list(store.state_batches(accounts))) > 1
        store = zx.open_backup(path, index=index)
        groups.clear()
        assert_frame_equal(store.audit(accounts, workers=1, progress=False), expected)
        assert len(groups) > 1
        assert_frame_equal(sorted_rows(store.errors), sorted_rows(whole.errors))
        if index:
            assert store._states is None


# (store, whether the pre-flight validates its messages in worker processes)
PREFLIGHT_THEN_AUDIT = [("sample", False), ("sample", True), ("offsite_copy", False), ("damaged", False),
                        ("damaged", True), ("unicode", False), ("empty", False)]  # fmt: skip


@pytest.mark.parametrize(("where", "in_workers"), PREFLIGHT_THEN_AUDIT)
def test_an_audit_after_a_preflight_takes_its_verdicts_and_finds_the_same(where, in_workers, sample_path, make_store,
                                                                          store_shape, monkeypatch,
                                                                          audit_reads):  # fmt: skip
    """A report's audit takes the verdicts of the blobs its pre-flight diagnosis has just read and verified
    (here, or in its worker processes): the findings and errors of an audit that reads every blob, and each
    blob that verified read once; a blob that failed, a misplaced or a forged one is read again."""
    path = {"sample": sample_path, "offsite_copy": sample_path.parent / "offsite_copy"}.get(where)
    if path is None:
        path = damaged_store(make_store(), extra=True) if where == "damaged" else store_shape(where)
    read = audit_reads
    if in_workers:
        monkeypatch.setattr(diagnose, "PARALLEL_MIN_BLOBS", 1)
    plain = zx.open_backup(path, index=False)  # a report before: the pre-flight, then an audit of every blob
    zx.preflight(plain)
    expected = plain.audit(workers=1, progress=False)
    assert_frame_equal(expected, zx.open_backup(path, index=False).audit(workers=1, progress=False))
    every = set(read)
    assert len(read) == 2 * len(every)  # each blob file read once by each audit

    store = zx.open_backup(path, index=False)
    seen = VerifiedBlobs()
    zx.preflight(store, verified=seen)
    read.clear()
    assert_frame_equal(store.audit(workers=1, progress=False, verified=seen), expected)
    assert_frame_equal(store.errors, plain.errors)
    taken = {rel for rel, verdict in zip(sorted(every), seen.results([(r, r.rsplit("/", 1)[1]) for r in sorted(every)]),
                                         strict=True) if verdict is not None}  # fmt: skip
    assert set(read) == every - taken and len(read) == len(set(read))
    failed = set(expected.loc[expected["severity"] == "error", "path"].dropna().astype(str))
    assert not failed & taken  # a blob that does not verify is never taken: the audit judges it itself
    if where == "empty":
        assert len(seen) == 0 and not every
    else:
        assert taken and len(taken) == len(seen.results([(r, r.rsplit("/", 1)[1]) for r in taken]))
    if where in ("sample", "damaged"):  # failing blobs were read again, and found failing again
        assert failed & set(read)


def test_verified_blobs_takes_canonical_files_only_and_stops_at_its_bound():
    good, other, third = (vdigest.digest_of(raw) for raw in (b"one\n", b"two\n", b"three\n"))
    seen = VerifiedBlobs(max_blobs=2)
    seen.add(good, 4, 1)
    assert seen.results([(vdigest.blob_relpath(good), good)]) == [(vdigest.blob_relpath(good), good, None, "", 4, 1)]
    seen.add(other, 4, 2)  # added after a lookup: found too
    seen.add(third, 6, 1)  # past the bound: not recorded (the audit reads it)
    assert len(seen) == 2
    tasks = [(vdigest.blob_relpath(other), other), (vdigest.blob_relpath(third), third),
             (f"items/zz/{good}", good), (vdigest.blob_relpath(good), "not a digest")]  # fmt: skip
    assert seen.results(tasks) == [(*tasks[0], None, "", 4, 2), None, None, None]
    assert VerifiedBlobs().results(tasks) == [None] * 4
