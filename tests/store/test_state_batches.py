"""store.state_batches: every state a group of whole accounts at a time, the unit of memory of whole-store
questions on a store larger than memory. Concatenated, the batches are item_states, with or without an index;
an indexed store keeps none of them in memory."""

from __future__ import annotations

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

import zxforensics as zx
from zxforensics.runtime.shards import bounded_runs
from zxforensics.sample.shapes import SHAPES
from zxforensics.store.backup import BackupStore
from zxforensics.store.frames import concat_states


def concatenated(batches: list[pd.DataFrame], like: pd.DataFrame) -> pd.DataFrame:
    """The batches as one frame with item_states' dtypes (each batch has its own categories)."""
    whole = pd.concat(batches, ignore_index=True)
    return whole.astype(like.dtypes.to_dict())


@pytest.mark.parametrize("indexed", [False, True])
def test_the_batches_hold_every_state_in_item_states_order(sample_path, tmp_path, indexed):
    store = zx.open_backup(sample_path, index=tmp_path / "index" if indexed else False)
    memory = BackupStore(sample_path)
    expected = memory.item_states()
    batches = list(store.state_batches(max_states=40))
    assert len(batches) > 2 and all(len(b) for b in batches)
    for batch in batches:  # whole accounts: no account is split between two batches
        assert len(batch) <= 40 or batch["account_id"].nunique() == 1
    owners = [set(b["account_id"].astype(str)) for b in batches]
    assert sum(len(o) for o in owners) == len(set().union(*owners))
    assert_frame_equal(concatenated(batches, expected), expected)
    if indexed:
        assert store._states is None  # read from the index, kept nowhere
        assert len(memory.errors)
        assert_frame_equal(store.errors, memory.errors)  # as a scan records them, once
        list(store.state_batches(max_states=40))
        assert_frame_equal(store.errors, memory.errors)


def test_batches_of_named_accounts(sample_path, tmp_path):
    store = zx.open_backup(sample_path, index=tmp_path / "index")
    names = list(store.accounts()["name"])[:2]
    expected = BackupStore(sample_path).item_states(names)
    assert len(expected)
    assert_frame_equal(concatenated(list(store.state_batches(names, max_states=1)), expected), expected)


def test_runs_hold_whole_keys_within_the_bound():
    rows = {"a": 3, "b": 3, "c": 10, "d": 0, "e": 4}
    assert list(bounded_runs(list(rows), rows, 6)) == [["a", "b"], ["c"], ["d", "e"]]
    assert list(bounded_runs([], {}, 6)) == []


@pytest.mark.parametrize("name", ["sample", *SHAPES])
@pytest.mark.parametrize("indexed", [False, True])
def test_concat_states_unites_the_categories_as_item_states_has_them(name, indexed, sample_path, store_shape,
                                                                     tmp_path):  # fmt: skip
    path = sample_path if name == "sample" else store_shape(name)
    expected = BackupStore(path).item_states()
    store = zx.open_backup(path, index=tmp_path / "index" if indexed else False)
    batches = list(store.state_batches(max_states=5)) or [store.item_states([])]  # a store without accounts
    assert_frame_equal(concat_states(batches), expected)  # categories included, with no astype
    deleted = [b[b["deleted"]] for b in batches]  # a cut of each batch: the same cut of item_states
    assert_frame_equal(concat_states(deleted), expected[expected["deleted"]].reset_index(drop=True))
