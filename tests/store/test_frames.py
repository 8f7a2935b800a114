"""Columns -> DataFrames: folder paths from a damaged tree, UTC timestamps, one row per problem."""

from __future__ import annotations

import numpy as np
import pandas as pd
from tiny_store import tiny

import zxforensics as zx
from zxforensics.store.frames import STATE_COLUMNS, assemble_errors, folder_paths, ms_to_utc, unchecked_categorical


def folders(rows: list[tuple]) -> pd.DataFrame:
    """States of folder items: (item_id, name, parent_id), plus one message in each folder."""
    states = [{"account_id": "a", "item_id": i, "type": "folder", "name": n, "parent_id": p, "folder_id": p,
               "start_date": pd.Timestamp(0, tz="UTC")} for i, n, p in rows]  # fmt: skip
    return pd.DataFrame(states)


def test_folder_paths_walk_parents_and_survive_damage():
    paths = folder_paths(folders([(257, "Projects", 2), (258, "2013", 257), (300, "loop", 301), (301, "back", 300),
                                  (400, "orphan", 999)]))  # fmt: skip
    assert paths[("a", 257)] == "/Inbox/Projects"
    assert paths[("a", 258)] == "/Inbox/Projects/2013"
    assert paths[("a", 300)] == "/back/loop"  # a cycle stops the walk instead of looping
    assert paths[("a", 400)] == "/<folder 999>/orphan"  # a missing parent is named by its id


def test_ms_to_utc_keeps_missing_values():
    dates = ms_to_utc(pd.Series([0, None, 1373639744000], dtype="Int64"))
    assert str(dates.dt.tz) == "UTC" and dates.isna().tolist() == [False, True, False]
    assert dates.iloc[2] == pd.Timestamp("2013-07-12 14:35:44", tz="UTC")


def test_assemble_errors_one_row_per_problem():
    row = {"path": "p", "account_id": "a", "item_id": 5, "kind": "invalid_json", "detail": "d"}
    df = assemble_errors([row, dict(row), {**row, "item_id": None}])
    assert len(df) == 2 and str(df["item_id"].dtype) == "Int64" and str(df["kind"].dtype) == "category"


def test_state_frame_dtypes(make_store):
    states = zx.open_backup(tiny(make_store)).item_states()
    assert list(states.columns[: len(STATE_COLUMNS)]) == STATE_COLUMNS
    assert str(states["start_date"].dt.tz) == "UTC" and str(states["end_date"].dt.tz) == "UTC"
    for column in ("account_id", "type", "folder_path", "digest", "blob_path", "source_path"):
        assert str(states[column].dtype) == "category", column
    assert states["item_id"].dtype == "int64" and states["deleted"].dtype == bool


def test_unchecked_categorical_equals_the_checked_one():
    """The categoricals made without pandas' uniqueness check (a hash table kept for the frame's life) are
    the ones pandas makes: same values, categories, dtype and code width."""
    categories = pd.Index(["b", "a", "c"], dtype="str")
    codes = np.array([0, 2, -1, 1, 0])
    made = unchecked_categorical(codes, categories)
    expected = pd.Categorical.from_codes(codes, categories=categories)
    pd.testing.assert_series_equal(pd.Series(made), pd.Series(expected))
    assert made.codes.dtype == expected.codes.dtype == np.int8
    assert list(made.categories) == ["b", "a", "c"]


def test_source_paths_in_slices_equal_one_slice(make_store, monkeypatch):
    """Paths built a few items at a time (chunks of one array) are those built at once, a real path
    (an account archive's member) landing in the right slice; the frame is the one a single conversion gives."""
    from zxforensics.store import frames

    b = make_store()
    b.backupstat("srv", 0, 0, 1)
    for item_id in (300, 301, 303, 304):
        b.write(f"accounts/acc-1/items/{item_id % 100:02d}/{item_id}",
                f'[{{"transactionId": 1, "id": {item_id}, "type": "message", "startDate": 0}},'
                f' {{"transactionId": 2, "id": {item_id}, "type": "message", "startDate": 5}}]'.encode())  # fmt: skip
    b.write("accounts/acc-1/items/07/302", b'[{"transactionId": 1, "id": 302, "type": "message", "startDate": 0}]')
    whole = zx.open_backup(b.root, index=False).item_states()
    monkeypatch.setattr(frames, "PATH_SLICE", 2)
    sliced = zx.open_backup(b.root, index=False).item_states()
    pd.testing.assert_frame_equal(sliced, whole)
    paths = sliced.drop_duplicates("item_id").set_index("item_id")["source_path"]
    assert paths[302] == f"{b.root}/accounts/acc-1/items/07/302"  # misplaced: its real path, in the 2nd slice
    assert paths[304] == f"{b.root}/accounts/acc-1/items/04/304"
    assert sliced["source_path"].cat.categories.dtype == "str"


def test_column_by_column_conversion_equals_arrow_s_own():
    """`_to_pandas_freeing` gives the frame `Table.to_pandas` gives (nullable ints, strings, lists), and
    empties the list it was handed: it holds the only reference, so each column is freed as converted."""
    import pyarrow as pa

    from zxforensics.store import frames

    table = pa.table({"i": pa.array([1, None, 3]), "s": pa.array(["a", None, "c"]), "b": pa.array([True, None, False]),
                      "l": pa.array([None, ["x"], []], pa.list_(pa.string()))})  # fmt: skip
    handed = [table]
    converted = frames._to_pandas_freeing(handed)
    assert handed == []
    pd.testing.assert_frame_equal(converted, frames.to_pandas(table))
    assert str(converted["i"].dtype) == "Int64" and str(converted["b"].dtype) == "boolean"
