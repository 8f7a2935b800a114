"""zx.timeline: item states in Timesketch's import format, written as CSV or JSONL."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import zxforensics as zx
from zxforensics.cli import main
from zxforensics.errors import ZxError
from zxforensics.investigate.timeline import TIMELINE_COLUMNS, iso_utc


@pytest.fixture(scope="module")
def events(sample_store):
    return zx.timeline(sample_store)


def test_one_event_per_state_with_timesketch_columns(events, sample_store):
    assert list(events.columns) == TIMELINE_COLUMNS
    assert len(events) == len(sample_store.item_states())
    assert events["timestamp"].is_monotonic_increasing
    # every datetime is ISO 8601 in UTC and agrees with the microsecond timestamp
    parsed = pd.to_datetime(events["datetime"], format="ISO8601", utc=True)
    assert (parsed.dt.as_unit("us").astype("int64") == events["timestamp"]).all()
    assert events["datetime"].str.endswith("+00:00").all()
    first = ~sample_store.item_states().duplicated(["account_id", "item_id"])
    assert (events["timestamp_desc"] == "Item first state").sum() == int(
        (first & ~sample_store.item_states()["deleted"]).sum()
    )


def test_seed_item_24700(sample_store):
    rows = zx.timeline(sample_store, "admin@example.com")
    rows = rows[rows["item_id"] == 24700]
    # the seed's getItem dates, 12/07/2013 16:35:44 ... in the server's zone (CEST), here in UTC
    assert rows["datetime"].tolist() == [
        "2013-07-12T14:35:44+00:00", "2013-07-12T15:04:33+00:00", "2013-07-15T08:03:26+00:00",
    ]  # fmt: skip
    assert rows["timestamp"].tolist() == [1373639744000000, 1373641473000000, 1373875406000000]
    assert rows["timestamp_desc"].tolist() == ["Item deleted"] * 3
    assert rows["message"].iloc[1] == (
        'message 24700 of admin@example.com in /Trash: "Service mailboxd started on test.example.com" '
        "from admin@example.com (state 2, deleted)"
    )
    assert rows["folder_path"].tolist() == ["/Inbox", "/Trash", "/Trash"]


def test_account_filter_and_changes(sample_store):
    rows = zx.timeline(sample_store, ["account2@domain.com"])
    assert set(rows["account"]) == {"account2@domain.com"}
    assert len(rows) == len(sample_store.item_states("account2@domain.com"))
    offer = rows[rows["item_id"] == 49965]
    assert offer["timestamp_desc"].tolist() == ["Item first state", "Item changed", "Item changed"]
    assert offer["datetime"].tolist() == [f"2014-01-{d}T09:00:00+00:00" for d in (10, 11, 12)]
    assert offer["source_path"].str.endswith("/items/65/49965").all()


def test_write_csv_and_jsonl(events, tmp_path):
    small = events.head(5)
    csv_path = zx.write_timeline(small, tmp_path / "t.csv")
    back = pd.read_csv(csv_path)
    assert back["datetime"].tolist() == small["datetime"].tolist()
    assert back["message"].tolist() == small["message"].tolist()
    jsonl = zx.write_timeline(small, tmp_path / "t.jsonl")
    lines = [orjson.loads(line) for line in jsonl.read_bytes().splitlines()]
    assert [line["timestamp"] for line in lines] == small["timestamp"].tolist()
    assert {"datetime", "timestamp_desc", "message"} <= set(lines[0])
    assert lines[0]["digest"] is None or isinstance(lines[0]["digest"], str)
    with pytest.raises(ZxError, match="refusing to overwrite"):
        zx.write_timeline(small, csv_path)
    with pytest.raises(ZxError, match=r"\.csv or \.jsonl"):
        zx.write_timeline(small, tmp_path / "t.txt")


def test_written_in_chunks_as_one_file(events, tmp_path, monkeypatch):
    from zxforensics.investigate import timeline as module

    monkeypatch.setattr(module, "CHUNK_ROWS", 3)
    small = events.head(8)
    assert zx.write_timeline(small, tmp_path / "t.csv").read_text() == small.to_csv(index=False)
    assert len(zx.write_timeline(small, tmp_path / "t.jsonl").read_bytes().splitlines()) == 8
    assert zx.write_timeline(small.head(0), tmp_path / "e.csv").read_text().strip() == ",".join(small.columns)
    few = small[["datetime", "message"]].head(0)  # any frame: its own header
    assert zx.write_timeline(few, tmp_path / "f.csv").read_text() == "datetime,message\n"
    assert zx.write_timeline(small.head(2), tmp_path / "t.csv", overwrite=True).read_text() == small.head(2).to_csv(
        index=False)


def test_cli_timeline(tmp_path, sample_path, capsys):
    out = tmp_path / "timeline.jsonl"
    args = ["timeline", "backup_path", str(sample_path), "accounts", "account2@domain.com", "out", str(out)]
    assert main(args) == 0
    text = capsys.readouterr().out
    written = out.read_bytes().splitlines()
    assert f"events{' ' * 54}{len(written)}" in text
    assert main(args) == 2  # an existing file is refused
    assert "refusing to overwrite" in capsys.readouterr().err
    assert main(["--force", *args]) == 0
    assert main(["timeline", "backup_path", str(sample_path), "out", str(sample_path / "t.csv")]) == 2
    assert "refusing to write into the backup path" in capsys.readouterr().err
    assert not (sample_path / "t.csv").exists()


# -- the streamed export: the same bytes from the index as from the in-memory frame ----------------
def _both(path, index_dir):
    """The same backup path scanned in memory and opened through an index of the test's own."""
    return zx.open_backup(path, index=False), zx.open_backup(path, index=index_dir)


def _same_files(tmp_path, memory, indexed, accounts=None) -> dict:
    """Both stores exported as CSV and JSONL; asserts the files are byte-identical, returns the counts."""
    from zxforensics.investigate.timeline import export_timeline

    counts = {}
    for ext in ("csv", "jsonl"):
        a = export_timeline(memory, tmp_path / f"memory.{ext}", accounts=accounts, overwrite=True)
        b = export_timeline(indexed, tmp_path / f"indexed.{ext}", accounts=accounts, overwrite=True)
        assert a.path.read_bytes() == b.path.read_bytes(), ext
        pd.testing.assert_series_equal(a.counts, b.counts)
        counts[ext] = a
    return counts


def test_streamed_export_equals_the_frame_on_the_sample(sample_path, tmp_path, monkeypatch):
    from zxforensics.investigate import timeline as module

    # many slices and batches on a small store: the order and the first states hold across them
    monkeypatch.setattr(module, "SLICE_ROWS", 97)
    monkeypatch.setattr(module, "CHUNK_ROWS", 41)
    memory, indexed = _both(sample_path, tmp_path / "index")
    assert indexed.index_dir is not None and len(module._slices(indexed, "")) > 5
    written = _same_files(tmp_path, memory, indexed)
    frame = zx.timeline(memory)
    pd.testing.assert_frame_equal(frame, _sorted_reference(memory))
    assert written["csv"].path.read_text() == frame.to_csv(index=False)  # write_timeline's bytes, too
    assert written["csv"].counts.to_dict() == frame["timestamp_desc"].value_counts().sort_index().to_dict()
    assert len(written["jsonl"].path.read_bytes().splitlines()) == len(frame) == 1349
    _same_files(tmp_path, memory, indexed, accounts="account2@domain.com,admin@example.com")
    one = _same_files(tmp_path, memory, indexed, accounts=["admin@example.com"])
    assert set(pd.read_csv(one["csv"].path)["account"]) == {"admin@example.com"}


@pytest.mark.parametrize("shape", ["empty", "no_items", "unicode", "archives_only", "large_account"])
def test_streamed_export_equals_the_frame_on_shapes(store_shape, shape, tmp_path):
    """No account, accounts without a state, unicode names, item files inside account archives."""
    memory, indexed = _both(store_shape(shape), tmp_path / "index")
    written = _same_files(tmp_path, memory, indexed)
    if shape in ("empty", "no_items"):
        assert written["csv"].path.read_text() == ",".join(TIMELINE_COLUMNS) + "\n"
        assert written["jsonl"].path.read_bytes() == b"" and written["csv"].counts.empty


def test_streamed_export_equals_the_frame_on_a_generated_store(tmp_path, monkeypatch):
    from zxforensics.investigate import timeline as module

    monkeypatch.setattr(module, "SLICE_ROWS", 250)
    path = zx.generate_store(tmp_path / "gen", accounts=4, items_per_account=150, seed=3, blobs=False)
    memory, indexed = _both(path, tmp_path / "index")
    written = _same_files(tmp_path, memory, indexed)
    assert written["csv"].counts.sum() == len(memory.item_states()) > 4 * 150


def test_export_refuses_like_write_timeline(sample_path, tmp_path):
    from zxforensics.investigate.timeline import export_timeline

    store = zx.open_backup(sample_path, index=tmp_path / "index")
    export_timeline(store, tmp_path / "t.csv")
    with pytest.raises(ZxError, match="refusing to overwrite"):
        export_timeline(store, tmp_path / "t.csv")
    with pytest.raises(ZxError, match=r"\.csv or \.jsonl"):
        export_timeline(store, tmp_path / "t.txt")
    with pytest.raises(ZxError, match="refusing to write into the backup path"):
        export_timeline(store, sample_path / "t.csv")
    assert not (sample_path / "t.csv").exists()


def test_states_by_month_same_from_duckdb_and_pandas(sample_path, tmp_path, store_shape):
    from zxforensics.investigate.timeline import count_by_month, states_by_month

    memory, indexed = _both(sample_path, tmp_path / "index")
    for tz in (memory.tz, "UTC", "Asia/Kathmandu", "America/Sao_Paulo"):
        expected = count_by_month(zx.timeline(memory), tz)
        pd.testing.assert_frame_equal(states_by_month(indexed, tz), expected)
        pd.testing.assert_frame_equal(states_by_month(memory, tz), expected)
    table = states_by_month(indexed)
    assert table.to_numpy().sum() == 1349 and list(table.columns) == ["Item first state", "Item changed",
                                                                       "Item deleted"]  # fmt: skip
    assert table.index[0].strftime("%m/%Y") == "06/2013" and table.index.is_monotonic_increasing
    two = states_by_month(indexed, accounts="account2@domain.com")
    pd.testing.assert_frame_equal(two, count_by_month(zx.timeline(memory, "account2@domain.com"), memory.tz))
    for shape in ("empty", "no_items"):
        assert states_by_month(zx.open_backup(store_shape(shape), index=tmp_path / shape)).empty


def test_states_by_month_falls_back_when_a_clock_goes_back_over_a_month_start(sample_path, tmp_path, monkeypatch):
    from zxforensics.investigate import timeline as module

    memory, indexed = _both(sample_path, tmp_path / "index")
    monkeypatch.setattr(module, "_month_start_ms", lambda month, tz: 0)  # month starts out of order
    expected = module.count_by_month(zx.timeline(memory), memory.tz)
    pd.testing.assert_frame_equal(module.states_by_month(indexed), expected)


def _sorted_reference(store) -> pd.DataFrame:
    """timeline() as first written: every event formatted, then sorted (the kit orders the states first)."""
    from zxforensics.investigate import timeline as module

    states = store.item_states()
    states = states[states["start_date"].notna()]
    first = ~states.duplicated(["account_id", "item_id"], keep="first")
    events = module._events(states, first.to_numpy(dtype=bool))
    return events.sort_values(module.EVENT_ORDER, kind="stable").reset_index(drop=True)


def _awkward_store(make_store):
    """What could set the two paths apart: two accounts of one name, states of one instant (across accounts,
    items and within an item), a state without a start date, dates before 1970 and after 2100, a folder cycle
    and a missing parent, a misplaced item file, subjects a CSV must quote, `deleted` missing."""
    builder = make_store()
    t = 1373639744123
    for account_id in ("acc-b", "acc-a", "acc-c"):
        mail = "twin@example.com" if account_id != "acc-c" else "Ünïcode@example.com"
        builder.account({"zimbraId": account_id, "mail": mail}, {"lastScan": 1393556400000})
        builder.item(account_id, 300, [
            {"transactionId": 2, "id": 300, "type": "message", "folderId": 2, "startDate": t, "subject": 'a "b", c\nd'},
            {"transactionId": 1, "id": 300, "type": "message", "folderId": 2, "startDate": t, "subject": "=1+2"},
            {"transactionId": 3, "id": 300, "type": "message", "folderId": 400, "startDate": t + 1, "deleted": True},
            {"transactionId": 4, "id": 300, "type": "message", "folderId": 401},
        ])  # fmt: skip
        builder.item(account_id, 7, [
            {"transactionId": 1, "id": 7, "type": "document", "folderId": 16, "startDate": -86_400_000, "name": "old"},
            {"transactionId": 2, "id": 7, "type": "document", "folderId": 16, "startDate": 4_102_444_800_123,
             "name": "", "subject": ""},
        ])  # fmt: skip
        builder.item(account_id, 400, [{"transactionId": 1, "id": 400, "type": "folder", "folderId": 401,
                                        "parentId": 401, "name": "loop", "startDate": t}])  # fmt: skip
        builder.item(account_id, 401, [{"transactionId": 1, "id": 401, "type": "folder", "folderId": 400,
                                        "parentId": 400, "name": "pool", "startDate": t}])  # fmt: skip
        builder.item(account_id, 402, [{"transactionId": 1, "id": 402, "type": "folder", "folderId": 999,
                                        "parentId": 999, "name": "orphan", "startDate": t}])  # fmt: skip
    builder.item("acc-a", 55, [{"transactionId": 1, "id": 55, "type": "message", "folderId": 402, "startDate": t}],
                 nn="12")  # fmt: skip
    return builder.root


def test_streamed_export_equals_the_frame_on_an_awkward_store(make_store, tmp_path, monkeypatch):
    from zxforensics.investigate import timeline as module
    from zxforensics.investigate.timeline import count_by_month, states_by_month

    monkeypatch.setattr(module, "SLICE_ROWS", 3)
    monkeypatch.setattr(module, "CHUNK_ROWS", 2)
    memory, indexed = _both(_awkward_store(make_store), tmp_path / "index")
    written = _same_files(tmp_path, memory, indexed)
    frame = zx.timeline(memory)
    pd.testing.assert_frame_equal(frame, _sorted_reference(memory))
    assert len(frame) == memory.item_states()["start_date"].notna().sum() == written["csv"].counts.sum()
    assert frame["datetime"].iloc[-1] == "2100-01-01T00:00:00.123000+00:00"
    assert set(frame["account"]) == {"twin@example.com", "Ünïcode@example.com"}
    pd.testing.assert_frame_equal(states_by_month(indexed), count_by_month(frame, memory.tz))


@settings(max_examples=200, deadline=None)
@given(times=st.lists(st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59)),
                      max_size=20),
       unit=st.sampled_from(["s", "ms", "us", "ns"]), zone=st.sampled_from(["UTC", "Europe/Rome", "Asia/Kolkata"]),
       nanos=st.integers(0, 999))  # fmt: skip
def test_the_timeline_dates_are_the_isoformat_of_each_time(times, unit, zone, nanos):
    """`datetime` of an event is `Timestamp.isoformat()` in UTC, made for a whole column at once: the same
    text for any unit, zone, year and fraction (times below the microsecond or out of years 1000 to 9999
    take the Timestamp's own way)."""
    stamps = [pd.Timestamp(t, tz=UTC) for t in times if unit != "ns" or 1678 <= t.year <= 2261]
    column = pd.Series(pd.DatetimeIndex(stamps, dtype=f"datetime64[{unit}, UTC]"
                                        if stamps else "datetime64[ns, UTC]").tz_convert(zone))  # fmt: skip
    if unit == "ns" and len(column):
        column = column + pd.Timedelta(nanoseconds=nanos)
    assert list(iso_utc(column)) == [t.tz_convert("UTC").isoformat() for t in column]
