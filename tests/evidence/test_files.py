"""Read-only access: regular files only, links kept inside the tree, bounded decompression."""

from __future__ import annotations

import os

import pytest

from zxforensics.errors import EvidenceError
from zxforensics.evidence.files import Evidence


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "backup"
    (root / "items" / "ab").mkdir(parents=True)
    (root / "items" / "ab" / "file").write_bytes(b"hello")
    (root / "folder").mkdir()
    (root / "inside_link").symlink_to("items/ab/file")
    (root / "outside_link").symlink_to("../secret")
    (tmp_path / "secret").write_bytes(b"not evidence")
    (root / "dangling").symlink_to("items/ab/nothing")
    os.mkfifo(root / "fifo")
    return root


def kind_of(ev: Evidence, rel: str) -> str:
    with pytest.raises(EvidenceError) as info:
        ev.read(rel)
    return info.value.kind


def test_reads_regular_files_and_links_inside(tree):
    ev = Evidence(tree)
    assert ev.read("items/ab/file") == b"hello"
    assert ev.read("inside_link") == b"hello"


def test_refusals_have_the_kit_kinds(tree):
    ev = Evidence(tree)
    assert kind_of(ev, "outside_link") == "link_outside"
    assert kind_of(ev, "dangling") == "link_outside"
    assert kind_of(ev, "missing_file") == "missing"
    assert kind_of(ev, "folder") == "not_regular_file"
    assert kind_of(ev, "fifo") == "not_regular_file"  # never blocks on a FIFO
    assert kind_of(ev, "../secret") == "link_outside"


def test_size_limit(tree):
    ev = Evidence(tree)
    with pytest.raises(EvidenceError) as info:
        ev.read("items/ab/file", limit=3)
    assert info.value.kind == "too_large"


def test_read_does_not_change_atime(tree):
    path = tree / "items" / "ab" / "file"
    os.utime(path, (1_000_000, 2_000_000))  # atime far older than mtime: relatime would update it
    Evidence(tree).read("items/ab/file")
    assert os.stat(path).st_atime == 1_000_000


def test_read_file_names_one_file_anywhere(tree, tmp_path):
    from zxforensics.evidence.files import read_file

    assert read_file(tree / "items" / "ab" / "file") == b"hello"
    assert read_file(tree / "inside_link") == b"hello"  # a link a user names is followed
    for name, kind in (("fifo", "not_regular_file"), ("nothing", "missing")):
        with pytest.raises(EvidenceError) as info:
            read_file(tree / name)
        assert info.value.kind == kind
