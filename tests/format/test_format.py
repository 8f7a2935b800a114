"""The vendor adapter: digests, blob paths, NN folders, tolerant keys and day-first dates."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zxforensics.format import digest, layout
from zxforensics.format.dates import (
    BadDate,
    format_info_date,
    format_vendor_date,
    parse_user_date,
    parse_vendor_date,
    to_epoch_ms,
)
from zxforensics.format.keys import state_field


def test_digest_of_test_matches_format_md():
    assert digest.digest_of(b"test") == "n4bQgYhMfWWaL+qgxVrQFaO,TxsrC4Is0V1sFbDwCgg="
    assert digest.verify("n4bQgYhMfWWaL+qgxVrQFaO,TxsrC4Is0V1sFbDwCgg=", b"test")
    assert not digest.verify("n4bQgYhMfWWaL+qgxVrQFaO,TxsrC4Is0V1sFbDwCgg=", b"tesT")


def test_legacy_sha1_digest_is_recognised_and_verified():
    sha1 = digest.digest_of(b"old mailbox", "sha1")
    assert len(sha1) == 28 and digest.is_digest(sha1)
    assert digest.hash_name(sha1) == "sha1"
    assert digest.verify(sha1, b"old mailbox")


def test_blob_and_item_paths():
    assert digest.blob_relpath("c0,gUlvzQfE21z6YRXJnNkKL85PrRHw0KMQUqo,pMmQ=") == (
        "items/c0/c0,gUlvzQfE21z6YRXJnNkKL85PrRHw0KMQUqo,pMmQ="
    )
    assert layout.nn_folder(2057) == "57"
    assert layout.nn_folder(5) == "05"
    assert layout.item_relpath("abc", 2057) == "accounts/abc/items/57/2057"
    assert not digest.is_digest("../../etc/passwd")
    name = "c0,gUlvzQfE21z6YRXJnNkKL85PrRHw0KMQUqo,pMmQ="
    assert digest.is_digest(name) and not digest.is_digest(name + "\n")  # a file named with a final newline
    assert len(digest.ALPHABET) == 64 and set(name) - {"="} <= set(digest.ALPHABET)


@pytest.mark.parametrize("key", ["startDate", "start_date", "StartDate", "STARTDATE"])
def test_keys_are_tolerant(key):
    assert state_field(key) == "start_date"


def test_synonyms():
    assert state_field("itemId") == state_field("item_id") == state_field("id") == "item_id"
    assert state_field("blobDigest") == state_field("blob_digest") == "digest"
    assert state_field("somethingElse") is None


def test_vendor_dates_are_day_first_in_the_server_zone():
    moment = parse_vendor_date("12/07/2013 16:35:44", "Europe/Paris")
    assert moment == datetime(2013, 7, 12, 14, 35, 44, tzinfo=UTC)
    assert format_vendor_date(moment, "Europe/Paris") == "12/07/2013 16:35:44"
    winter = parse_vendor_date("28/02/2014 04:01:14", "Europe/Paris")
    assert format_vendor_date(winter, "Europe/Paris", zone=True) == "28/02/2014 04:01:14 CET"


def test_ambiguous_day_month_is_never_swapped():
    assert parse_vendor_date("03/04/2014 00:00:00").month == 4
    with pytest.raises(BadDate, match="dd/MM/yyyy"):
        parse_vendor_date("13/13/2014 00:00:00")
    with pytest.raises(BadDate):
        parse_vendor_date("2014-13-01")


def test_tolerant_metadata_dates():
    expected = 1373639744000
    assert to_epoch_ms(expected) == expected
    assert to_epoch_ms(expected // 1000) == expected
    assert to_epoch_ms("2013-07-12T14:35:44Z") == expected
    assert to_epoch_ms("12/07/2013 14:35:44") == expected
    assert to_epoch_ms(None) is None


def test_user_dates_accept_datetimes_and_iso():
    naive = datetime(2013, 7, 12, 16, 35, 44)
    assert parse_user_date(naive, "Europe/Paris") == datetime(2013, 7, 12, 14, 35, 44, tzinfo=UTC)
    assert parse_user_date("2013-07-12T14:35:44+00:00") == datetime(2013, 7, 12, 14, 35, 44, tzinfo=UTC)


def test_missing_dates_print_as_nothing():
    import pandas as pd

    assert format_vendor_date(None) == format_vendor_date(pd.NaT) == format_vendor_date(float("nan")) == ""
    stamp = pd.Timestamp("2013-07-12 14:35:44", tz="UTC")
    assert format_vendor_date(stamp, "Europe/Paris", zone=True) == "12/07/2013 16:35:44 CEST"


OUT_OF_RANGE = [1e23, 10**17, 2**63 - 1, -(2**63), float("inf"), float("nan"), "9" * 5000, "2013-13-45",
                "9999-12-31T00:00:00", "01/01/0001 00:00:00", 1e300, [1], {}]


@pytest.mark.parametrize("value", OUT_OF_RANGE)
def test_dates_outside_pandas_range_are_bad_dates(value):
    with pytest.raises(BadDate):
        to_epoch_ms(value)


def test_the_edges_of_the_date_range():
    from zxforensics.format.dates import MAX_EPOCH_MS, MIN_EPOCH_MS, ldap_time_to_ms

    assert to_epoch_ms(MAX_EPOCH_MS) == MAX_EPOCH_MS and to_epoch_ms(MIN_EPOCH_MS) == MIN_EPOCH_MS
    assert pd.Timestamp(MAX_EPOCH_MS, unit="ms", tz="UTC").as_unit("ns").year == 2262
    assert pd.Timestamp(MIN_EPOCH_MS, unit="ms", tz="UTC").as_unit("ns").year == 1677
    assert [ldap_time_to_ms(v) for v in ("99991231235959Z", "00010101000000Z", "20130712143544Z")] == [
        None, None, 1373639744000]  # fmt: skip


@settings(max_examples=300, deadline=500)
@given(value=st.one_of(st.integers(-(2**80), 2**80), st.floats(), st.text(max_size=30), st.none(), st.booleans()))
def test_property_to_epoch_ms_is_in_range_or_a_bad_date(value):
    from zxforensics.format.dates import MAX_EPOCH_MS, MIN_EPOCH_MS

    try:
        result = to_epoch_ms(value)
    except BadDate:
        return
    assert result is None or MIN_EPOCH_MS <= result <= MAX_EPOCH_MS
def test_info_dates_print_as_the_vendors_info_verbs():
    import pandas as pd

    stamp = pd.Timestamp("2019-06-14 02:00:07", tz="UTC")
    assert format_info_date(stamp, "Europe/Rome") == "2019-06-14 04:00:07 CEST"
    assert format_info_date(stamp) == "2019-06-14 02:00:07 UTC"
    never = datetime.fromtimestamp(0, UTC)
    assert format_info_date(never, "Europe/Rome") == "1970-01-01 01:00:00 CET"
    assert format_info_date(never, "America/Sao_Paulo") == "1969-12-31 21:00:00 -03"
    assert format_info_date(None) == format_info_date(pd.NaT) == ""
