"""Read-only access: regular files only, links kept inside the tree, bounded decompression."""

from __future__ import annotations

import os
import stat

import pytest

from zxforensics.errors import EvidenceError
from zxforensics.evidence import files
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


def aged(*paths):
    """Set atimes far older than the mtimes: on a relatime mount, any plain read or listing updates them."""
    for path in paths:
        os.utime(path, (1_000_000, 2_000_000), follow_symlinks=False)


def test_listing_does_not_change_folder_atimes(tree):
    folders = [tree, tree / "items", tree / "items" / "ab", tree / "folder"]
    aged(*folders)
    ev = Evidence(tree)
    assert [e.name for e in ev.scandir("")] == ["dangling", "fifo", "folder", "inside_link", "items", "outside_link"]
    items = ev.scandir("items")
    assert [e.name for e in ev.scandir_entry(items[0], "items/ab")] == ["file"]
    assert [rel for rel, _ in ev.walk_files()] == ["dangling", "fifo", "inside_link", "items/ab/file", "outside_link"]
    assert [os.stat(f).st_atime for f in folders] == [1_000_000] * 4
    os.listdir(tree / "folder")  # what the kit no longer does: a plain listing moves the atime
    assert os.stat(tree / "folder").st_atime > 1_000_000


def test_entries_know_their_type_after_the_folder_is_closed(tree):
    entries = {e.name: e for e in Evidence(tree).scandir("")}
    assert entries["items"].path == str(tree / "items") and os.fspath(entries["items"]) == str(tree / "items")
    assert entries["items"].is_dir() and not entries["items"].is_file() and not entries["items"].is_symlink()
    assert entries["fifo"].kind == "other" and not entries["fifo"].is_file()
    link = entries["inside_link"]
    assert link.is_symlink() and not link.is_file(follow_symlinks=False) and link.is_file()
    assert link.stat().st_size == 5 and link.stat(follow_symlinks=False).st_size == len("items/ab/file")
    assert not entries["dangling"].is_file() and not entries["dangling"].is_dir()


def test_a_folder_swapped_for_a_link_is_refused(tree, tmp_path):
    ev = Evidence(tree)
    entry = next(e for e in ev.scandir("items") if e.name == "ab")
    (tree / "items" / "ab" / "file").unlink()
    (tree / "items" / "ab").rmdir()
    (tree / "items" / "ab").symlink_to(tmp_path)  # after the listing, before the folder is opened
    with pytest.raises(EvidenceError) as info:
        ev.scandir_entry(entry, "items/ab")
    assert info.value.kind == "unreadable"


def test_a_stat_listing_takes_links_as_they_are_and_moves_no_atime(tree):
    """What the index's fingerprint lists: each entry's own lstat (a link's, not its target's), by a
    descriptor opened without atime, as is a subfolder opened by name in it."""
    aged(tree, tree / "items", tree / "items" / "ab")
    fd = files.open_folder(str(tree), follow=False)
    try:
        listed = dict(files.stat_listing(fd))
        sub = files.open_folder("items", follow=False, dir_fd=fd)
        try:
            assert [name for name, _ in files.stat_listing(sub)] == ["ab"]
        finally:
            os.close(sub)
    finally:
        os.close(fd)
    assert set(listed) == {"dangling", "fifo", "folder", "inside_link", "items", "outside_link"}
    assert stat.S_ISLNK(listed["outside_link"].st_mode) and stat.S_ISFIFO(listed["fifo"].st_mode)
    assert [os.stat(f).st_atime for f in (tree, tree / "items")] == [1_000_000] * 2

def test_listing_falls_back_when_noatime_is_not_allowed(tree, monkeypatch):
    """O_NOATIME is refused (EPERM) on folders the user does not own: the folder is listed all the same."""

    real_open, flags_seen = os.open, []

    def refusing(path, flags, *args, **kwargs):
        flags_seen.append(flags)
        if flags & os.O_NOATIME:
            raise PermissionError(1, "Operation not permitted")
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(files.os, "open", refusing)
    assert [e.name for e in files.list_folder(str(tree / "items"))] == ["ab"]
    assert [bool(f & os.O_NOATIME) for f in flags_seen] == [True, False]
    assert all(f & os.O_DIRECTORY for f in flags_seen)


def test_a_folder_link_is_followed_only_inside_the_tree(tree, tmp_path):
    """Folders' real paths are cached: a file under a link to a folder outside is still refused, one under a
    link inside is read, and a missing file under a known folder is `missing`."""
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "file").write_bytes(b"not evidence")
    (tree / "out_dir").symlink_to(tmp_path / "elsewhere")
    (tree / "in_dir").symlink_to("items/ab")
    ev = Evidence(tree)
    assert ev.read("in_dir/file") == b"hello" == ev.read("items/ab/file")
    assert kind_of(ev, "out_dir/file") == "link_outside"
    assert kind_of(ev, "items/ab/nothing") == "missing"
    assert kind_of(ev, "in_dir/nothing") == "missing"
    assert ev.locate("in_dir/file") == str(tree / "items" / "ab" / "file")
