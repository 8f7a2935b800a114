"""The one way the kit writes a file: inside its output folder, never through a link, never over a file.

Outputs go to a folder the user names, which is hostile too: it may already hold links planted to
send a write into the evidence (`manifest.csv -> backupstat`, `<mail>/ -> items/`). So every write
walks from the output root's descriptor one component at a time (`openat`-style: `dir_fd`,
`O_NOFOLLOW`, `O_DIRECTORY`), creates what is missing, refuses a link wherever one stands, creates
files with `O_EXCL` (or appends with `O_NOFOLLOW`), and checks that nothing lands inside the evidence.
Names taken from the evidence are never paths: `output.names.safe_name` makes each component.
"""

from __future__ import annotations

import errno
import os
import stat
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path

from ..errors import OutputError

_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
_FILE_FLAGS = os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
FILE_MODE = 0o644
DIR_MODE = 0o755


def refuse_inside(out: Path, evidence_roots: Sequence[str | os.PathLike]) -> None:
    """Refuse an output folder that is, or lies inside, one of the evidence roots (links resolved)."""
    for root in evidence_roots:
        real = Path(os.path.realpath(root))
        if out == real or real in out.parents:
            raise OutputError(f"refusing to write into the backup path: {out} is inside {real}")


def check_out_dir(store_root: str | os.PathLike, out_dir: str | os.PathLike) -> Path:
    """The real path of an output folder, refused when it is (inside) the evidence."""
    out = Path(os.path.realpath(out_dir))
    refuse_inside(out, [store_root])
    return out


class OutputDir:
    """An output folder: `write_bytes`, `append_text`, `open_new` and `folder` take path components
    relative to it, and every file and folder they make is checked to lie inside it and outside the
    evidence. The root itself is the user's choice (a link to it is followed once, when it is named)."""

    def __init__(self, root: str | os.PathLike, evidence_roots: Sequence[str | os.PathLike] = ()) -> None:
        self.root = Path(os.path.realpath(root))
        self.evidence_roots = [Path(os.path.realpath(r)) for r in evidence_roots]
        refuse_inside(self.root, self.evidence_roots)
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except FileExistsError:
            raise OutputError(f"{self.root} exists and is not a folder") from None
        if not self.root.is_dir():
            raise OutputError(f"{self.root} exists and is not a folder")

    def __repr__(self) -> str:
        return f"OutputDir({str(self.root)!r})"

    def path(self, *parts: str) -> Path:
        """Where `parts` lands (for messages and manifests); components are checked as they are used."""
        return self.root.joinpath(*[_component(p) for p in parts])

    # -- folders --------------------------------------------------------------------------------
    @contextmanager
    def folder(self, *parts: str, create: bool = True) -> Iterator[int]:
        """A descriptor of the folder `parts` (made when missing, unless not `create`: FileNotFoundError),
        reached without following any link."""
        self._check_landing(parts)
        fd = os.open(self.root, _DIR_FLAGS)
        try:
            for part in parts:
                child = _enter(fd, _component(part), self.root, create)
                os.close(fd)
                fd = child
            yield fd
        finally:
            os.close(fd)

    def make_folder(self, *parts: str) -> Path:
        """Make the folder `parts` (no link followed) and return its path, for a library that needs one."""
        with self.folder(*parts):
            pass
        return self.path(*parts)

    def exists(self, *parts: str) -> bool:
        """Whether anything (a link included, never followed) stands at `parts`."""
        *folders, name = parts
        try:
            with self.folder(*folders, create=False) as fd:
                os.stat(_component(name), dir_fd=fd, follow_symlinks=False)
        except FileNotFoundError:
            return False
        return True

    def subdir(self, *parts: str) -> OutputDir:
        """The folder `parts` (made without following a link) as an output folder of its own."""
        return OutputDir(self.make_folder(*parts), self.evidence_roots)

    def files(self, *parts: str) -> list[str]:
        """Paths relative to the root (`eml/a/b.eml`) of the regular files under the folder `parts` (or of
        the file `parts`), sorted; a link met on the way is neither followed nor listed."""
        *folders, name = parts
        try:
            with self.folder(*folders, create=False) as parent:
                found = _regular_files(parent, _component(name), "/".join(parts))
        except FileNotFoundError:
            return []
        return sorted(found)

    # -- reading back what the kit wrote --------------------------------------------------------
    @contextmanager
    def open_read(self, *parts: str) -> Iterator[object]:
        """A binary file object of the regular file at `parts`, reached without following any link."""
        *folders, name = parts
        try:
            with self.folder(*folders, create=False) as parent:
                fd = os.open(_component(name), _READ_FLAGS, dir_fd=parent)
        except OSError as exc:
            raise OutputError(f"cannot read {self.path(*parts)}: {_why(exc)}") from None
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise OutputError(f"cannot read {self.path(*parts)}: not a regular file")
            yield handle

    def read_bytes(self, *parts: str) -> bytes:
        with self.open_read(*parts) as handle:
            return handle.read()

    # -- files ----------------------------------------------------------------------------------
    def check_appendable(self, *parts: str) -> None:
        """Raise OutputError unless `append_text(*parts)` would succeed: called before writing anything
        else, so that a planted `manifest.csv` link refuses a whole extraction, not its last step."""
        *folders, name = parts
        self._check_landing(parts)
        try:
            with self.folder(*folders, create=False) as parent:
                fd = os.open(_component(name), _FILE_FLAGS | os.O_APPEND | getattr(os, "O_NONBLOCK", 0), dir_fd=parent)
        except FileNotFoundError:
            return  # nothing there yet: append_text will make it
        except OSError as exc:
            raise OutputError(f"refusing to append to {self.path(*parts)}: {_why(exc)}") from None
        try:
            _check_append_target(fd, self.path(*parts))
        finally:
            os.close(fd)

    @contextmanager
    def open_new(self, *parts: str, replace: bool = False) -> Iterator[object]:
        """A binary file object for a new file at `parts`: refused when anything stands there, unless
        `replace` (a regular file the kit wrote before; a link or a folder there is still refused)."""
        *folders, name = parts
        name = _component(name)
        self._check_landing(parts)
        with self.folder(*folders) as parent:
            if replace:
                _unlink_regular(parent, name, self.path(*parts))
            try:
                fd = os.open(name, _FILE_FLAGS | os.O_CREAT | os.O_EXCL, FILE_MODE, dir_fd=parent)
            except FileExistsError:
                raise OutputError(f"refusing to overwrite {self.path(*parts)}") from None
            except OSError as exc:
                raise OutputError(f"cannot write {self.path(*parts)}: {exc.strerror}") from None
        with os.fdopen(fd, "wb") as handle:
            yield handle

    @contextmanager
    def open_atomic(self, *parts: str) -> Iterator[object]:
        """A binary file object whose content appears at `parts` whole or not at all (the index's parts,
        manifest and memo, which another process may read at any moment): written under a hidden
        temporary name beside it, fsynced, then renamed over `parts` (what stands there is replaced, a
        link itself and never its target) and the folder fsynced. On an exception the temporary goes."""
        *folders, name = parts
        tmp = f".{_component(name)}.{uuid.uuid4().hex}.tmp"
        try:
            with self.open_new(*folders, tmp) as handle:
                yield handle
                handle.flush()
                os.fsync(handle.fileno())
            with self.folder(*folders) as fd:
                os.rename(tmp, name, src_dir_fd=fd, dst_dir_fd=fd)
                os.fsync(fd)
        except BaseException:
            with suppress(OSError, OutputError):
                self.remove(*folders, tmp)
            raise

    def write_bytes(self, *parts: str, data: bytes, replace: bool = False) -> Path:
        """Write a new file (see `open_new`); returns its path."""
        with self.open_new(*parts, replace=replace) as handle:
            handle.write(data)
        return self.path(*parts)

    def write_text(self, *parts: str, text: str, replace: bool = False) -> Path:
        return self.write_bytes(*parts, data=text.encode("utf-8"), replace=replace)

    def append_text(self, *parts: str, text: str) -> bool:
        """Append to the regular file at `parts` (made when missing, never through a link); True when it
        was made by this call (a caller writes a header then)."""
        *folders, name = parts
        name = _component(name)
        self._check_landing(parts)
        with self.folder(*folders) as parent:
            try:
                fd = os.open(name, _FILE_FLAGS | os.O_APPEND | os.O_CREAT | os.O_EXCL, FILE_MODE, dir_fd=parent)
                made = True
            except FileExistsError:
                made = False
                try:
                    fd = os.open(name, _FILE_FLAGS | os.O_APPEND | getattr(os, "O_NONBLOCK", 0), dir_fd=parent)
                except OSError as exc:
                    raise OutputError(f"refusing to append to {self.path(*parts)}: {_why(exc)}") from None
        try:
            _check_append_target(fd, self.path(*parts))
            os.write(fd, text.encode("utf-8"))
        finally:
            os.close(fd)
        return made

    def remove(self, *parts: str) -> None:
        """Remove a file or a folder tree the kit wrote (`--force`), never following a link: a link itself
        is removed, not its target."""
        *folders, name = parts
        name = _component(name)
        with self.folder(*folders) as parent:
            _remove_tree(parent, name)

    def _check_landing(self, parts: Sequence[str]) -> None:
        """`parts` under the root does not lie inside the evidence. The walk refuses every link, so the
        path as written is the real one (an output folder may hold the evidence, never write into it)."""
        target = self.path(*parts)
        for root in self.evidence_roots:
            if target == root or root in target.parents:
                raise OutputError(f"refusing to write {target}: it lands inside the backup path {root}")


def _component(part: str) -> str:
    """One path component as given by the kit (already made safe with `safe_name` when it came from the
    evidence); anything that could leave the folder is a bug, refused here rather than followed."""
    text = str(part)
    if not text or text in (".", "..") or "/" in text or "\0" in text:
        raise OutputError(f"refusing an unsafe path component {text!r}")
    return text


def _enter(parent: int, name: str, root: Path, create: bool = True) -> int:
    """A descriptor of folder `name` in `parent` (made when missing and `create`); a link there is refused."""
    try:
        if create:
            os.mkdir(name, DIR_MODE, dir_fd=parent)  # never follows: a link there is EEXIST
    except FileExistsError:
        pass
    except OSError as exc:
        raise OutputError(f"cannot make folder {name!r} under {root}: {exc.strerror}") from None
    try:
        return os.open(name, _DIR_FLAGS, dir_fd=parent)
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise OutputError(f"refusing to write under {name!r} in {root}: {_why(exc)}") from None


def _why(exc: OSError) -> str:
    if exc.errno in (errno.ELOOP, errno.EMLINK):
        return "a link stands there (the kit never follows one in its output)"
    if exc.errno == errno.ENOTDIR:
        return "a file stands where a folder belongs"
    if exc.errno == errno.ENXIO:
        return "a FIFO or device stands there"
    return exc.strerror or str(exc)


def _check_append_target(fd: int, shown: Path) -> None:
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_nlink > 1:  # a hard link may be a file of the evidence
        why = "not a regular file" if not stat.S_ISREG(info.st_mode) else "it has other hard links"
        raise OutputError(f"refusing to append to {shown}: {why}")


def _regular_files(parent: int, name: str, rel: str) -> list[str]:
    try:
        info = os.stat(name, dir_fd=parent, follow_symlinks=False)
    except FileNotFoundError:
        return []
    if stat.S_ISREG(info.st_mode):
        return [rel]
    if not stat.S_ISDIR(info.st_mode):
        return []
    fd = os.open(name, _DIR_FLAGS, dir_fd=parent)
    try:
        return [path for child in os.listdir(fd) for path in _regular_files(fd, child, f"{rel}/{child}")]
    finally:
        os.close(fd)


def _unlink_regular(parent: int, name: str, shown: Path) -> None:
    try:
        info = os.stat(name, dir_fd=parent, follow_symlinks=False)
    except FileNotFoundError:
        return
    if not stat.S_ISREG(info.st_mode):
        raise OutputError(f"refusing to replace {shown}: not a regular file")
    os.unlink(name, dir_fd=parent)


def _remove_tree(parent: int, name: str) -> None:
    try:
        info = os.stat(name, dir_fd=parent, follow_symlinks=False)
    except FileNotFoundError:
        return
    if not stat.S_ISDIR(info.st_mode):
        os.unlink(name, dir_fd=parent)
        return
    fd = os.open(name, _DIR_FLAGS, dir_fd=parent)
    try:
        for child in os.listdir(fd):
            _remove_tree(fd, child)
    finally:
        os.close(fd)
    os.rmdir(name, dir_fd=parent)
