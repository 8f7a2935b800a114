"""investigate/health.py: the check's measurements as plain data, without a CLI."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pandas as pd
import watched_store
from watched_store import DISABLED

import zxforensics as zx
from zxforensics.investigate import health


def test_sound_store(make_store):
    built = watched_store.build(make_store(), last_scan_hours=2, out_of_backup=False)
    store = zx.open_backup(built.root)
    now = pd.Timestamp(built.now)
    measured = health.measure(store, sample=1000, now=now, seed=1)
    assert measured.last_scan == pd.Timestamp(built.last_scan) and measured.age_hours == 2.0
    assert measured.active_accounts == measured.checked_accounts == len(built.ids) - 1
    assert measured.unprotected == [] and measured.read_errors == 0 and measured.errors_by_kind == {}
    assert measured.copy is None
    sample = measured.sample
    assert (sample.asked, sample.verified, sample.failed, sample.cut_short) == (len(built.digests),) * 2 + ([], False)


def test_stale_and_never_scanned(make_store):
    built = watched_store.build(make_store("a"), last_scan_hours=30)
    measured = health.measure(zx.open_backup(built.root), now=pd.Timestamp(built.now))
    assert measured.age_hours == 30.0 and measured.unprotected == [DISABLED]
    builder = make_store("b")
    builder.backupstat("srv", 0, 0, 0)
    never = health.measure(zx.open_backup(builder.root))
    assert never.last_scan is None and never.age_hours is None


def test_without_backupstat_the_newest_account_scan_counts(make_store):
    builder = make_store()
    builder.account({"zimbraId": "acc-1", "mail": "one@example.com"}, {"lastScan": 1393556400000, "deleted": False})
    measured = health.measure(zx.open_backup(builder.root))
    assert measured.last_scan == pd.Timestamp("2014-02-28 03:00", tz="UTC")
    assert (measured.active_accounts, measured.checked_accounts) == (1, 1)  # counted from accounts/


def test_read_errors_of_the_sample(fresh_store):
    measured = health.measure(fresh_store)
    assert measured.read_errors == 2 and measured.errors_by_kind == {"misplaced": 2}
    assert measured.unprotected == ["eve@domain.com"]


def test_sample_finds_a_damaged_blob_and_keeps_its_budget(make_store):
    built = watched_store.build(make_store(), out_of_backup=False)
    damaged = f"items/{built.digests[0][:2]}/{built.digests[0]}"
    (Path(built.root) / damaged).write_bytes(b"plain text, not gzip")
    store = zx.open_backup(built.root)
    sample = health.verify_sample(store, 1000, seed=3)
    assert sample.verified == len(built.digests) - 1 and [p for p, _ in sample.failed] == [damaged]
    assert sample.failed[0][1].startswith("not_gzip: ")
    cut = health.verify_sample(zx.open_backup(built.root), 1000, budget_seconds=0.0, seed=3)
    assert cut.asked == len(built.digests) and cut.verified + len(cut.failed) <= 1 and cut.cut_short
    assert health.verify_sample(store, 0).asked == 0
    first, again = (health.verify_sample(store, 3, seed=9) for _ in range(2))
    assert first.asked == 3 and first.verified + len(first.failed) == again.verified + len(again.failed)


def test_copy_drift_by_stat_with_a_lag(make_store, tmp_path):
    built = watched_store.build(make_store(), out_of_backup=False)
    copy = tmp_path / "copy"
    shutil.copytree(built.root, copy, copy_function=shutil.copy2)
    store = zx.open_backup(built.root)
    now = pd.Timestamp.now(tz="UTC")
    in_step = health.copy_drift(store, str(copy), max_lag_hours=0, now=now)
    assert (in_step.missing, in_step.changed, in_step.extra, in_step.pending, in_step.problem) == ([], [], [], 0, None)
    assert in_step.compared == sum(len(files) for _, _, files in os.walk(built.root))
    gone, grown = (f"items/{d[:2]}/{d}" for d in built.digests[:2])
    (copy / gone).unlink()
    with open(copy / grown, "ab") as handle:
        handle.write(b"x")
    old = time.time() - 3 * 86400  # the original's files of three days ago: past any lag
    os.utime(os.path.join(built.root, gone), (old, old))
    drift = health.copy_drift(store, str(copy), max_lag_hours=26, now=now)
    assert drift.missing == [gone] and drift.changed == [] and drift.pending == 1  # `grown` is fresh: pending
    drift = health.copy_drift(store, str(copy), max_lag_hours=0, now=now)
    assert drift.missing == [gone] and drift.changed == [grown] and drift.pending == 0
    problem = health.copy_drift(store, str(tmp_path / "nothing"), 26, now).problem
    assert problem.endswith("no such folder (expected a Zextras backup path)")


def test_the_sample_is_drawn_a_group_of_folders_at_a_time(sample_path):
    """The blobs to verify are drawn while the listing is read a group of prefix folders at a time (it is never
    held whole): every canonical blob when the sample is larger, `size` distinct ones otherwise, the same for
    the same seed, and the listing's own problems recorded on the way."""
    store = zx.open_backup(sample_path)
    measured = health.measure(store, sample=5, seed=4)
    assert "_blob_files" not in store.__dict__
    assert measured.errors_by_kind.get("misplaced") == 2  # the listing's misplaced blobs, met on the way
    listing = zx.open_backup(sample_path).blob_files()
    canonical = set(listing.loc[~listing["misplaced"], "digest"])
    everything = health.draw_blobs(store, 10**6, seed=1)
    assert sorted(everything) == sorted(canonical)
    drawn = health.draw_blobs(store, 7, seed=2)
    assert len(set(drawn)) == 7 and set(drawn) <= canonical and drawn == health.draw_blobs(store, 7, seed=2)
    assert health.draw_blobs(store, 7, seed=3) != drawn and health.draw_blobs(store, 0) == []
