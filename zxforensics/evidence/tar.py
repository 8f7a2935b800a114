"""tar.gz archives of the evidence, read in place: never extracted, every member checked.

tarfile on Python 3.11 lets `..`, absolute names, links and devices through when extracting,
so nothing is extracted: members are read as bytes from a stream, regular files only, each
one and the whole archive under a size bound. A refused member is an error row
(`hostile_member`, `too_large`) and the rest of the archive is still read; an archive
that is not gzip or ends early is one row (`not_gzip`, `truncated_gzip`).

Sizes are checked as claimed, before tarfile acts on them: to reach the next header a stream
reader must read through the member's data, so a 78-byte archive whose header claims 2**60
bytes would keep it reading (empty blocks, one at a time) for ever. A member whose claimed end
lies past the archive's budget stops the reading there, with a `too_large` row.
"""

from __future__ import annotations

import codecs
import gzip
import hashlib
import io
import tarfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from ..errors import ErrorRecord, EvidenceError
from ..format.dates import MAX_EPOCH_MS, MIN_EPOCH_MS
from .blobgzip import GZIP_MAGIC
from .files import Evidence

MAX_MEMBER_SIZE = 64 * 1024 * 1024  # bytes of one member read into memory
MAX_ARCHIVE_BYTES = 1024 * 1024 * 1024  # decompressed bytes of one archive (a bomb stops here)
MAX_MEMBERS = 100_000  # entries of one archive
_TEXT_SNIFF = 8192  # bytes looked at to tell text from binary
_CONTROL_RATIO = 0.1  # more control bytes than this: binary
_TEXT_CONTROLS = frozenset(b"\t\n\r\f\b\x1b")


@dataclass(frozen=True)
class Member:
    """A regular file of an archive: its header fields and (when read) its bytes."""

    name: str
    size: int
    mode: int
    mtime: int  # epoch seconds, from the tar header
    data: bytes | None = None
    digest: str | None = None  # sha256 hex kept when the bytes are dropped

    @property
    def sha256(self) -> str | None:
        if self.digest is not None or self.data is None:
            return self.digest
        return hashlib.sha256(self.data).hexdigest()


@dataclass
class ArchiveRead:
    """What one archive gave: its accepted members and the error rows of what was refused."""

    path: str
    members: list[Member] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the archive itself could be read to its end (refused members aside)."""
        return not any(e["kind"] in ("not_gzip", "truncated_gzip", "unreadable", "missing") for e in self.errors)


class _BoundedGunzip(io.RawIOBase):
    """A gzip stream that refuses to decompress past `limit` bytes (tarfile reads through it)."""

    def __init__(self, raw: BinaryIO, limit: int, path: str) -> None:
        self._gzip = gzip.GzipFile(fileobj=raw, mode="rb")
        self._limit = limit
        self._path = path
        self.produced = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        room = self._limit - self.produced + 1
        want = room if size is None or size < 0 else min(size, room)
        data = self._gzip.read(want)
        self.produced += len(data)
        if self.produced > self._limit:
            raise EvidenceError("too_large", f"decompresses past the {self._limit}-byte limit", self._path)
        return data


def refusal(info: tarfile.TarInfo) -> str | None:
    """Why a member must not be read (absolute, `..`, link, device...), or None when it is safe."""
    name = info.name
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return "an absolute path"
    if ".." in name.replace("\\", "/").split("/"):
        return "a path with `..` that leaves the archive"
    if info.issym():
        return f"a symbolic link to {info.linkname!r}"
    if info.islnk():
        return f"a hard link to {info.linkname!r}"
    if info.ischr() or info.isblk():
        return "a device"
    if info.issparse():
        return "a sparse file (its map could claim any size)"
    if info.isfifo():
        return "a FIFO"
    if not (info.isreg() or info.isdir()):
        return f"an entry of tar type {info.type!r}"
    return None


def iter_members(
    raw: BinaryIO,
    path: str,
    errors: list[dict],
    *,
    want: Callable[[str], bool] | None = None,
    member_limit: int = MAX_MEMBER_SIZE,
    total_limit: int = MAX_ARCHIVE_BYTES,
    max_members: int = MAX_MEMBERS,
) -> Iterator[Member]:
    """Regular-file members of a tar.gz stream, in archive order; refusals are appended to `errors`.

    Only members for which `want(name)` is true (all when `want` is None) carry their bytes.
    Archive-level failures end the iteration with one error row.
    """
    stream = _BoundedGunzip(raw, total_limit, path)
    seen = 0
    try:
        with tarfile.open(fileobj=stream, mode="r|") as tar:
            for info in tar:
                seen += 1
                if seen > max_members:
                    errors.append(_row(path, "too_large", f"more than {max_members} entries; the rest is not read"))
                    return
                stop = _past_budget(info, path, total_limit)
                if stop is not None:
                    errors.append(stop)
                    return
                member = _accept(tar, info, path, errors, want, member_limit)
                if member is not None:
                    yield member
    except EvidenceError as exc:
        errors.append(_row(path, exc.kind, exc.detail))
    except gzip.BadGzipFile as exc:
        errors.append(_row(path, "not_gzip" if stream.produced == 0 else "truncated_gzip", f"bad gzip data: {exc}"))
    except (EOFError, zlib.error) as exc:
        errors.append(_row(path, "truncated_gzip", f"gzip stream ends early after {stream.produced} bytes: {exc}"))
    except tarfile.TarError as exc:
        errors.append(_row(path, "truncated_gzip", f"not a complete tar archive inside the gzip: {exc}"))


def _past_budget(info: tarfile.TarInfo, path: str, total_limit: int) -> dict | None:
    """The row that ends the reading when a header claims a size the stream cannot honour: negative,
    or ending past the archive's budget (reaching the next header would read through it)."""
    name = info.name
    if info.size < 0:
        return _row(path, "hostile_member", f"member {name!r} claims {info.size} bytes; the rest is not read")
    end = info.offset_data + -(-info.size // tarfile.BLOCKSIZE) * tarfile.BLOCKSIZE
    if end > total_limit:
        detail = f"member {name!r} claims {info.size} bytes, past the archive's {total_limit}-byte budget; " \
                 "the rest is not read"
        return _row(path, "too_large", detail)
    return None


def _accept(
    tar: tarfile.TarFile, info: tarfile.TarInfo, path: str, errors: list[dict],
    want: Callable[[str], bool] | None, member_limit: int,
) -> Member | None:
    """The member `info` (its bytes when wanted), or None with an error row when it is refused."""
    why = refusal(info)
    if why is not None:
        errors.append(_row(path, "hostile_member", f"member {info.name!r} refused: {why}"))
        return None
    if info.isdir():
        return None
    name = info.name.removeprefix("./")
    if info.size > member_limit:
        detail = f"member {name!r}: {info.size} bytes, over the {member_limit}-byte limit"
        errors.append(_row(path, "too_large", detail))
        return None
    data = None
    if want is None or want(name):
        handle = tar.extractfile(info)
        data = handle.read() if handle is not None else b""
    return Member(name, int(info.size), int(info.mode) & 0o7777, _mtime(info, path, errors), data)


def _mtime(info: tarfile.TarInfo, path: str, errors: list[dict]) -> int:
    """A member's mtime in epoch seconds; one out of the kit's date range (a pax header may say
    1e300 or inf) is taken as 0, with a row."""
    try:
        mtime = int(info.mtime)
    except (OverflowError, ValueError):
        mtime = None
    if mtime is None or not MIN_EPOCH_MS // 1000 <= mtime <= MAX_EPOCH_MS // 1000:
        detail = f"member {info.name!r}: mtime {info.mtime!r} is out of range; taken as 0"
        errors.append(_row(path, "invalid_metadata", detail))
        return 0
    return mtime


def _row(path: str, kind: str, detail: str) -> dict:
    return ErrorRecord(path, kind, detail).as_dict()


def read_archive(ev: Evidence, rel: str, *, want: Callable[[str], bool] | None = None, **limits) -> ArchiveRead:
    """Every regular member of the tar.gz `rel` of an evidence tree, read in place."""
    result = ArchiveRead(rel)
    try:
        handle = ev.open_binary(rel)
    except EvidenceError as exc:
        result.errors.append(_row(rel, exc.kind, exc.detail))
        return result
    with handle:
        head = handle.read(2)
        if head != GZIP_MAGIC:
            detail = "empty file" if not head else f"starts with {head.hex()}, not the gzip magic 1f8b"
            result.errors.append(_row(rel, "not_gzip", detail))
            return result
        handle.seek(0)
        try:
            result.members = list(iter_members(handle, rel, result.errors, want=want, **limits))
        except OSError as exc:
            result.errors.append(_row(rel, "unreadable", exc.strerror or str(exc)))
    return result


def decode_text(data: bytes) -> str | None:
    """A member's bytes as text for display, whatever the encoding; None for binary content.

    UTF-8 (with or without BOM) and UTF-16 with BOM are decoded as such; other bytes are
    taken as Windows-1252 (Latin-1 plus the usual quotes), so reading never fails.
    """
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    sniff = data[:_TEXT_SNIFF]
    if b"\x00" in sniff:
        return None
    controls = sum(1 for byte in sniff if byte < 0x20 and byte not in _TEXT_CONTROLS)
    if sniff and controls / len(sniff) > _CONTROL_RATIO:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")
