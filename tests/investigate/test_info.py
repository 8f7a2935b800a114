"""investigate/info.py: backupstat read tolerantly, system accounts, account spans, COS status."""

from __future__ import annotations

import pandas as pd
import pytest
import watched_store
from watched_store import DELETED, DISABLED, LIVE, LOOKALIKES, SYSTEM

import zxforensics as zx
from zxforensics.errors import InvalidArgument, NotFound
from zxforensics.investigate import info


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


@pytest.fixture
def watched(make_store):
    built = watched_store.build(make_store())
    return built, zx.open_backup(built.root)


def test_backup_info_of_the_sample(sample_store):
    facts = info.backup_info(sample_store)
    assert facts["firstScan"] == ts("2013-06-01 02:00") and facts["lastScan"] == ts("2014-02-28 03:00")
    assert (facts["numActiveBackupedAccounts"], facts["numCheckedAccounts"]) == (9, 9)
    assert facts["numCheckedAccounts_source"] == "backupstat"


@pytest.mark.parametrize(("raw", "expected"), [
    (1370052000000, ts("2013-06-01 02:00")), (1370052000, ts("2013-06-01 02:00")),
    ("1370052000000", ts("2013-06-01 02:00")), ("2013-06-01T02:00:00Z", ts("2013-06-01 02:00")), (0, info.EPOCH),
    (1e30, info.EPOCH), (-5, info.EPOCH), ("yesterday", info.EPOCH), (True, info.EPOCH), ([1], info.EPOCH),
    ({"ms": 1}, info.EPOCH), (None, info.EPOCH),
])  # fmt: skip
def test_stat_dates_are_read_tolerantly(make_store, raw, expected):
    """backupstat's dates as the store reads them (parse.backupstat): an odd one prints as never."""
    builder = make_store()
    builder.write_json("backupstat", {"firstScan": raw})
    builder.account({"zimbraId": "acc-1", "mail": "one@example.com"}, {"lastScan": 0, "deleted": False})
    assert info.backup_info(zx.open_backup(builder.root))["firstScan"] == expected


@pytest.mark.parametrize(("raw", "expected"), [
    (9, 9), ("12", 12), (12.0, 12), (-3, None), (1.5, None), ("many", None), (True, None), (2**70, None), (None, None),
])  # fmt: skip
def test_stat_counts_are_read_tolerantly(raw, expected):
    assert info.stat_count(raw) == expected


def test_odd_backupstat_is_never_and_counted_with_error_rows(make_store):
    builder = make_store()
    builder.write_json("backupstat", {"firstScan": 1e30, "lastScan": "soon", "numCheckedAccounts": [3]})
    builder.account({"zimbraId": "acc-1", "mail": "one@example.com"}, {"lastScan": 0, "deleted": False})
    builder.account({"zimbraId": "acc-2", "mail": "two@example.com"}, {"lastScan": 0, "deleted": True})
    store = zx.open_backup(builder.root)
    facts = info.backup_info(store)
    assert facts["firstScan"] == facts["lastScan"] == info.EPOCH
    assert (facts["numActiveBackupedAccounts"], facts["numCheckedAccounts"]) == (1, 2)
    assert facts["numActiveBackupedAccounts_source"] == "accounts"
    details = store.errors.loc[store.errors["kind"] == "invalid_metadata", "detail"].tolist()
    # three fields left out by the parse of backupstat, two counts counted from accounts/ instead
    assert len(details) == 5 and sum(d.startswith("backupstat: ") and "left out" in d for d in details) == 3
    assert any(d.startswith("backupstat: 'firstScan': date out of range") for d in details)


def test_absent_backupstat_counts_without_error_rows(make_store):
    builder = make_store()
    builder.account({"zimbraId": "acc-1", "mail": "one@example.com"}, {"lastScan": 0, "deleted": False})
    store = zx.open_backup(builder.root)
    facts = info.backup_info(store)
    assert facts["lastScan"] == info.EPOCH and facts["numCheckedAccounts"] == 1 and store.errors.empty


def test_system_accounts_by_attribute_and_by_name(watched):
    _, store = watched
    flagged = info.system_accounts(store.accounts(extra=True))
    names = store.accounts(extra=True)["name"]
    assert sorted(names[flagged]) == sorted(SYSTEM)
    assert not flagged[names.isin(LOOKALIKES)].any()  # galsyncer@, spam@: people, not Zimbra's


@pytest.mark.parametrize(("name", "system"), [
    ("galsync@example.com", True), ("GalSync.x1@example.com", True), ("spam.kq2v@example.com", True),
    ("ham.kq2v@example.com", True), ("virus-quarantine.a1@example.com", True), ("galsyncer@example.com", False),
    ("spam@example.com", False), ("hamlet.smith@example.com", False), ("john.spam.x@example.com", False),
])  # fmt: skip
def test_system_names(name, system):
    frame = pd.DataFrame({"name": [name]})
    assert bool(info.system_accounts(frame).iloc[0]) is system


def test_available_accounts_filters(watched):
    built, store = watched
    default = info.available_accounts(store)
    assert sorted(default["name"]) == sorted(set(built.ids) - set(SYSTEM))
    assert not default["system"].any()
    everyone = info.available_accounts(store, hide_system=False)
    assert len(everyone) == len(built.ids) and everyone["system"].sum() == len(SYSTEM)
    kept = info.available_accounts(store, hide_deleted=True, hide_system=False)
    assert sorted(kept["name"]) == built.backed_up  # the deleted one and the one out of backup are gone
    out = everyone.set_index("name")["out_of_backup"]
    assert out[DELETED] and out[DISABLED] and not out[LIVE[0]]
    assert info.available_accounts(store, domains=["other.example.com"]).empty
    assert len(info.available_accounts(store, domains=["@CORP.example.com"])) == len(default)


def test_available_accounts_at_a_date(sample_store):
    before = info.available_accounts(sample_store, date="14/01/2014 00:00:00")["name"].tolist()
    after = info.available_accounts(sample_store, date="16/01/2014 00:00:00")["name"].tolist()
    assert "dave@domain.com" in before and "dave@domain.com" not in after
    assert info.available_accounts(sample_store, date="01/01/2013 00:00:00").empty  # before the first scan


def test_spans_of_live_deleted_and_disabled_accounts(sample_store):
    alice = info.account_intervals(sample_store, "alice@example.com")
    assert alice.to_dict("records") == [{"start": ts("2013-06-01 02:00"), "end": pd.NaT, "current": True}]
    dave = info.account_intervals(sample_store, "dave@domain.com")
    assert dave.to_dict("records") == [{"start": ts("2013-06-01 02:00"), "end": ts("2014-01-15 10:00"),
                                        "current": False}]  # fmt: skip
    eve = info.account_intervals(sample_store, "eve@domain.com")  # out of backup from her last scan
    assert eve["end"].tolist() == [ts("2014-02-28 03:00")] and not eve["current"].iloc[0]
    for choice in ("most_recent", "least_recent", "all", "01/01/2014 00:00:00"):
        assert info.account_intervals(sample_store, "alice@example.com", choice).equals(alice)
    with pytest.raises(NotFound, match=r"no state of the account dave@domain\.com at 01/02/2014"):
        info.account_intervals(sample_store, "dave@domain.com", "01/02/2014 00:00:00")


def test_span_starts_with_the_later_of_creation_and_first_scan():
    first = ts("2013-06-01")
    later = info.account_span({"created": ts("2014-01-01"), "deleted": False}, first)
    assert later == info.Span(ts("2014-01-01"), later.end, True) and pd.isna(later.end)
    assert info.account_span({"created": ts("2010-01-01")}, first).start == first
    unknown = info.account_span({"created": None, "backup_disabled": pd.NA}, None)
    assert pd.isna(unknown.start) and unknown.current and unknown.covers(ts("1999-01-01"))
    deleted = info.account_span({"deleted": True, "deleted_date": pd.NaT, "last_scan": ts("2014-02-01")}, first)
    assert deleted.end == ts("2014-02-01") and not deleted.covers(ts("2014-03-01"))


def test_absent_account_gets_the_vendor_sentence(sample_store):
    with pytest.raises(NotFound, match=r"^Can't find the backup folder for the account nobody@example\.com$"):
        info.account_intervals(sample_store, "nobody@example.com")


def test_account_stats(sample_store):
    stats = info.account_stats(sample_store, "alice@example.com")
    states = sample_store.item_states("alice@example.com")
    assert stats["items"] == states["item_id"].nunique() and stats["states"] == len(states)
    assert stats["newest_change"] == states["start_date"].max()
    sizes = states.dropna(subset=["digest"]).drop_duplicates("digest")["size"]
    assert stats["bytes"] == int(sizes.sum()) > 0


def test_cos_backup_status(sample_store, watched):
    frame = info.cos_backup_status(sample_store)
    assert frame[["name", "backup_enabled", "accounts"]].values.tolist() == [
        ["default", True, 8], ["nobackup", False, 1]]
    assert info.cos_backup_status(sample_store, "1930eb6c-9697-53ff-9c57-1a821468cea0")["name"].tolist() == ["nobackup"]
    with pytest.raises(InvalidArgument, match="no COS named 'gold'"):
        info.cos_backup_status(sample_store, "gold")
    _built, store = watched
    assert info.cos_backup_status(store).set_index("name")["accounts"].to_dict() == {
        "default": len(_built.ids) - 2, "nobackup": 1}


def test_cos_backup_status_without_a_dump(make_store):
    builder = make_store()
    builder.backupstat("srv", 1, 2, 0)
    frame = info.cos_backup_status(zx.open_backup(builder.root))
    assert frame.empty and list(frame.columns) == info.COS_COLUMNS
