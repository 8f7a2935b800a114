"""Read-only access: regular files only, links kept inside the tree, bounded decompression."""

from __future__ import annotations

import gzip
import os
import zlib

import pytest

from zxforensics.errors import EvidenceError
from zxforensics.evidence.blobgzip import decompress_blob, gunzip_bounded
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


def test_gunzip_errors():
    raw = b"x" * 1000
    data = gzip.compress(raw, mtime=0)
    assert gunzip_bounded(data, 10_000) == raw
    with pytest.raises(EvidenceError, match="truncated_gzip"):
        gunzip_bounded(data[:-10], 10_000)
    with pytest.raises(EvidenceError, match="not_gzip"):
        gunzip_bounded(raw, 10_000)
    with pytest.raises(EvidenceError, match="not_gzip"):
        gunzip_bounded(b"", 10_000)  # gzip.decompress(b"") would say b"" without complaint
    with pytest.raises(EvidenceError, match="too_large"):
        gunzip_bounded(data, 999)


def test_bomb_is_stopped_at_the_limit():
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    bomb = b"".join(compressor.compress(bytes(1 << 20)) for _ in range(64)) + compressor.flush()
    with pytest.raises(EvidenceError) as info:
        gunzip_bounded(bomb, 1 << 20)
    assert info.value.kind == "too_large"


def test_double_gzip_is_undone_only_until_the_digest_verifies():
    from zxforensics.format.digest import digest_of

    raw = b"Subject: hi\n\nbody\n"
    twice = gzip.compress(gzip.compress(raw, mtime=0), mtime=0)
    assert decompress_blob(twice, 1 << 20, digest_of(raw)) == (raw, 2)
    # a stored .gz attachment: its digest is of the gzip bytes, so one layer only
    attachment = gzip.compress(b"a compressed document", mtime=0)
    stored = gzip.compress(attachment, mtime=0)
    assert decompress_blob(stored, 1 << 20, digest_of(attachment)) == (attachment, 1)


def test_multi_member_gzip():
    data = gzip.compress(b"first ", mtime=0) + gzip.compress(b"second", mtime=0)
    assert gunzip_bounded(data, 100) == b"first second"


def test_read_file_names_one_file_anywhere(tree, tmp_path):
    from zxforensics.evidence.files import read_file

    assert read_file(tree / "items" / "ab" / "file") == b"hello"
    assert read_file(tree / "inside_link") == b"hello"  # a link a user names is followed
    for name, kind in (("fifo", "not_regular_file"), ("nothing", "missing")):
        with pytest.raises(EvidenceError) as info:
            read_file(tree / name)
        assert info.value.kind == kind
