"""gzip of blobs, bounded: decompression in memory (`decompress_blob`) and streamed while hashing
(`verify_stream`), refusing output past a limit so a bomb stops early, and taking a second layer
off a double-gzipped blob only while its digest does not verify yet. Pure: bytes in, bytes out.
"""

from __future__ import annotations

import base64
import hashlib
import zlib
from collections.abc import Iterable, Iterator

from ..errors import EvidenceError
from ..format import digest as vdigest

GZIP_MAGIC = b"\x1f\x8b"
DEFAULT_MAX_BLOB_SIZE = 512 * 1024 * 1024  # decompressed bytes, per blob
CHUNK = 1 << 20  # decompress in 1 MiB steps: no giant reallocations, and a bomb stops early
MAX_GZIP_LAYERS = 4  # a blob gzipped more often than this is not the vendor's


def iter_gunzip(data: bytes, limit: int, path: str = "") -> Iterator[bytes]:
    """Decompressed chunks of one gzip layer (all its members), refusing output past `limit` bytes.

    Streaming lets a caller hash a blob without holding it, and stops a bomb at the limit
    after at most `limit` bytes of work.
    """
    if not data.startswith(GZIP_MAGIC):
        detail = "empty file" if not data else f"starts with {data[:4].hex()}, not the gzip magic 1f8b"
        raise EvidenceError("not_gzip", detail, path)
    produced = 0
    rest = data
    while rest:
        decompressor = zlib.decompressobj(31)
        pending = rest
        while True:
            try:
                chunk = decompressor.decompress(pending, CHUNK)
            except zlib.error as exc:
                raise EvidenceError("truncated_gzip", f"invalid gzip data: {exc}", path) from None
            produced += len(chunk)
            if produced > limit:
                raise EvidenceError("too_large", f"decompresses past the {limit}-byte limit", path)
            if chunk:
                yield chunk
            pending = decompressor.unconsumed_tail
            if decompressor.eof or (not pending and not chunk):
                break
        if not decompressor.eof:
            raise EvidenceError("truncated_gzip", f"gzip stream ends early after {produced} bytes", path)
        rest = decompressor.unused_data
        if rest and not rest.startswith(GZIP_MAGIC):
            break  # trailing garbage after the last member, as gzip(1) tolerates


def gunzip_bounded(data: bytes, limit: int, path: str = "") -> bytes:
    """Decompress one gzip layer (all its members), refusing output past `limit` bytes."""
    return b"".join(iter_gunzip(data, limit, path))


def decompress_blob(data: bytes, limit: int, digest: str | None = None, path: str = "") -> tuple[bytes, int]:
    """Raw bytes of a blob and the number of gzip layers removed (2 for a double-gzipped blob).

    Another layer is removed only while the digest does not verify yet and the data is gzip,
    so a stored .gz attachment is never decompressed once too often.
    """
    raw = gunzip_bounded(data, limit, path)
    layers = 1
    while raw.startswith(GZIP_MAGIC) and not (digest and vdigest.verify(digest, raw)):
        try:
            raw = gunzip_bounded(raw, limit, path)
        except EvidenceError as exc:
            if exc.kind == "too_large":
                raise
            break
        layers += 1
    return raw, layers


class _GzipLayer:
    """One gzip layer of a blob being streamed: inflates, counts and hashes its output, and feeds
    the next layer when that output is gzip again (a double-gzipped blob)."""

    def __init__(self, algorithm: str, limit: int, path: str, depth: int = 1) -> None:
        self.hasher = hashlib.new(algorithm)
        self.algorithm, self.limit, self.path, self.depth = algorithm, limit, path, depth
        self.size = self.members = 0
        self.inflater: zlib._Decompress | None = None
        self.pending = self.head = b""
        self.trailing = self.decided = False
        self.error: EvidenceError | None = None
        self.child: _GzipLayer | None = None

    def feed(self, data: bytes) -> None:
        data, self.pending = self.pending + data, b""
        while data and self.error is None and not self.trailing:
            if self.inflater is None:
                if len(data) < 2:
                    self.pending = data
                    return
                if not data.startswith(GZIP_MAGIC):
                    if self.members:
                        self.trailing = True  # garbage after the last member, as gzip(1) tolerates
                    else:
                        detail = f"starts with {data[:4].hex()}, not the gzip magic 1f8b"
                        self.error = EvidenceError("not_gzip", detail, self.path)
                    return
                self.inflater, self.members = zlib.decompressobj(31), self.members + 1
            data = self._inflate(data)

    def _inflate(self, data: bytes) -> bytes:
        """Inflate `data` in bounded steps; returns what follows the end of the member."""
        inflater = self.inflater
        while True:
            want = min(self.limit - self.size + 1, CHUNK)
            try:
                out = inflater.decompress(data, want)
            except zlib.error as exc:
                self.error = EvidenceError("truncated_gzip", f"invalid gzip data: {exc}", self.path)
                return b""
            self._emit(out)
            if self.error is not None:
                return b""
            if inflater.eof:
                self.inflater = None
                return inflater.unused_data
            data = inflater.unconsumed_tail
            if not data and len(out) < want:
                return b""

    def _emit(self, out: bytes) -> None:
        self.size += len(out)
        if self.size > self.limit:
            self.error = EvidenceError("too_large", f"decompresses past the {self.limit}-byte limit", self.path)
            return
        self.hasher.update(out)
        if self.decided:
            if self.child is not None:
                self.child.feed(out)
            return
        self.head += out
        if len(self.head) >= 2:
            self.decided = True
            if self.head.startswith(GZIP_MAGIC) and self.depth < MAX_GZIP_LAYERS:
                self.child = _GzipLayer(self.algorithm, self.limit, self.path, self.depth + 1)
                self.child.feed(self.head)
            self.head = b""

    def finish(self) -> None:
        if self.error is None and not self.trailing:
            if self.inflater is not None:
                detail = f"gzip stream ends early after {self.size} bytes"
                self.error = EvidenceError("truncated_gzip", detail, self.path)
            elif not self.members:
                self.error = EvidenceError("not_gzip", "empty file" if not self.pending else "too short", self.path)
        if self.child is not None:
            self.child.finish()

    def digest(self) -> str:
        return base64.b64encode(self.hasher.digest()).decode("ascii").replace("/", ",")


def verify_stream(chunks: Iterable[bytes], digest: str, limit: int, path: str = "") -> tuple[int, int]:
    """Raw size and gzip layers of a blob streamed from `chunks`, verified against its `digest`
    with the algorithm the digest implies; memory stays bounded and a bomb stops at `limit`.

    Layers follow `decompress_blob`: another one counts only while the digest does not verify yet.
    Raises EvidenceError (`not_gzip`, `truncated_gzip`, `too_large`, `digest_mismatch`, or a read error).
    """
    top = _GzipLayer(vdigest.hash_name(digest), limit, path)
    for chunk in chunks:
        top.feed(chunk)
        if top.error is not None:
            break
    top.finish()
    if top.error is not None:
        raise top.error
    layer = top
    while layer.digest() != digest and layer.child is not None:
        if layer.child.error is not None:
            if layer.child.error.kind == "too_large":
                raise layer.child.error
            break
        layer = layer.child
    if layer.digest() != digest:
        detail = f"content {layer.algorithm} is {layer.digest()}, not the file name"
        raise EvidenceError("digest_mismatch", detail, path)
    return layer.size, layer.depth
