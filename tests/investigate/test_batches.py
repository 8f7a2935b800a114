"""The whole-store faces (blobs, retention, shares, the pre-flight diagnosis) read the states a batch of
whole accounts at a time: on an indexed store cut in many small batches, each answers exactly what the
in-memory store answers from every state at once, and keeps no frame of every state."""

from __future__ import annotations

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal
from sample_paths import SAMPLE_DATA

import zxforensics as zx
from zxforensics.investigate import blob_groups, diagnose
from zxforensics.investigate.retention import (
    Basis,
    account_candidates,
    deleted_items,
    item_counts,
    plan_at,
    purge_instant,
)
from zxforensics.sample.shapes import SHAPES
from zxforensics.store import backup

STORES = ["sample", *SHAPES]
TINY = 3  # states a batch: every store of more than one small account is cut in several


def paths(name: str, store_shape) -> tuple:
    """The backup path of `name` and its restore notification."""
    if name == "sample":
        return SAMPLE_DATA / "backup", SAMPLE_DATA / "notifications" / "restore_report.eml"
    backup_path = store_shape(name)
    return backup_path, backup_path.parent / "notifications" / "restore_report.txt"


@pytest.fixture
def batched(monkeypatch):
    """Batches of TINY states; returns the list of the sizes of the batches read so far."""
    sizes: list[int] = []
    real = backup.BackupStore.state_batches

    def counted(self, *args, **kwargs):
        for batch in real(self, *args, **kwargs):
            sizes.append(len(batch))
            yield batch

    monkeypatch.setattr(backup, "BATCH_STATES", TINY)
    monkeypatch.setattr(diagnose, "ROWS_AT_ONCE", 2)  # the diagnosis's rows built in slices too
    monkeypatch.setattr(blob_groups, "COUNT_GROUP_BLOBS", 2)  # and the listing read in many groups
    monkeypatch.setattr(backup.BackupStore, "state_batches", counted)
    return sizes


def in_memory_retention(store) -> zx.investigate.retention.Retention:
    """The purge as computed from every state at once (the basis of the kit before batches)."""
    states = store.item_states()
    files = store.blob_files()
    on_disk = files[~files["misplaced"]].set_index("digest")["compressed_size"]
    slim = states[["account_id", "item_id", "digest", "size"]].astype({"account_id": str})
    keys = pd.MultiIndex.from_arrays([slim["account_id"], slim["item_id"]])
    counted = item_counts(states)
    used = slim.dropna(subset=["digest"]).drop_duplicates(["account_id", "item_id", "digest"])
    users = used.groupby("digest", observed=True).size()
    users.index = users.index.astype(object)
    base = Basis(slim, keys, users, account_candidates(store.accounts(), counted), deleted_items(states), on_disk)
    return plan_at(base, purge_instant(store), 30, 30)


def same_errors(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    """The same rows (a batch's blob errors may come between two batches' scan errors)."""

    def rows(df: pd.DataFrame) -> list[tuple]:
        return sorted(map(tuple, df.astype(str).to_numpy().tolist()))

    assert rows(got) == rows(expected)


def answers(store, face: str, notification):
    if face == "blobs":
        return [store.blobs()]
    if face == "retention":
        plan = store.retention()
        return [plan.accounts, plan.items, plan.blobs]
    if face == "shares":
        return [store.shares()]
    if face == "diagnose":
        return [zx.diagnose(store)]
    if face == "preflight":
        found = zx.preflight(store)
        return [found.counts, found.failures]
    unrestored = zx.read_notification(notification).unrestored[["account", "item_id"]]
    if face == "diagnose_report":
        return [zx.diagnose(store, zx.read_notification(notification))]
    # several reports in one frame (as zx.read_notifications gives them), an unknown account among them
    frame = pd.concat([unrestored.assign(report="a.txt"), unrestored.iloc[::-1].assign(report="b.eml"),
                       pd.DataFrame({"account": ["nobody@example.com"], "item_id": [1], "report": ["c.txt"]})],
                      ignore_index=True)  # fmt: skip
    return [zx.diagnose(store, frame)]


FACES = ["blobs", "retention", "shares", "diagnose", "preflight", "diagnose_report", "diagnose_frame"]
# the pre-flight keeps and counts what `diagnose` gives (tested on large_account): not run there again
CASES = [(name, face) for name in STORES for face in FACES if (name, face) != ("large_account", "preflight")]


@pytest.mark.parametrize(("name", "face"), CASES)
def test_batched_faces_answer_as_in_memory(name, face, store_shape, tmp_path, batched, monkeypatch):
    backup_path, notification = paths(name, store_shape)
    if name == "large_account":  # 20,000 items: slices of 2 would cost 5 ms each, slices of 5,000 still cut it
        monkeypatch.setattr(diagnose, "ROWS_AT_ONCE", 5000)
    memory = zx.open_backup(backup_path, index=False)
    with pytest.MonkeyPatch.context() as whole:  # one batch: every state at once
        whole.setattr(backup, "BATCH_STATES", 10**9)
        if face == "preflight":  # the counts and failing rows of the diagnosis of every item, at once
            every = zx.diagnose(memory)
            expected = [diagnose.cause_counts(every), diagnose.would_fail(every).reset_index(drop=True)]
        else:
            expected = answers(memory, face, notification)
    if face == "blobs":
        states = memory.item_states()
        listed = memory.blob_files()
        used = listed["digest"].isin(set(states["digest"].dropna())) & ~listed["misplaced"]
        assert expected[0]["referenced"].tolist() == used.tolist()
    if face == "retention":
        reference = in_memory_retention(zx.open_backup(backup_path, index=False))
        for got, old in zip(expected, [reference.accounts, reference.items, reference.blobs], strict=True):
            assert_frame_equal(got, old)
    batched.clear()
    indexed = zx.open_backup(backup_path, index=tmp_path / "index")
    got = answers(indexed, face, notification)
    for frame, want in zip(got, expected, strict=True):
        assert_frame_equal(frame, want)
    assert indexed._states is None  # nothing of every state kept
    same_errors(indexed.errors, memory.errors)
    held = indexed.state_count()
    if held > 2 * TINY and len(indexed.accounts()) > 1:
        assert len(batched) > 1 and max(batched) < held  # several batches, none of every state


def test_a_purge_in_memory_in_small_batches(sample_path, batched):
    """Without an index the batches are slices of the frame in memory: the same purge."""
    store = zx.open_backup(sample_path, index=False)
    plan = store.retention()
    assert len(batched) > 3
    reference = in_memory_retention(zx.open_backup(sample_path, index=False))
    assert_frame_equal(plan.blobs, reference.blobs)
    assert_frame_equal(plan.items, reference.items)
    assert plan.blobs["freed"].any() and (~plan.blobs["freed"]).any()  # shared blobs are kept
