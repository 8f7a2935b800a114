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
