"""A reader and a refresh of one index in two stores (two processes, a notebook and the CLI): the refresh
never pulls a part from under the reader, and the reader never takes a part another refresh removed for
damage (which would rebuild the whole index)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pandas.testing import assert_frame_equal
from store_copy import copy_store

import zxforensics as zx
from zxforensics.store import scan
from zxforensics.store.backup import BackupStore
from zxforensics.store.index import BLOBS_DIR, MANIFEST, STATES_DIR

pytestmark = pytest.mark.filterwarnings("error::zxforensics.store.index.IndexWarning")


def add_item(path: Path, account_id: str, number: int) -> None:
    """A new item file in an account (a copy of its first one under a new id): new states, a new part."""
    existing = sorted((path / f"accounts/{account_id}/items").glob("*/*"))[0]
    item_id = 99_000_000 + number * 100 + 99
    target = path / f"accounts/{account_id}/items/99/{item_id}"
    target.parent.mkdir(exist_ok=True)
    target.write_bytes(existing.read_bytes())


def on_disk(folder: Path) -> set[str]:
    return {f"{sub}/{p.name}" for sub in (STATES_DIR, BLOBS_DIR) if (folder / sub).is_dir()
            for p in (folder / sub).iterdir()}  # fmt: skip


def listed(folder: Path) -> set[str]:
    manifest = json.loads((folder / MANIFEST).read_text())
    blobs = {entry["part"] for entry in manifest["blobs"].values() if entry.get("part")}
    return set(manifest["parts"]) | blobs


@pytest.fixture
def indexed_copy(sample_path, tmp_path) -> tuple[Path, Path, str]:
    path = copy_store(sample_path, tmp_path)
    folder = tmp_path / "index"
    store = zx.build_index(path, index=folder)
    return path, folder, store.resolve_account("alice@example.com")


def test_a_reader_takes_the_manifest_another_refresh_committed(indexed_copy, monkeypatch):
    path, folder, alice = indexed_copy
    reader = zx.open_backup(path, index=folder)
    reader.accounts()  # the manifest is read: alice's part is listed in it
    old_part = reader._manifest["accounts"][alice]["part"]
    add_item(path, alice, 1)
    assert zx.open_backup(path, index=folder).refresh() == [alice]  # another store rescans alice...
    assert not (folder / old_part).exists()  # ...and its commit removed the part the reader knew

    def refuse(*_args, **_kwargs):
        raise AssertionError("the reader rescanned: it should have taken the other refresh's manifest")

    monkeypatch.setattr(scan, "scan_account_items", refuse)
    monkeypatch.setattr(scan, "scan_shard", refuse)
    states = reader.item_states()
    assert reader.index_note is None  # not taken for damage: nothing was rebuilt
    monkeypatch.undo()
    memory = BackupStore(path, tz=reader.tz)
    assert_frame_equal(states, memory.item_states())
    assert_frame_equal(reader.errors, memory.errors)


def test_parts_a_query_reads_outlive_a_refresh_until_it_ends(indexed_copy):
    path, folder, alice = indexed_copy
    reader = zx.open_backup(path, index=folder)
    expected = reader.state_count()
    stream = reader.sql_batches("SELECT * FROM states ORDER BY account_id, item_id", rows=5)
    rows = next(stream).num_rows  # the query runs: the parts it reads are held
    add_item(path, alice, 1)
    writer = zx.open_backup(path, index=folder)
    assert writer.refresh() == [alice]
    kept = on_disk(folder) - listed(folder)
    assert kept, "the part the query reads was superseded: it must wait, not be removed"
    rows += sum(batch.num_rows for batch in stream)  # the stream ends on the parts it began with
    assert rows == expected
    states = reader.item_states()  # the reader's next read of parts takes the manifest the refresh committed
    assert len(states) > expected and reader.state_count() == len(states)
    add_item(path, alice, 2)
    assert writer.refresh() == [alice]  # no reader now: this commit removes what waited
    assert on_disk(folder) == listed(folder)
    assert not kept & on_disk(folder)


def test_index_parts_are_the_listed_ones(indexed_copy):
    import dask.dataframe as dd

    path, folder, alice = indexed_copy
    store = zx.open_backup(path, index=folder)
    with store._index.reading():  # a reader holds the parts: the refresh's superseded part stays
        add_item(path, alice, 1)
        zx.open_backup(path, index=folder).refresh()
    assert on_disk(folder) - listed(folder)
    parts = store.index_parts()
    assert {f"{STATES_DIR}/{p.name}" for p in parts} == {p for p in listed(folder) if p.startswith(STATES_DIR)}
    assert len(dd.read_parquet([str(p) for p in parts]).compute()) == len(store.item_states())
