"""Read-only access to the evidence: the one place that opens files and lists folders of a backup path.

Files are opened O_RDONLY with O_NOATIME where the OS allows, only regular files are read,
links are followed only while they stay inside the tree, and reads are bounded (the bounded
decompression of blobs is `blobgzip`). Folders are listed through a descriptor opened with
O_NOATIME too: a plain `os.scandir(path)` updates every folder's atime on `relatime` mounts.
Every refusal is an `EvidenceError` whose `kind` names it (FORMAT.md §9).
"""

from __future__ import annotations

import errno
import io
import os
import stat
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

from ..errors import EvidenceError

DEFAULT_MAX_FILE_SIZE = 256 * 1024 * 1024  # bytes read from one metadata file
CHUNK = 1 << 20  # bytes per read of a large file; smaller files are read in one call
FOLDER_CACHE = 1 << 16  # real paths of folders kept per Evidence (a store's reads go to a few folders)
_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
_NOATIME = getattr(os, "O_NOATIME", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
# What an entry is, from the listing itself (d_type) or one lstat while the folder is open.
LINK, FOLDER, FILE, OTHER = "link", "folder", "file", "other"


def open_readonly(path: str | os.PathLike, *, follow: bool = True) -> int:
    """Open read-only without updating atime; O_NOATIME needs ownership, so fall back without it."""
    return _open_noatime(path, _READ_FLAGS | (0 if follow else _NOFOLLOW))


def open_folder(path: str | os.PathLike, *, follow: bool = True, dir_fd: int | None = None) -> int:
    """A descriptor of a folder, for listing it without updating its atime (same fallback as files);
    `dir_fd`: `path` is a name in that open folder (no path resolution)."""
    return _open_noatime(path, _DIR_FLAGS | (0 if follow else _NOFOLLOW), dir_fd)


def _open_noatime(path: str | os.PathLike, flags: int, dir_fd: int | None = None) -> int:
    if _NOATIME:
        try:
            return os.open(path, flags | _NOATIME, dir_fd=dir_fd)
        except PermissionError:
            pass
        except OSError as exc:
            if exc.errno != errno.EPERM:
                raise
    return os.open(path, flags, dir_fd=dir_fd)


def stat_listing(fd: int) -> list[tuple[str, os.stat_result]]:
    """(name, lstat) of every entry of an open folder, unsorted: one `fstatat` each, no path resolved, no
    link followed, no atime changed. What a freshness check needs without a file being opened."""
    with os.scandir(fd) as listing:
        return [(entry.name, entry.stat(follow_symlinks=False)) for entry in listing]


def read_fd(fd: int, limit: int, path: str, info: os.stat_result | None = None) -> bytes:
    """Read a whole regular file from `fd`, refusing anything but a regular file or past `limit`.

    A small file is read in one call (its size plus one byte: a short read is the end),
    which halves the system calls of a scan of many small files."""
    info = os.fstat(fd) if info is None else info
    if not stat.S_ISREG(info.st_mode):
        raise EvidenceError("not_regular_file", _describe_mode(info.st_mode), path)
    if info.st_size > limit:
        raise EvidenceError("too_large", f"{info.st_size} bytes, over the {limit}-byte limit", path)
    if info.st_size < CHUNK:
        first = os.read(fd, info.st_size + 1)
        if len(first) <= info.st_size:
            return first
        chunks = [first]
        remaining = limit + 1 - len(first)
    else:
        chunks = []
        remaining = limit + 1
    while remaining > 0:
        chunk = os.read(fd, min(remaining, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    data = b"".join(chunks)
    if len(data) > limit:
        raise EvidenceError("too_large", f"grew past the {limit}-byte limit while read", path)
    return data


class Entry:
    """One entry of a folder listed through a descriptor: the interface of `os.DirEntry` that the kit uses,
    with an absolute `path`.

    `os.scandir(fd)` gives entries whose `path` is only the name and whose `stat()` would use the
    descriptor after it is closed; so the entry's own type is taken while the folder is open (free
    where the file system reports types, one `lstat` otherwise) and `stat()` goes by path."""

    __slots__ = ("kind", "name", "path")

    def __init__(self, name: str, path: str, kind: str) -> None:
        self.name, self.path, self.kind = name, path, kind

    def __repr__(self) -> str:
        return f"<Entry {self.name!r} {self.kind}>"

    def __fspath__(self) -> str:
        return self.path

    def is_symlink(self) -> bool:
        return self.kind == LINK

    def is_dir(self, *, follow_symlinks: bool = True) -> bool:
        if self.kind == LINK and follow_symlinks:
            return self._target_is(stat.S_ISDIR)
        return self.kind == FOLDER

    def is_file(self, *, follow_symlinks: bool = True) -> bool:
        if self.kind == LINK and follow_symlinks:
            return self._target_is(stat.S_ISREG)
        return self.kind == FILE

    def stat(self, *, follow_symlinks: bool = True) -> os.stat_result:
        return os.stat(self.path) if follow_symlinks else os.lstat(self.path)

    def _target_is(self, test) -> bool:
        try:
            return test(os.stat(self.path).st_mode)
        except OSError:
            return False


def _kind(entry: os.DirEntry) -> str:
    """The entry's own type; a regular file (most entries of a store) costs one call."""
    if entry.is_file(follow_symlinks=False):
        return FILE
    if entry.is_dir(follow_symlinks=False):
        return FOLDER
    return LINK if entry.is_symlink() else OTHER


def list_folder(path: str, *, follow: bool = True) -> list[Entry]:
    """Entries of the folder at `path` (absolute), sorted by name, listed without updating its atime.

    Raises OSError as `os.scandir` would; with `follow=False` a link in place of the folder is refused."""
    fd = open_folder(path, follow=follow)
    try:
        prefix = path.rstrip(os.sep) + os.sep
        with os.scandir(fd) as listing:
            entries = [Entry(e.name, prefix + e.name, _kind(e)) for e in listing]
    finally:
        os.close(fd)
    entries.sort(key=_entry_name)
    return entries


def _entry_name(entry: Entry) -> str:
    return entry.name


def _describe_mode(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory, not a file"
    if stat.S_ISFIFO(mode):
        return "a FIFO, not a file"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device, not a file"
    if stat.S_ISSOCK(mode):
        return "a socket, not a file"
    return "not a regular file"


class Evidence:
    """Read-only view of a directory tree: every read of the backup path goes through here."""

    def __init__(self, root: str | os.PathLike, max_file_size: int = DEFAULT_MAX_FILE_SIZE) -> None:
        self.root = Path(os.path.realpath(root))
        self.max_file_size = max_file_size
        self._prefix = str(self.root).rstrip(os.sep) + os.sep
        self._real_folder = lru_cache(maxsize=FOLDER_CACHE)(os.path.realpath)

    def path(self, rel: str) -> str:
        """Absolute path of a relative one, refusing `..` and absolute parts."""
        if rel.startswith("/") or ".." in rel.split("/"):
            raise EvidenceError("link_outside", "path leaves the backup path", rel)
        # joined as text: a pathlib join cost 8 µs, paid by every stat of a freshness check
        return self._prefix + rel.rstrip("/") if rel else str(self.root)

    def inside(self, real: str) -> bool:
        return real == str(self.root) or real.startswith(self._prefix)

    def locate(self, rel: str) -> str:
        """The real path of `rel`, checked: inside the tree, existing, a regular file.

        The folder's real path is resolved once and kept (`os.path.realpath` costs an lstat per
        component, and most reads of a store go to a few folders); only a link is resolved itself."""
        full = self.path(rel)
        folder, _, name = full.rpartition(os.sep)
        real = self._real_folder(folder or os.sep) + os.sep + name if name else full
        try:
            info = os.lstat(real)
            if stat.S_ISLNK(info.st_mode):
                real = os.path.realpath(real)
                info = None
        except OSError:
            info = None
        if not self.inside(real):
            raise EvidenceError("link_outside", f"a link to {real}, outside the backup path", rel)
        try:
            info = info or os.stat(real)
        except FileNotFoundError:
            if os.path.lexists(full):
                raise EvidenceError("link_outside", "a dangling link", rel) from None
            raise EvidenceError("missing", "no such file", rel) from None
        except OSError as exc:
            raise EvidenceError("unreadable", exc.strerror or str(exc), rel) from None
        if not stat.S_ISREG(info.st_mode):
            raise EvidenceError("not_regular_file", _describe_mode(info.st_mode), rel)
        return real

    def exists(self, rel: str) -> bool:
        return os.path.lexists(self.path(rel))

    def is_dir(self, rel: str) -> bool:
        real = os.path.realpath(self.path(rel))
        return self.inside(real) and os.path.isdir(real)

    def read(self, rel: str, limit: int | None = None) -> bytes:
        """Bytes of a regular file inside the tree."""
        return self._read_path(self.locate(rel), rel, limit, follow=True)

    def open_binary(self, rel: str) -> io.BufferedReader:
        """A read-only binary file object of a regular file inside the tree (for tarfile: no copy, no
        atime change); the caller closes it. The type is checked again on the open descriptor."""
        return os.fdopen(self._open_regular(self.locate(rel), rel, follow=True), "rb")

    def read_entry(self, entry: Entry, rel: str, limit: int | None = None) -> bytes:
        """Fast path for the scan: a plain file seen by scandir is opened without resolving links."""
        try:
            is_file = not entry.is_symlink() and entry.is_file(follow_symlinks=False)
        except OSError as exc:
            raise EvidenceError("unreadable", exc.strerror or str(exc), rel) from None
        if not is_file:
            return self.read(rel, limit)
        return self._read_path(entry.path, rel, limit, follow=False)

    def _open_regular(self, path: str, rel: str, follow: bool) -> int:
        """A read-only descriptor of `path`, checked to be a regular file once open (no race)."""
        return self._open_checked(path, rel, follow)[0]

    def _open_checked(self, path: str, rel: str, follow: bool) -> tuple[int, os.stat_result]:
        try:
            fd = open_readonly(path, follow=follow)
        except OSError as exc:
            raise EvidenceError("unreadable", exc.strerror or str(exc), rel) from None
        try:
            info = os.fstat(fd)
        except OSError as exc:
            os.close(fd)
            raise EvidenceError("unreadable", exc.strerror or str(exc), rel) from None
        if not stat.S_ISREG(info.st_mode):
            os.close(fd)
            raise EvidenceError("not_regular_file", _describe_mode(info.st_mode), rel)
        return fd, info

    def _read_path(self, path: str, rel: str, limit: int | None, follow: bool) -> bytes:
        fd, info = self._open_checked(path, rel, follow)
        try:
            return read_fd(fd, self.max_file_size if limit is None else limit, rel, info)
        except OSError as exc:
            raise EvidenceError("unreadable", exc.strerror or str(exc), rel) from None
        finally:
            os.close(fd)

    def scandir(self, rel: str) -> list[Entry]:
        """Entries of a directory inside the tree, sorted by name (a link to a folder outside is refused);
        listed without updating the folder's atime."""
        full = self.path(rel)
        real = os.path.realpath(full)
        if not self.inside(real):
            raise EvidenceError("link_outside", f"a link to {real}, outside the backup path", rel)
        try:
            return list_folder(real)
        except FileNotFoundError:
            raise EvidenceError("missing", "no such folder", rel) from None
        except NotADirectoryError:
            raise EvidenceError("not_regular_file", "not a folder", rel) from None
        except OSError as exc:
            raise EvidenceError("unreadable", exc.strerror or str(exc), rel) from None

    def scandir_entry(self, entry: Entry, rel: str) -> list[Entry]:
        """Fast path of `scandir` for a folder seen by scandir: a real folder needs no link check
        (opened without following links, so a folder swapped for a link meanwhile is refused)."""
        if not entry.is_dir(follow_symlinks=False):
            return self.scandir(rel)
        try:
            return list_folder(entry.path, follow=False)
        except OSError as exc:
            raise EvidenceError("unreadable", exc.strerror or str(exc), rel) from None

    def size(self, rel: str) -> int:
        return os.stat(self.locate(rel)).st_size

    def iter_chunks(self, rel: str, limit: int | None = None, chunk_size: int = CHUNK) -> Iterator[bytes]:
        """A regular file's bytes in chunks (same checks as `read`), so a large blob is never held whole."""
        limit = self.max_file_size if limit is None else limit
        fd, info = self._open_checked(self.locate(rel), rel, follow=True)
        try:
            if info.st_size > limit:
                raise EvidenceError("too_large", f"{info.st_size} bytes, over the {limit}-byte limit", rel)
            total = 0
            while chunk := os.read(fd, chunk_size):
                total += len(chunk)
                if total > limit:
                    raise EvidenceError("too_large", f"grew past the {limit}-byte limit while read", rel)
                yield chunk
        except OSError as exc:
            raise EvidenceError("unreadable", exc.strerror or str(exc), rel) from None
        finally:
            os.close(fd)

    def lstat(self, rel: str) -> os.stat_result | None:
        """What is at `rel` itself (a link is not followed), or None: lets a caller test by looking."""
        try:
            return os.lstat(self.path(rel))
        except OSError:
            return None

    def readlink(self, rel: str) -> str:
        """The target text of a link inside the tree, never followed (to compare links as links)."""
        try:
            return os.readlink(self.path(rel))
        except OSError as exc:
            raise EvidenceError("unreadable", exc.strerror or str(exc), rel) from None

    def walk_files(self, rel: str = "") -> Iterator[tuple[str, Entry]]:
        """Every non-directory entry below `rel`, depth first, without following links to folders."""
        try:
            entries = self.scandir(rel)
        except EvidenceError:
            return
        yield from self._walk_entries(entries, rel)

    def _walk_entries(self, entries: list[os.DirEntry], rel: str) -> Iterator[tuple[str, os.DirEntry]]:
        for entry in entries:
            child = f"{rel}/{entry.name}" if rel else entry.name
            if entry.is_dir(follow_symlinks=False):  # a real folder: listed without resolving its path again
                try:
                    inner = self.scandir_entry(entry, child)
                except EvidenceError:
                    continue
                yield from self._walk_entries(inner, child)
            else:
                yield child, entry


def read_file(path: str | os.PathLike, limit: int = DEFAULT_MAX_FILE_SIZE) -> bytes:
    """One file a user names, wherever it is (a notification, a map, a saved CLI output): read
    with the evidence's rules (read-only, no atime change, regular files only, bounded)."""
    real = Path(os.path.realpath(path))
    return Evidence(real.parent).read(real.name, limit)
