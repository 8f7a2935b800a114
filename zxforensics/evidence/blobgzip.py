"""gzip of blobs, bounded and linear: one engine peels the layers of a blob for every reader, in memory
(`decompress_blob`: read_blob, extract) and streamed while hashing (`verify_stream`: the audit), so a
blob gets the same verdict on every path.

- Input goes to zlib in slices of INPUT_SLICE bytes and output comes in CHUNK steps: zlib copies the
  unconsumed input at every step, so feeding a whole 256 MiB layer at once was quadratic.
- A second layer is taken off only while the digest does not verify yet and the data is gzip (a
  double-gzipped blob); a stored .gz attachment verifies at its first layer and stays as stored.
- Bounds: at most MAX_GZIP_LAYERS layers (a self-reproducing gzip would loop forever), and `limit`
  bytes of output for all the layers together (4 nested layers of 500 MiB in a 600 KB file stop early).
"""

from __future__ import annotations

import base64
import hashlib
import io
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from ..errors import EvidenceError
from ..format import digest as vdigest

GZIP_MAGIC = b"\x1f\x8b"
DEFAULT_MAX_BLOB_SIZE = 512 * 1024 * 1024  # decompressed bytes, per blob, all its gzip layers together
CHUNK = 1 << 20  # output per zlib call: no giant reallocations, and a bomb stops early
INPUT_SLICE = 1 << 16  # input per zlib call: what zlib copies as `unconsumed_tail` stays this small
MAX_GZIP_LAYERS = 4  # the vendor double-gzips at most (fixDoubleGzip); more is not the vendor's
# gzip output is incompressible, so a layer that holds gzip data inflates about 1:1 (a double-gzipped
# blob, a stored .gz attachment). Past this ratio (plus NESTED_SLACK bytes) it is a crafted nest of
# stored layers: four of 500 MiB fit in 600 KB, and would cost seconds under the byte limit alone.
MAX_NESTED_RATIO = 64
NESTED_SLACK = 1 << 20


class _Budget:
    """Output bytes left for one blob, shared by all its layers."""

    def __init__(self, limit: int, path: str) -> None:
        self.limit, self.left, self.path = limit, limit, path

    def spend(self, count: int) -> None:
        self.left -= count
        if self.left < 0:
            raise EvidenceError("too_large", f"decompresses past the {self.limit}-byte limit", self.path)


def _slices(chunks: Iterable[bytes]) -> Iterator[memoryview]:
    for chunk in chunks:
        view = memoryview(chunk)
        for start in range(0, len(view), INPUT_SLICE):
            yield view[start : start + INPUT_SLICE]


def _inflate_member(inflater, data, budget: _Budget, path: str) -> Iterator[bytes]:
    """Output of `data` fed to one member's inflater, CHUNK bytes at most per call."""
    while True:
        try:
            out = inflater.decompress(data, min(CHUNK, budget.left + 1))
        except zlib.error as exc:
            raise EvidenceError("truncated_gzip", f"invalid gzip data: {exc}", path) from None
        budget.spend(len(out))
        if out:
            yield out
        data = inflater.unconsumed_tail
        if inflater.eof or (not data and len(out) < CHUNK):
            return


def inflate(chunks: Iterable[bytes], budget: _Budget, path: str = "", fed: list[int] | None = None) -> Iterator[bytes]:
    """Decompressed chunks of one gzip layer (all its members), linear in input and output.

    Trailing bytes that do not start another member are ignored, as gzip(1) does. `fed[0]` counts
    the input bytes handed to zlib so far (for a caller that watches the ratio).
    """
    inflater = None
    members = produced = 0
    head = b""  # bytes seen before a member starts (the magic needs two)
    for piece in _slices(chunks):
        if fed is not None:
            fed[0] += len(piece)
        data: bytes | memoryview = piece
        while data:
            if inflater is None:
                head += bytes(data)
                if len(head) < 2:
                    break
                if not head.startswith(GZIP_MAGIC):
                    if members:
                        return  # trailing garbage after the last member
                    raise EvidenceError("not_gzip", f"starts with {head[:4].hex()}, not the gzip magic 1f8b", path)
                inflater, data, head = zlib.decompressobj(31), head, b""
                members += 1
            for out in _inflate_member(inflater, data, budget, path):
                produced += len(out)
                yield out
            data = b""
            if inflater.eof:
                data, inflater = inflater.unused_data, None
    if inflater is not None:
        raise EvidenceError("truncated_gzip", f"gzip stream ends early after {produced} bytes", path)
    if not members:
        raise EvidenceError("not_gzip", "empty file" if not head else "too short for gzip", path)


def iter_gunzip(data: bytes, limit: int, path: str = "") -> Iterator[bytes]:
    """Decompressed chunks of one gzip layer, refusing output past `limit` bytes."""
    return inflate([data], _Budget(limit, path), path)


def gunzip_bounded(data: bytes, limit: int, path: str = "") -> bytes:
    """Decompress one gzip layer (all its members), refusing output past `limit` bytes."""
    return b"".join(iter_gunzip(data, limit, path))


@dataclass
class _Layer:
    """What one layer gave: its size, its digest, and its bytes when kept."""

    size: int
    digest: str | None
    data: bytes | None
    gzip: bool  # the output starts with the gzip magic: another layer may be under it


def _read_layer(chunks: Iterable[bytes], algorithm: str | None, budget: _Budget, keep: bool, path: str) -> _Layer:
    """Stream one layer: hash its output, keep it when asked to or when it is gzip (the next layer's input).

    Kept bytes go to a BytesIO, whose value is handed over without a copy (a join would double the peak)."""
    hasher = hashlib.new(algorithm) if algorithm else None
    kept: io.BytesIO | None = io.BytesIO()
    size, start, fed = 0, b"", [0]
    for out in inflate(chunks, budget, path, fed):
        if hasher is not None:
            hasher.update(out)
        if len(start) < 2:
            start += out[:2]
            if len(start) >= 2 and not keep and not start.startswith(GZIP_MAGIC):
                kept = None  # not gzip: no further layer needs these bytes
        size += len(out)
        if size > NESTED_SLACK + MAX_NESTED_RATIO * fed[0] and start.startswith(GZIP_MAGIC):
            detail = f"a gzip layer inflates over {MAX_NESTED_RATIO} times into more gzip: nested layers of a bomb"
            raise EvidenceError("too_large", detail, path)
        if kept is not None:
            kept.write(out)
    digest = base64.b64encode(hasher.digest()).decode("ascii").replace("/", ",") if hasher else None
    return _Layer(size, digest, kept.getvalue() if kept is not None else None, start.startswith(GZIP_MAGIC))


def peel(chunks: Iterable[bytes], digest: str | None, limit: int, path: str = "", keep: bool = False):
    """The layer a blob's content is at, and how deep: (layer, layers removed).

    Another layer is read only while the digest does not verify and the output is gzip; a deeper
    layer that is not gzip after all (a damaged .gz attachment) leaves the previous one as the answer.
    Raises EvidenceError: `not_gzip`, `truncated_gzip`, `too_large` (past `limit`, or still gzip after
    MAX_GZIP_LAYERS layers: a self-reproducing gzip ends here).
    """
    algorithm = vdigest.hash_name(digest) if digest else None
    budget = _Budget(limit, path)
    previous: _Layer | None = None
    for depth in range(1, MAX_GZIP_LAYERS + 1):
        try:
            layer = _read_layer(chunks, algorithm, budget, keep, path)
        except EvidenceError as exc:
            if previous is None or exc.kind == "too_large":
                raise
            return previous, depth - 1
        if not layer.gzip or (digest is not None and layer.digest == digest):
            return layer, depth
        previous, chunks = layer, [layer.data]
        if not keep:
            layer.data = None  # the next layer holds it now
    raise EvidenceError("too_large", f"still gzip after {MAX_GZIP_LAYERS} gzip layers, the most a blob may have", path)


def decompress_blob(data: bytes, limit: int, digest: str | None = None, path: str = "") -> tuple[bytes, int]:
    """Raw bytes of a blob and the number of gzip layers removed (2 for a double-gzipped blob).

    Another layer is removed only while the digest does not verify yet and the data is gzip,
    so a stored .gz attachment is never decompressed once too often; the caller checks the digest.
    """
    layer, layers = peel([data], digest, limit, path, keep=True)
    return layer.data or b"", layers


def verify_stream(chunks: Iterable[bytes], digest: str, limit: int, path: str = "") -> tuple[int, int]:
    """Raw size and gzip layers of a blob streamed from `chunks`, verified against its `digest`
    with the algorithm the digest implies; a bomb stops at `limit`, and only a layer that is gzip
    is held (it is the next layer's input).

    Layers as in `decompress_blob`. Raises EvidenceError (`not_gzip`, `truncated_gzip`, `too_large`,
    `digest_mismatch`, or a read error).
    """
    layer, layers = peel(chunks, digest, limit, path)
    if layer.digest != digest:
        algorithm = vdigest.hash_name(digest)
        raise EvidenceError("digest_mismatch", f"content {algorithm} is {layer.digest}, not the file name", path)
    return layer.size, layers
