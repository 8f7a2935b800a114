"""A fingerprint of a tree: every file's and folder's type, mode, size, mtime, atime and SHA-256, and link targets.

Used to prove that nothing the kit does writes, moves, renames or touches the evidence. The fingerprint
itself lists folders and reads files with O_NOATIME, with its own few lines rather than the kit's code,
so that taking it moves no access time and does not trust what it checks.
"""

from __future__ import annotations

import hashlib
import os
import stat
import time
from collections.abc import Iterator
from pathlib import Path

from zxforensics.evidence.files import open_readonly, read_fd

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC | getattr(os, "O_NOATIME", 0)
DAY_NS = 86_400 * 10**9


def list_names(folder: str | os.PathLike) -> list[str]:
    """Names in a folder, sorted, listed through an O_NOATIME descriptor (a plain listing moves its atime)."""
    fd = os.open(folder, _DIR_FLAGS)
    try:
        return sorted(os.listdir(fd))
    finally:
        os.close(fd)


def walk_tree(root: Path) -> Iterator[tuple[str, Path, os.stat_result]]:
    """(relative path, path, lstat) of `root` itself ("." first) and of every entry below it, links not followed."""
    yield ".", root, os.lstat(root)
    pending = [root]
    while pending:
        folder = pending.pop()
        for name in list_names(folder):
            path = folder / name
            info = os.lstat(path)
            yield str(path.relative_to(root)), path, info
            if stat.S_ISDIR(info.st_mode):
                pending.append(path)


def snapshot(root: Path) -> dict[str, tuple]:
    """Fingerprint of `root` and every entry below it."""
    return dict(snapshot_entries(root))


def snapshot_entries(root: Path) -> Iterator[tuple[str, tuple]]:
    """(relative path, fingerprint) of every entry: files and folders with their times, links as their target."""
    for rel, path, info in walk_tree(root):
        times = (info.st_mode, info.st_mtime_ns, info.st_atime_ns)
        if stat.S_ISLNK(info.st_mode):
            yield rel, ("link", os.readlink(path))
        elif stat.S_ISDIR(info.st_mode):
            yield rel, ("dir", *times)
        elif stat.S_ISREG(info.st_mode):
            yield rel, ("file", *times, info.st_size, hashlib.sha256(read_evidence(path)).hexdigest())
        else:
            yield rel, ("other", *times)


def changed_paths(before: dict[str, tuple], after: dict[str, tuple]) -> list[str]:
    return sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))


def read_evidence(path: Path) -> bytes:
    """A test's own read of an evidence file: O_NOATIME, so the test leaves no trace either."""
    fd = open_readonly(path, follow=False)
    try:
        return read_fd(fd, 1 << 30, str(path))
    finally:
        os.close(fd)


def copy_tree(source: Path, target: Path) -> Path:
    """A copy of an evidence tree (files, folders, links as links, FIFOs) that moves no atime of the source."""
    target.mkdir(parents=True)
    for rel, path, info in walk_tree(source):
        if rel == ".":
            continue
        made = target / rel
        if stat.S_ISLNK(info.st_mode):
            made.symlink_to(os.readlink(path))
        elif stat.S_ISDIR(info.st_mode):
            made.mkdir()
        elif stat.S_ISREG(info.st_mode):
            made.write_bytes(read_evidence(path))
        elif stat.S_ISFIFO(info.st_mode):
            os.mkfifo(made)
        if not stat.S_ISLNK(info.st_mode):
            os.chmod(made, stat.S_IMODE(info.st_mode))
    return target


def age_atimes(root: Path, days: int = 3) -> None:
    """Set the atime of every file and folder below `root` `days` back (mtimes kept), so that on a
    `relatime` mount any read or listing really updates them. On a copy, or on
    the committed sample by the session fixture (its atimes are a checkout's, not evidence)."""
    atime = time.time_ns() - days * DAY_NS
    for _rel, path, info in walk_tree(root):
        if not stat.S_ISLNK(info.st_mode):
            os.utime(path, ns=(atime, info.st_mtime_ns), follow_symlinks=False)
