"""The generator: deterministic for a seed, and the committed sample is exactly what it makes."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import pytest
from evidence_snapshot import read_evidence, walk_tree

import zxforensics as zx
from zxforensics.sample import make_sample_data


def contents(root: Path) -> dict[str, str]:
    """Relative path -> SHA-256 of every file (link -> its target), times and modes left out."""
    found = {}
    for rel, path, info in walk_tree(root):  # listed without moving the sample's folder atimes
        if stat.S_ISLNK(info.st_mode):
            found[rel] = "link:" + os.readlink(path)
        elif stat.S_ISREG(info.st_mode):
            found[rel] = hashlib.sha256(read_evidence(path)).hexdigest()
    return found


def test_committed_sample_is_what_the_generator_makes(tmp_path, sample_path):
    made = contents(make_sample_data(tmp_path / "sample_data"))
    committed = contents(sample_path.parent)
    assert made.keys() == committed.keys()
    assert [rel for rel in made if made[rel] != committed[rel]] == []
    assert len(made) > 1500


def test_generate_store_is_deterministic_and_sized(tmp_path):
    first = zx.generate_store(tmp_path / "a", accounts=3, items_per_account=40, seed=7)
    second = zx.generate_store(tmp_path / "b", accounts=3, items_per_account=40, seed=7)
    other = zx.generate_store(tmp_path / "c", accounts=3, items_per_account=40, seed=8)
    assert contents(Path(first)) == contents(Path(second))
    assert contents(Path(first)) != contents(Path(other))
    store = zx.open_backup(first)
    assert len(store.accounts()) == 3
    assert store.item_states().groupby(["account_id", "item_id"], observed=True).ngroups == 120
    assert store.errors.empty


def test_generate_store_without_blobs_writes_metadata_only(tmp_path):
    """Benchmark stores of millions of states: no `items/`, the same items and kinds of states, with digests."""
    path = zx.generate_store(tmp_path / "a", accounts=3, items_per_account=40, seed=7, blobs=False)
    again = zx.generate_store(tmp_path / "b", accounts=3, items_per_account=40, seed=7, blobs=False)
    assert contents(Path(path)) == contents(Path(again))
    assert not (Path(path) / "items").exists()
    states = zx.open_backup(path).item_states()
    assert states.groupby(["account_id", "item_id"], observed=True).ngroups == 120
    with_digest = states[states["type"] == "message"]
    assert len(with_digest) > 0 and with_digest["digest"].notna().all() and (with_digest["size"] > 0).all()
    assert states["blob_path"].dropna().str.contains("/items/").all()
    assert set(states["type"]) >= {"message", "contact"}


def test_make_sample_refuses_a_folder_that_is_not_empty(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "keep").write_text("mine")
    with pytest.raises(FileExistsError, match="not empty"):
        zx.make_sample(tmp_path / "x")
    assert (tmp_path / "x" / "keep").read_text() == "mine"
