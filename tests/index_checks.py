"""What every test of the index asks: a store answering from it answers as a fresh scan does."""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.testing import assert_frame_equal, assert_index_equal

from zxforensics.store.backup import BackupStore


def assert_same(indexed: BackupStore, path, accounts=None) -> None:
    """Every table a store answers from the index equals the in-memory scan of a store without one."""
    memory = BackupStore(path, tz=indexed.tz)
    assert_frame_equal(indexed.item_states(accounts), memory.item_states(accounts))
    assert_frame_equal(indexed.items("last", accounts), memory.items("last", accounts))
    assert_frame_equal(indexed.accounts(extra=True), memory.accounts(extra=True))
    if accounts is None:
        assert_frame_equal(indexed.blobs(), memory.blobs())
        # the per-account counts the index keeps (summary, holdings) equal the frames' over every state
        assert_frame_equal(indexed.newest_state_counts(), memory.newest_state_counts())
        assert indexed.state_count() == memory.state_count() == len(memory.item_states())
    assert_frame_equal(indexed.errors, memory.errors)


def assert_frames_identical(left: pd.DataFrame, right: pd.DataFrame) -> None:
    """assert_frame_equal, dtypes included, with categoricals compared by their categories (values, dtype
    and order) and codes: pandas's own check boxes every value of a categorical, minutes on 10^5 rows."""
    assert list(left.columns) == list(right.columns)
    categorical = [c for c in left.columns if isinstance(left[c].dtype, pd.CategoricalDtype)]
    for column in categorical:
        assert isinstance(right[column].dtype, pd.CategoricalDtype), column
        assert_index_equal(left[column].cat.categories, right[column].cat.categories, obj=column, exact=True)
        assert left[column].cat.ordered == right[column].cat.ordered, column
        np.testing.assert_array_equal(left[column].cat.codes.to_numpy(), right[column].cat.codes.to_numpy(), column)
    assert_frame_equal(left.drop(columns=categorical), right.drop(columns=categorical))
