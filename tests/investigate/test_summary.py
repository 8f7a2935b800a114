"""store.sql's `last_states` view (each item's newest state, for whole-store questions in DuckDB) gives the
rows of select_states(..., "last"); the `real_paths` view, the item files found elsewhere, as item_states'
`source_path` names them."""

from __future__ import annotations

import pandas as pd
import pytest

import zxforensics as zx
from zxforensics.store.states import select_states

KEY = ["account_id", "item_id", "transaction_id", "deleted", "size"]


def _rows(frame) -> list[tuple]:
    frame = frame[KEY].astype({"account_id": str, "item_id": int, "transaction_id": int, "deleted": bool})
    rows = frame.itertuples(index=False)
    return sorted((a, i, t, d, None if pd.isna(s) else int(s)) for a, i, t, d, s in rows)


def _check_last_states(path, index_dir) -> int:
    indexed = zx.open_backup(path, index=index_dir)
    expected = select_states(zx.open_backup(path, index=False).item_states(), "last")
    view = indexed.sql("SELECT * FROM last_states")
    assert list(view.columns) == list(indexed.sql("SELECT * FROM states LIMIT 0").columns)
    assert _rows(view) == _rows(expected)
    return len(view)


def test_last_states_view_is_select_states_last(sample_path, tmp_path):
    assert _check_last_states(sample_path, tmp_path / "index") == len(zx.open_backup(sample_path).items("last"))


@pytest.mark.parametrize("shape", ["empty", "no_items", "unicode", "archives_only"])
def test_last_states_view_on_shapes(store_shape, shape, tmp_path):
    _check_last_states(store_shape(shape), tmp_path / "index")


def test_last_states_view_on_a_generated_store(tmp_path):
    path = zx.generate_store(tmp_path / "gen", accounts=3, items_per_account=120, seed=5, blobs=False)
    assert _check_last_states(path, tmp_path / "index") == 3 * 120


def test_real_paths_view_names_the_files_found_elsewhere(store_shape, tmp_path):
    path = store_shape("archives_only")
    indexed = zx.open_backup(path, index=tmp_path / "index")
    moved = indexed.sql("SELECT * FROM real_paths")
    assert len(moved) > 0
    states = zx.open_backup(path, index=False).item_states()
    keys = zip(states["account_id"].astype(str), states["item_id"], strict=True)
    paths = dict(zip(keys, states["source_path"].astype(str), strict=True))
    for account_id, item_id, source_path in moved.itertuples(index=False):
        assert paths[(account_id, item_id)] == source_path
        assert source_path != f"{indexed.root}/accounts/{account_id}/items/{item_id % 100:02d}/{item_id}"
    # the states view names every state's item file as item_states does, moved or not
    view = indexed.sql("SELECT DISTINCT account_id, item_id, source_path FROM states")
    assert dict(zip(zip(view["account_id"], view["item_id"], strict=True), view["source_path"], strict=True)) == paths
