"""Retention: what a purge removes at a date, and which blobs that frees (shared blobs are kept)."""

from __future__ import annotations

import os

import pandas as pd
import pytest

import zxforensics as zx
from zxforensics.format import digest as vdigest
from zxforensics.investigate.retention import ACCOUNT_COLUMNS, BLOB_COLUMNS, ITEM_COLUMNS, basis, purge_forecast
from zxforensics.sample import audit_cases
from zxforensics.sample.catalog import account_id

MARCH_1 = "01/03/2014 00:00:00"  # Europe/Paris: 28/02/2014 23:00 UTC


@pytest.fixture(scope="module")
def store(sample_path):
    return zx.open_backup(sample_path)


def shared_digest() -> str:
    return vdigest.digest_of(audit_cases.message(audit_cases.SHARED_WITH[1], "Shared announcement"))


def test_a_purge_on_march_1st(store, sample_path):
    plan = store.retention(30, 30, MARCH_1)
    assert plan.at == pd.Timestamp("2014-02-28 23:00:00", tz="UTC")
    assert list(plan.accounts.columns) == ACCOUNT_COLUMNS and list(plan.items.columns) == ITEM_COLUMNS
    accounts = plan.accounts.set_index("account")
    assert accounts.loc["dave@domain.com", ["reason", "purged"]].tolist() == ["deleted", True]
    assert accounts.loc["dave@domain.com", "purge_after"] == pd.Timestamp("2014-02-14 10:00:00", tz="UTC")
    # eve's COS disables the backup: treated as deleted from her last scan (28/02/2014 03:00 UTC)
    assert accounts.loc["eve@domain.com", ["reason", "purged"]].tolist() == ["backup_disabled", False]
    assert accounts.loc["eve@domain.com", "purge_after"] == pd.Timestamp("2014-03-30 03:00:00", tz="UTC")
    frank = plan.items[plan.items["account"] == "frank@example.com"].set_index("item_id")
    assert frank.loc[[7120, 7122, 7123], "purged"].tolist() == [True, True, False]  # 7123: deleted 20/02
    blobs = plan.blobs.set_index("digest")
    assert list(plan.blobs.columns) == BLOB_COLUMNS
    # 7120's content is still alice's 7121: kept; 7122's own blob: freed, with its size on disk
    assert blobs.loc[shared_digest(), ["freed", "still_used_by"]].tolist() == [False, 1]
    own = vdigest.digest_of(audit_cases.message(7122, "Deleted note 7122"))
    assert bool(blobs.loc[own, "freed"])
    assert blobs.loc[own, "compressed_size"] == os.stat(sample_path / vdigest.blob_relpath(own)).st_size
    assert vdigest.digest_of(audit_cases.message(7123, "Deleted note 7123")) not in blobs.index


def test_the_totals_follow_the_rules(store):
    """Recomputed from the states: deleted newest states older than 30 days, outside dave's account."""
    plan = store.retention(30, 30, MARCH_1)
    last = store.items("last")
    dave = account_id("dave@domain.com")
    due = last[last["deleted"] & (last["start_date"] <= plan.at - pd.Timedelta(days=30)) & (last["account_id"] != dave)]
    assert int(plan.items["purged"].sum()) == len(due)
    states = store.item_states()
    gone = states[states["account_id"].eq(dave) | states.set_index(["account_id", "item_id"]).index.isin(
        list(zip(due["account_id"], due["item_id"], strict=True)))]  # fmt: skip
    kept = set(states.drop(gone.index)["digest"].dropna())
    freed = set(gone["digest"].dropna()) - kept
    assert set(plan.blobs.loc[plan.blobs["freed"], "digest"]) == freed
    on_disk = store.blobs().set_index("digest")["compressed_size"]
    assert plan.bytes_freed == int(sum(on_disk.get(d, 0) for d in freed if d in on_disk.index)) > 0
    summary = dict(plan.summary().itertuples(index=False))
    assert summary["accounts purged"] == "1" and summary["bytes freed"] == str(plan.bytes_freed)


def test_later_the_backup_disabled_account_goes_too(store):
    plan = store.retention(30, 30, "05/04/2014 00:00:00")
    assert sorted(plan.accounts.loc[plan.accounts["purged"], "account"]) == ["dave@domain.com", "eve@domain.com"]
    eve = account_id("eve@domain.com")
    assert eve not in set(plan.items["account_id"])  # her items go with her account
    assert bool(plan.items.set_index(["account", "item_id"]).loc[("frank@example.com", 7123), "purged"])


def test_zero_days_keep_forever(store):
    plan = store.retention(0, 0, "01/01/2030 00:00:00")
    assert not plan.accounts["purged"].any() and not plan.items["purged"].any()
    assert plan.accounts["purge_after"].isna().all()
    assert plan.blobs.empty and plan.bytes_freed == 0
    only_items = store.retention(30, 0, "01/01/2030 00:00:00")
    assert not only_items.accounts["purged"].any()
    assert dave_items_purged(only_items) > 0  # dave's deleted items still go one by one


def dave_items_purged(plan) -> int:
    return int(plan.items.loc[plan.items["account"] == "dave@domain.com", "purged"].sum())


def test_before_the_deletions_nothing_goes(store):
    plan = store.retention(30, 30, "01/06/2013 00:00:00")
    assert not plan.accounts["purged"].any() and not plan.items["purged"].any() and plan.bytes_freed == 0


def test_the_forecast_grows_with_time(store):
    dates = pd.to_datetime(["2014-03-01", "2014-03-20", "2014-04-10"]).tz_localize("Europe/Paris")
    forecast = purge_forecast(store, 30, 30, dates)
    assert list(forecast.columns) == ["date", "accounts", "items", "blobs_freed", "bytes_freed"]
    assert forecast["accounts"].tolist() == [1, 1, 2]
    assert forecast["bytes_freed"].is_monotonic_increasing and forecast["items"].is_monotonic_increasing
    assert forecast["bytes_freed"].iloc[0] == store.retention(30, 30, MARCH_1).bytes_freed
    assert len(purge_forecast(store)) == 14  # weekly from the last scan


def test_the_purged_views_and_one_basis_per_store(store):
    plan = store.retention(30, 30, MARCH_1)
    assert plan.purged_accounts()["account"].tolist() == ["dave@domain.com"]
    assert plan.purged_items().equals(plan.items[plan.items["purged"]])
    per_account = plan.purged_per_account().set_index("account")["deleted items purged"]
    assert per_account["frank@example.com"] == 6 and per_account.sum() == len(plan.purged_items())
    # every purge date (a forecast, a widget's change) reuses the store's basis: blobs are listed once
    assert basis(store) is basis(store) and basis(zx.open_backup(store.root)) is not basis(store)


@pytest.mark.parametrize("shape", ["no_deleted", "empty", "no_items"])
def test_a_store_with_no_purge_candidate_forecasts_nothing(store_shape, shape):
    """No deleted or backup-disabled account (or no account at all): the forecast starts on the day of the
    last scan (today for an empty store) and purges no account; the plan has its columns, empty."""
    store = zx.open_backup(store_shape(shape))
    today = pd.Timestamp.now(tz="UTC").normalize()
    forecast = purge_forecast(store)
    assert len(forecast) == 14 and forecast["accounts"].sum() == 0
    if shape == "empty":
        assert today <= forecast["date"].iloc[0] <= pd.Timestamp.now(tz="UTC")
    else:
        assert forecast["date"].iloc[0] == pd.Timestamp("2014-02-28", tz="UTC")  # the shapes' last scan
    plan = zx.retention(store)
    assert plan.accounts.empty and list(plan.accounts.columns) == ACCOUNT_COLUMNS
