"""A refresh reads again only the item files whose stat changed (index_build.rescan_one), and the index
still equals a fresh scan exactly; an account whose scan met a problem is read again whole."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from index_checks import assert_same
from store_copy import copy_store

import zxforensics as zx
from zxforensics.format import layout
from zxforensics.sample.shapes import SHAPES, make_shape
from zxforensics.store import index_build, scan
from zxforensics.store.backup import BackupStore

pytestmark = pytest.mark.filterwarnings("error::zxforensics.store.index.IndexWarning")


class Reads:
    """Counts the item files a rescan parses and the accounts scanned whole (in this process)."""

    def __init__(self, monkeypatch) -> None:
        self.files: list[str] = []
        self.whole: list[str] = []
        parse, whole = index_build.parse_item_files, scan.scan_account_items

        def counted_parse(account_id, files, errors):
            files = list(files)
            self.files.extend(rel for rel, _id, _nn, _data in files)
            return parse(account_id, files, errors)

        def counted_whole(ev, account_id, *args, **kwargs):
            self.whole.append(account_id)
            return whole(ev, account_id, *args, **kwargs)

        monkeypatch.setattr(index_build, "parse_item_files", counted_parse)
        monkeypatch.setattr(scan, "scan_account_items", counted_whole)


def item_files(path: Path, account_id: str) -> list[Path]:
    return sorted((path / f"accounts/{account_id}/items").glob("*/*"), key=lambda p: int(p.name))


def new_item(path: Path, account_id: str, source: Path, item_id: int) -> Path:
    """A new item file where its id puts it (items/NN/id): the states of `source` under the new id (a copy
    as it is, or a hostile file that is not a list of states)."""
    target = path / layout.item_relpath(account_id, item_id)
    target.parent.mkdir(exist_ok=True)
    data = source.read_bytes()
    try:
        states = json.loads(data)
        for state in states:
            state["id"] = item_id
        data = json.dumps(states).encode()
    except (ValueError, TypeError, KeyError):
        pass
    target.write_bytes(data)
    return target


def rewrite_subject(item: Path, subject: str) -> bool:
    """The item file rewritten in place (same inode): its newest state's subject changed. False (nothing
    written) when the file is not a list of states (a hostile shape's)."""
    try:
        states = json.loads(item.read_bytes())
        states[-1]["subject"] = subject
    except (ValueError, TypeError, IndexError, KeyError):
        return False
    with open(item, "r+b") as handle:
        handle.write(json.dumps(states).encode())
        handle.truncate()
    return True


def flip_one_letter(item: Path) -> None:
    """One letter of the file changed in place: the same size; then its mtime put back as it was."""
    before = item.stat()
    data = bytearray(item.read_bytes())
    at = next(i for i, byte in enumerate(data) if chr(byte).isalpha() and i > data.find(b'"subject"') + 11)
    data[at] = ord("Q") if data[at] != ord("Q") else ord("R")
    with open(item, "r+b") as handle:
        handle.write(bytes(data))
    os.utime(item, ns=(before.st_atime_ns, before.st_mtime_ns))


@pytest.fixture
def indexed(sample_path, tmp_path) -> tuple[Path, Path]:
    """A copy of the sample (to change) and its index."""
    path = copy_store(sample_path, tmp_path)
    zx.build_index(path, index=tmp_path / "index")
    return path, tmp_path / "index"


def counted_refresh(path: Path, folder: Path, monkeypatch, changed: list[str]) -> Reads:
    """A refresh that rescans `changed`, in this process where its reads are counted; then the index
    equals a fresh scan."""
    reads = Reads(monkeypatch)
    store = zx.open_backup(path, index=folder, workers=1)
    assert store.refresh() == sorted(changed)
    monkeypatch.undo()
    assert_same(store, path)
    return reads


def test_a_refresh_reads_again_only_the_files_that_changed(indexed, monkeypatch):
    path, folder = indexed
    bob = BackupStore(path).resolve_account("bob@example.com")  # an account whose scan met no problem
    files = item_files(path, bob)
    added = new_item(path, bob, files[0], 77_000_000 + int(files[0].name) % 100)
    rewrite_subject(files[1], "changed in place")
    files[2].unlink()
    reads = counted_refresh(path, folder, monkeypatch, [bob])
    assert reads.whole == []  # not the whole account: two files
    assert sorted(Path(rel).name for rel in reads.files) == sorted([added.name, files[1].name])
    states = zx.open_backup(path, index=folder).item_states("bob@example.com")
    assert "changed in place" in set(states["subject"].dropna())
    assert int(files[2].name) not in set(states["item_id"])
    assert zx.open_backup(path, index=folder).refresh() == []


def test_a_file_whose_mtime_was_put_back_is_read_again(indexed, monkeypatch):
    """A rewrite that keeps the file's size and puts its mtime back still changes its ctime."""
    path, folder = indexed
    bob = BackupStore(path).resolve_account("bob@example.com")
    item = next(f for f in item_files(path, bob) if b'"subject"' in f.read_bytes())
    size, mtime = item.stat().st_size, item.stat().st_mtime_ns
    flip_one_letter(item)
    assert (item.stat().st_size, item.stat().st_mtime_ns) == (size, mtime)  # only its ctime says so
    reads = counted_refresh(path, folder, monkeypatch, [bob])
    assert [Path(rel).name for rel in reads.files] == [item.name]


def test_an_account_whose_scan_met_a_problem_is_read_again_whole(indexed, monkeypatch):
    path, folder = indexed
    alice = BackupStore(path).resolve_account("alice@example.com")  # misplaced and broken item files
    files = item_files(path, alice)
    new_item(path, alice, files[0], 77_000_000 + int(files[0].name) % 100)
    assert counted_refresh(path, folder, monkeypatch, [alice]).whole == [alice]


def test_a_new_problem_sends_the_account_to_the_whole_scan(indexed, monkeypatch):
    path, folder = indexed
    bob = BackupStore(path).resolve_account("bob@example.com")
    item_files(path, bob)[0].write_bytes(b"{not json")  # read again, it fails: the whole scan answers
    assert counted_refresh(path, folder, monkeypatch, [bob]).whole == [bob]


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_every_shape_refreshed_file_by_file_equals_the_scan(shape, tmp_path, monkeypatch):
    """Up to three accounts of each shape gain an item and have one rewritten: two files read again each
    (large_account's 5,000 included), and the index equals the scan."""
    path = make_shape(tmp_path / shape, shape)
    folder = tmp_path / "index"
    zx.build_index(path, index=folder)
    changed = []
    for account in sorted((path / "accounts").iterdir())[:3]:
        files = item_files(path, account.name) if account.is_dir() else []
        if len(files) >= 2:
            new_item(path, account.name, files[0], 77_000_000 + int(files[0].name) % 100)
            rewrite_subject(files[1], "changed in place")
            changed.append(account.name)
    reads = counted_refresh(path, folder, monkeypatch, changed)
    assert reads.whole == []
    assert len(reads.files) == 2 * len(changed)
