"""diagnose(): the exact cause of every unrestored item of the sample report, and the pre-flight check."""

from __future__ import annotations

import pandas as pd
import pytest
from sample_paths import SAMPLE_DATA
from store_copy import copy_store

import zxforensics as zx
from zxforensics.errors import EvidenceError
from zxforensics.investigate.diagnose import CAUSES, COLUMNS, cause_counts, item_history, report_summary
from zxforensics.sample.catalog import account_id
from zxforensics.sample.faults import BOMB_SIZE, FAULTS
from zxforensics.sample.restore_cases import INVALID_ITEMS, report_unrestored

NOTES = SAMPLE_DATA / "notifications"

# (account, item) -> cause, for every unrestored item of sample_data/notifications/restore_report.*
EXPECTED = {
    ("account1@domain.com", 1255): "read_error",  # blob missing
    ("account1@domain.com", 1369): "invalid",  # header line over 998 octets
    **{("account1@domain.com", i): "invalid" for i in (6301, 6302, 6303, 6304, 6305)},
    ("account1@domain.com", 1400): "not_in_backup",
    ("account2@domain.com", 49965): "broken",  # truncated gzip, two earlier states verify
    ("account2@domain.com", 6314): "invalid",  # newest state has no Date
    ("account2@domain.com", 50001): "not_in_backup",
    ("account14@domain.com", 856): "broken",  # digest mismatch
    ("account14@domain.com", 13339): "broken",  # metadata not JSON
    ("account14@domain.com", 45200): "read_error",  # metadata is a directory
    ("account14@domain.com", 45655): "read_error",  # metadata links out of the tree
    ("account14@domain.com", 5010): "restorable",  # double gzip, verifies
    ("admin@example.com", 24700): "restorable",  # the seed's item
    ("alice@example.com", 5004): "broken",  # JSON of the wrong shape
    ("alice@example.com", 5005): "broken",
    ("alice@example.com", 5006): "read_error",  # dangling link as blob
    ("bob@example.com", 5002): "broken",  # gzip bomb, over the limit
    ("bob@example.com", 5003): "read_error",  # blob under the wrong prefix
    ("carol@domain.com", 5001): "broken",  # blob not gzip
    **{("carol@domain.com", i): "invalid" for i in (6306, 6307, 6308, 6309)},
    ("carol@domain.com", 7777): "not_in_backup",
    **{("frank@example.com", i): "invalid" for i in (6310, 6311, 6312, 6313)},
}


@pytest.fixture(scope="module")
def sample_diagnosis(sample_store):
    return zx.diagnose(sample_store, zx.read_notification(NOTES / "restore_report.eml"))


def keyed(df: pd.DataFrame, column: str) -> dict:
    return dict(zip(zip(df["account"], df["item_id"], strict=True), df[column], strict=True))


def test_every_unrestored_item_has_its_exact_cause(sample_diagnosis):
    assert list(sample_diagnosis.columns) == COLUMNS
    assert keyed(sample_diagnosis, "cause") == EXPECTED
    assert list(zip(sample_diagnosis["account"], sample_diagnosis["item_id"], strict=True)) == [
        (mail, i) for mail, ids in report_unrestored().items() for i in ids
    ]
    counts = sample_diagnosis["cause"].value_counts().to_dict()
    assert counts == {"invalid": 15, "broken": 7, "read_error": 5, "not_in_backup": 3, "restorable": 2}
    assert min(counts.values()) >= 2 and list(sample_diagnosis["cause"].cat.categories) == list(CAUSES)


def test_details_name_what_failed(sample_diagnosis):
    detail = keyed(sample_diagnosis, "detail")
    assert detail[("account1@domain.com", 1255)] == "blob of state 1 missing: no such file"
    truncated = "blob of state 3 truncated_gzip: gzip stream ends early after 216 bytes"
    assert detail[("account2@domain.com", 49965)] == truncated
    assert detail[("bob@example.com", 5002)] == "blob of state 1 too_large: decompresses past the 536870912-byte limit"
    a14 = account_id("account14@domain.com")
    assert detail[("account14@domain.com", 45200)] == (
        f"metadata not_regular_file: a directory, not a file (accounts/{a14}/items/00/45200)"
    )
    assert detail[("account1@domain.com", 1369)] == "long_header_line: header line 5 is 1212 octets (limit 998)"
    assert detail[("account2@domain.com", 6314)] == "missing_date: no Date header"
    for item_id, (mail, check, _raw) in INVALID_ITEMS.items():
        assert detail[(mail, item_id)].startswith(f"{check}: ") or f"; {check}: " in detail[(mail, item_id)]
    assert detail[("carol@domain.com", 7777)] == "no metadata for item 7777 of carol@domain.com"
    assert detail[("admin@example.com", 24700)].startswith("metadata and blob verify")


def test_last_valid_state_and_recoverable_eml(sample_diagnosis):
    last = keyed(sample_diagnosis, "last_valid_state")
    recoverable = keyed(sample_diagnosis, "recoverable_eml")
    assert last[("account2@domain.com", 49965)] == 2  # the seed's procedure: the newest state that verifies
    assert last[("account2@domain.com", 6314)] == 2  # intact, only refused by the validator
    assert last[("admin@example.com", 24700)] == 3
    for key, cause in EXPECTED.items():
        if cause in ("invalid", "restorable") or key == ("account2@domain.com", 49965):
            assert recoverable[key], key
        else:
            assert not recoverable[key] and pd.isna(last[key]), key
    assert str(sample_diagnosis["last_valid_state"].dtype) == "Int64"


def test_columns_of_items_with_and_without_metadata(sample_diagnosis):
    rows = sample_diagnosis.set_index(["account", "item_id"])
    row = rows.loc[("account2@domain.com", 49965)]
    assert (row["type"], row["folder_path"], row["states"]) == ("message", "/Inbox", 3)
    assert row["account_id"] == account_id("account2@domain.com")
    assert row["blob_path"] == str(SAMPLE_DATA.resolve() / "backup" / "items" / row["digest"][:2] / row["digest"])
    gone = rows.loc[("account14@domain.com", 13339)]
    assert gone["states"] == 0 and gone["type"] is None and gone["digest"] is None


def test_seed_excerpt_items(sample_store):
    diagnosis = zx.diagnose(sample_store, zx.read_notification(NOTES / "seed_excerpt.txt"))
    assert keyed(diagnosis, "cause") == {
        ("account1@domain.com", 1255): "read_error", ("account1@domain.com", 1369): "invalid",
        ("account2@domain.com", 49965): "broken", ("account14@domain.com", 856): "broken",
        ("account14@domain.com", 13339): "broken", ("account14@domain.com", 45200): "read_error",
        ("account14@domain.com", 45655): "read_error",
    }  # fmt: skip


def test_report_frame_keeps_its_report_column(sample_store):
    frame = zx.read_notifications([NOTES / "seed_excerpt.txt", NOTES / "restore_report.txt"])
    diagnosis = zx.diagnose(sample_store, frame)
    assert list(diagnosis.columns) == ["report", *COLUMNS]
    assert diagnosis.groupby("report").size().to_dict() == {"seed_excerpt.txt": 7, zx.read_notification(
        NOTES / "restore_report.txt").name: 32}  # fmt: skip


def test_unknown_account_is_not_in_backup(sample_store):
    report = zx.read_notification("- unrestored items -\naccount: ghost@example.com\nunrestored items: 3\n")
    row = zx.diagnose(sample_store, report).iloc[0]
    assert (row["cause"], row["account_id"], row["detail"]) == (
        "not_in_backup", None, "account ghost@example.com is not in the backup"
    )


def test_aliases_resolve(sample_store):
    report = zx.read_notification("- unrestored items -\naccount: A.Rossi@example.com\nunrestored items: 5006\n")
    row = zx.diagnose(sample_store, report).iloc[0]
    assert (row["account"], row["cause"]) == ("alice@example.com", "read_error")


def test_preflight_of_some_accounts(sample_store):
    diagnosis = zx.diagnose(sample_store, accounts=["account14@domain.com", "bob@example.com"])
    failing = diagnosis[diagnosis["cause"] != "restorable"]
    assert keyed(failing, "cause") == {
        ("account14@domain.com", 856): "broken", ("account14@domain.com", 13339): "broken",
        ("account14@domain.com", 45200): "read_error", ("account14@domain.com", 45655): "read_error",
        ("bob@example.com", 5002): "broken", ("bob@example.com", 5003): "read_error",
    }  # fmt: skip
    states = sample_store.item_states(["account14@domain.com", "bob@example.com"])
    assert len(diagnosis) == states[["account_id", "item_id"]].drop_duplicates().shape[0] + 3  # + unreadable files
    assert set(diagnosis["account"]) == {"account14@domain.com", "bob@example.com"}
    assert not diagnosis.duplicated(["account", "item_id"]).any()
    assert zx.diagnose(sample_store, accounts=[]).empty
    assert list(zx.diagnose(sample_store, accounts="").columns) == COLUMNS


def test_preflight_of_the_whole_store(sample_store):
    diagnosis = zx.diagnose(sample_store)
    for (mail, item_id), (kind, _where) in FAULTS.items():
        row = diagnosis[(diagnosis["account"] == mail) & (diagnosis["item_id"] == item_id)]
        expected = "read_error" if kind in ("missing", "not_regular_file", "link_outside", "misplaced") else "broken"
        assert row["cause"].tolist() == [expected], (mail, item_id)
    misplaced = diagnosis.set_index(["account", "item_id"]).loc[("alice@example.com", 4241)]
    assert misplaced["recoverable_eml"] and misplaced["detail"].startswith("metadata misplaced: ")
    table = cause_counts(diagnosis)
    assert list(table.columns) == list(CAUSES) and table.to_numpy().sum() == len(diagnosis)
    assert not diagnosis.duplicated(["account_id", "item_id"]).any()


def test_a_preflight_validating_in_workers_equals_one_in_this_process(sample_path, monkeypatch):
    """The LMTP checks of the newest message states run in worker processes first: the same diagnosis
    and the same errors table as one process, on the sample's damaged and refused messages."""
    from zxforensics.investigate import diagnose as module

    here = zx.open_backup(sample_path, index=False)
    expected = zx.diagnose(here)
    monkeypatch.setattr(module, "PARALLEL_MIN_BLOBS", 1)
    pooled = zx.open_backup(sample_path, index=False, workers=2)
    checked: list[int] = []
    original = module.run_sharded

    def recording(func, root, tasks, **options):
        checked.append(len(tasks))
        return original(func, root, tasks, **options)

    monkeypatch.setattr(module, "run_sharded", recording)
    found = zx.diagnose(pooled)
    pd.testing.assert_frame_equal(found, expected)
    pd.testing.assert_frame_equal(pooled.errors, here.errors)
    assert checked and checked[0] > 100  # the newest message states went to the workers
    assert (found["cause"] == "invalid").sum() >= 13 and (found["cause"] == "broken").sum() >= 5


@pytest.mark.parametrize("pooled", [False, True], ids=["here", "in workers"])
def test_a_later_diagnosis_finds_the_findings_an_earlier_one_kept(sample_path, tmp_path, monkeypatch, pooled):
    """On an indexed store the LMTP findings of every message that verified are kept by digest: the next
    diagnosis (another process's store) still reads and verifies every blob but runs no LMTP check, and
    answers exactly as a store without an index, errors table included."""
    from zxforensics.investigate import diagnose as module

    plain = zx.open_backup(sample_path, index=False)
    expected = zx.diagnose(plain)
    checks: list[int] = []
    original_check = module.validate_message
    monkeypatch.setattr(module, "validate_message", lambda raw: checks.append(1) or original_check(raw))
    asked: list[bool] = []  # the validate flags the workers got
    failed: list[bool] = []  # the flags of the blobs that did not verify there (nothing kept for them)
    original_run = module.run_sharded

    def recording(func, root, tasks, **options):
        asked.extend(validate for _digest, validate in tasks)
        results = original_run(func, root, tasks, **options)
        failed.extend(validate for (_digest, validate), result in zip(tasks, results, strict=True) if result is None)
        return results

    monkeypatch.setattr(module, "run_sharded", recording)
    if pooled:
        monkeypatch.setattr(module, "PARALLEL_MIN_BLOBS", 1)
    runs = []
    for _ in range(2):
        checks.clear()
        asked.clear()
        failed.clear()
        store = zx.open_backup(sample_path, index=tmp_path / "index", workers=2 if pooled else 1)
        read = []
        original_read = store.read_blob_checked
        store.read_blob_checked = lambda digest, read=read, original_read=original_read: (
            read.append(digest) or original_read(digest)
        )
        found = zx.diagnose(store)
        pd.testing.assert_frame_equal(found, expected)
        pd.testing.assert_frame_equal(store.errors, plain.errors)
        runs.append((len(checks), asked.count(True), asked.count(False), len(read), failed.count(True)))
    (checked, validated, verified_only, read, bad), again = runs
    checked_again, validated_again, verified_again, read_again, _ = again
    if pooled:  # the first run validated the messages in the workers, and verified the other items' blobs there
        assert validated > 100 and verified_only > 10
        assert 0 < bad < 20 and validated_again == bad  # only the messages that did not verify are asked again
        assert verified_again == validated - bad + verified_only  # the others are only verified there
    else:
        assert checked > 100 and not asked
    assert checked_again == 0
    assert read_again == read > 0  # every blob still read (here or in the workers) and verified


def test_findings_a_tampered_memo_holds_are_a_miss(sample_path, tmp_path):
    """The index folder is output, and output is hostile too: values that are not findings as the kit
    writes them are checked again, never taken for "no finding"."""
    from zxforensics.investigate.lmtp import rules_token

    store = zx.open_backup(sample_path, index=tmp_path / "index")
    memo = store.content_memo("lmtp", rules_token())
    for digest in store.item_states()["digest"].dropna().unique():
        memo.learn(str(digest), '[["no_separator", 7]]')
    memo.flush()
    found = zx.diagnose(zx.open_backup(sample_path, index=tmp_path / "index"))
    expected = zx.diagnose(zx.open_backup(sample_path, index=False))
    pd.testing.assert_frame_equal(found, expected)
    assert (found["cause"] == "invalid").sum() >= 13


def test_a_blob_changed_since_its_findings_were_kept_is_judged_as_it_is_now(sample_path, tmp_path):
    """The findings are a function of the content its digest names: a file that no longer verifies is
    broken, whatever an earlier run kept for its digest."""
    copy = copy_store(sample_path, tmp_path)
    index = tmp_path / "index"
    first = zx.diagnose(zx.open_backup(copy, index=index))
    invalid = first[(first["cause"] == "invalid") & first["blob_path"].notna()].iloc[0]
    restorable = first[(first["cause"] == "restorable") & first["blob_path"].notna()].iloc[0]
    blob = copy / str(invalid["blob_path"]).split(str(copy) + "/", 1)[-1]
    blob.write_bytes((copy / str(restorable["blob_path"]).split(str(copy) + "/", 1)[-1]).read_bytes())
    again = zx.diagnose(zx.open_backup(copy, index=index))
    pd.testing.assert_frame_equal(again, zx.diagnose(zx.open_backup(copy, index=False)))
    row = again[(again["account_id"] == invalid["account_id"]) & (again["item_id"] == invalid["item_id"])]
    assert row["cause"].tolist() == ["broken"] and "digest" in row["detail"].iloc[0]


def test_each_blob_is_read_once_per_call(sample_path):
    store = zx.open_backup(sample_path)
    calls: dict[str, int] = {}
    original = store.read_blob_checked

    def counting(digest):
        calls[digest] = calls.get(digest, 0) + 1
        return original(digest)

    store.read_blob_checked = counting
    zx.diagnose(store, accounts="bob@example.com")
    assert max(calls.values()) == 1
    bomb = store.get_item("bob@example.com", 5002)["digest"].iloc[0]
    assert calls[bomb] == 1 and store.get_item("bob@example.com", 5002)["size"].iloc[0] == BOMB_SIZE


def test_a_small_verdict_cache_forgets_blobs_that_verify_and_keeps_failures(sample_path, monkeypatch):
    """Past CHECK_CACHE verdicts the checker drops those of blobs that verify (a blob met again is read
    again) and keeps the failures: the same diagnosis and errors, a cache that never holds every blob."""
    from zxforensics.investigate import diagnose as module

    expected_store = zx.open_backup(sample_path, index=False)
    expected = zx.diagnose(expected_store)
    sizes: list[int] = []
    original = module.BlobChecker._keep

    def keep(self, digest, verdict):
        sizes.append(len(self.cache))
        return original(self, digest, verdict)

    monkeypatch.setattr(module, "CHECK_CACHE", 5)
    monkeypatch.setattr(module.BlobChecker, "_keep", keep)
    store = zx.open_backup(sample_path, index=False)
    pd.testing.assert_frame_equal(zx.diagnose(store), expected)
    pd.testing.assert_frame_equal(store.errors, expected_store.errors)
    failed = store.errors["path"].astype(str).str.startswith("items/").sum()  # the blobs that failed
    assert len(sizes) > 100 and max(sizes) <= 5 + failed < expected["digest"].nunique() / 4  # never every blob
    checker = module.BlobChecker(store, limit=2)
    checker.cache = {"a": module.BlobCheck(EvidenceError("missing", "x")), "b": module.VERIFIES}
    checker._keep("c", module.VERIFIES)
    assert set(checker.cache) == {"a", "c"} and checker.room == 3


def test_blobless_items_and_history(make_store):
    builder = make_store()
    builder.account({"zimbraId": "a1", "mail": "x@y.z"}, {"lastScan": 0})
    raw = b"From: a@b.c\nDate: Mon, 20 Jan 2014 10:00:00 +0100\n\nhi\n"
    good = builder.blob(raw)
    builder.item("a1", 300, [{"transactionId": 1, "id": 300, "type": "contact", "startDate": 1_400_000_000_000}])
    builder.item("a1", 301, [
        {"transactionId": 1, "id": 301, "type": "message", "startDate": 1_400_000_000_000, "digest": good},
        {"transactionId": 2, "id": 301, "type": "message", "startDate": 1_400_000_100_000, "digest": "A" * 43 + "="},
    ])  # fmt: skip
    store = zx.open_backup(builder.root)
    diagnosis = zx.diagnose(store)
    assert keyed(diagnosis, "cause") == {("x@y.z", 300): "restorable", ("x@y.z", 301): "read_error"}
    assert keyed(diagnosis, "last_valid_state") == {("x@y.z", 300): 1, ("x@y.z", 301): 1}
    assert keyed(diagnosis, "recoverable_eml") == {("x@y.z", 300): False, ("x@y.z", 301): True}
    history = item_history(store, "x@y.z", 301)
    assert history["blob"].tolist() == ["verifies", "missing: no such file"]
    assert history["transaction_id"].tolist() == [1, 2]


def test_report_summary(sample_restore):
    stats = dict(report_summary(sample_restore[0], sample_restore[1]).itertuples(index=False))
    assert stats["operation"] == "External Restore" and stats["server"] == "test.domain.com"
    assert stats["unrestored items"] == "32" and stats["skipped items"] == "19"
    assert stats["listed unrestored"] == "32" and stats["listed skipped"] == "19"
    assert stats["check"] == "the per-account lists add up to the stats line"
    assert [stats[f"cause {c}"] for c in CAUSES] == ["5", "7", "15", "3", "2"]


@pytest.mark.parametrize("shape", ["no_items", "empty"])
def test_a_preflight_of_a_store_without_items_is_empty_with_its_columns(store_shape, shape):
    """One account and no item, or no account: nothing would fail, and the frame still has its columns."""
    store = zx.open_backup(store_shape(shape))
    preflight = zx.diagnose(store)
    assert preflight.empty and set(COLUMNS) <= set(preflight.columns)
    assert int(cause_counts(preflight).to_numpy().sum()) == 0
    report = zx.read_notification(store_shape(shape).parent / "notifications" / "restore_report.txt")
    diagnosis = zx.diagnose(store, report)
    assert set(diagnosis["cause"]) <= {"not_in_backup"} and len(diagnosis) == (1 if shape == "no_items" else 0)
