"""The listing of items/ kept in the index (store.index_blobs): equal to the walk, never walked again while
its folders are unchanged, listed again a group at a time when they change, rebuilt when damaged."""

from __future__ import annotations

import json
import os

import pytest
from pandas.testing import assert_frame_equal
from store_copy import copy_store

import zxforensics as zx
from zxforensics.sample.shapes import SHAPES, make_shape
from zxforensics.store import index_blobs, scan
from zxforensics.store.backup import BackupStore
from zxforensics.store.index import BLOBS_DIR, MANIFEST

pytestmark = pytest.mark.filterwarnings("error::zxforensics.store.index.IndexWarning")


def same_listing(indexed: BackupStore, path) -> None:
    """The indexed store's listing, blobs and errors equal those of a store that walks items/."""
    memory = BackupStore(path, tz=indexed.tz)
    assert_frame_equal(indexed.blob_files(), memory.blob_files())
    assert_frame_equal(indexed.blobs(), memory.blobs())
    assert_frame_equal(indexed.errors, memory.errors)


@pytest.fixture
def walks(monkeypatch) -> list[int]:
    """Counts the walks of items/ (one per group of prefix folders listed)."""
    calls: list[int] = []
    real = scan.scan_blobs

    def counted(root, folders=None):
        calls.append(1)
        return real(root, folders)

    monkeypatch.setattr(scan, "scan_blobs", counted)
    return calls


def test_the_listing_from_the_index_equals_the_walk_and_is_not_walked_again(sample_path, tmp_path, walks):
    folder = tmp_path / "index"
    built = zx.build_index(sample_path, index=folder)
    assert walks and built.index_info()["blob_files"] == len(BackupStore(sample_path).blob_files()) > 500
    assert len(list((folder / BLOBS_DIR).iterdir())) > 20  # a part per group of prefix folders
    walks.clear()
    warm = zx.open_backup(sample_path, index=folder)
    listed = warm.blob_files()
    groups = list(zx.open_backup(sample_path, index=folder).blob_file_groups(["ABC", "abc"]))
    assert not walks  # read from the parts
    assert listed["path"].iloc[0] == f"{warm.root}/items/{listed['prefix'].iloc[0]}/{listed['digest'].iloc[0]}"
    assert set(groups[0]["prefix"].str[0]) <= set("ABC") and len(groups[1]) > len(groups[0])
    same_listing(zx.open_backup(sample_path, index=folder), sample_path)


@pytest.mark.parametrize("shape", list(SHAPES))
def test_every_shape_lists_the_same_through_the_index(shape, tmp_path):
    path = make_shape(tmp_path / shape, shape)
    zx.build_index(path, index=tmp_path / "index")
    same_listing(zx.open_backup(path, index=tmp_path / "index"), path)


def test_a_changed_prefix_folder_is_listed_again_alone(sample_path, tmp_path, walks):
    path = copy_store(sample_path, tmp_path)
    folder = tmp_path / "index"
    zx.build_index(path, index=folder)
    before = {p.name for p in (folder / BLOBS_DIR).iterdir()}
    prefix = sorted(p.name for p in (path / "items").iterdir() if p.name[0] == "b")[0]
    victim = sorted((path / "items" / prefix).iterdir())[0]
    (path / "items" / prefix / (prefix + "new-blob")).write_bytes(victim.read_bytes())  # a blob file added
    os.mkdir(path / "items" / "~odd")  # a folder of no digest character: the last group
    (path / "items" / "~odd" / "stray").write_bytes(b"x")
    walks.clear()
    store = zx.open_backup(path, index=folder)
    store.blob_files()
    assert len(walks) == 2  # the group of `b` and the group of other names, nothing else
    same_listing(store, path)
    after = {p.name for p in (folder / BLOBS_DIR).iterdir()}
    assert len(after - before) == 2 and len(before - after) == 1  # the superseded part is removed
    store.refresh()
    walks.clear()
    assert len(store.blob_files()) == len(BackupStore(path).blob_files()) and len(walks) == 1  # the walk's only


def test_a_damaged_blob_part_is_never_trusted(sample_path, tmp_path):
    folder = tmp_path / "index"
    zx.build_index(sample_path, index=folder)
    part = sorted((folder / BLOBS_DIR).iterdir())[0]
    part.write_bytes(part.read_bytes()[:-50])  # truncated: the manifest's size no longer matches
    store = zx.open_backup(sample_path, index=folder)
    assert "not trusted" in store.index_note
    same_listing(store, sample_path)
    store = zx.open_backup(sample_path, index=folder)  # trusted at open, then swapped for garbage
    for part in (folder / BLOBS_DIR).iterdir():
        part.write_bytes(b"\0" * part.stat().st_size)
    same_listing(store, sample_path)
    assert "damaged" in store.index_note
    manifest = json.loads((folder / MANIFEST).read_text())
    assert sum(entry["rows"] for entry in manifest["blobs"].values()) == len(store.blob_files())


def test_a_store_without_items_folder_lists_nothing_and_indexes_no_part(tmp_path):
    path = make_shape(tmp_path / "shape", "no_items")
    store = zx.build_index(path, index=tmp_path / "index")
    assert store.blob_files().empty and store.index_info()["blob_files"] == 0
    assert index_blobs.group_key("~x") == index_blobs.OTHER and index_blobs.group_key("Ab") == "A"


def test_the_blobs_view_reads_the_parts_and_equals_the_store(sample_path, tmp_path, walks):
    zx.build_index(sample_path, index=tmp_path / "index")
    walks.clear()
    store = zx.open_backup(sample_path, index=tmp_path / "index")
    viewed = store.sql("SELECT * FROM blobs ORDER BY prefix, digest")
    assert not walks and "_blob_files" not in store.__dict__  # DuckDB read the parts: no frame of every blob
    memory = BackupStore(sample_path)
    expected = memory.blobs().sort_values(["prefix", "digest"], ignore_index=True)
    assert viewed.columns.tolist() == expected.columns.tolist() and len(viewed) == len(expected) > 500
    for column in expected.columns:
        assert viewed[column].tolist() == expected[column].tolist(), column
    rows = lambda df: sorted(map(tuple, df.astype(str).to_numpy().tolist()))  # noqa: E731
    memory.blob_files()
    assert rows(store.errors) == rows(memory.errors)  # the listing's errors, misplaced files included
