"""One blob read and verified: its canonical file, decompressed within a limit, checked against its digest.

The store's `read_blob_checked` and the workers that read blobs themselves (content search) share it,
so a blob means the same bytes, and fails with the same kind, wherever it is read.
"""

from __future__ import annotations

from ..errors import EvidenceError
from ..format import digest as vdigest
from .blobgzip import decompress_blob
from .files import Evidence


def read_verified_blob(ev: Evidence, digest: str, limit: int) -> tuple[bytes, int]:
    """Raw bytes and gzip layers of the blob `digest`, from `items/<xx>/<digest>` only; raises
    EvidenceError (`bad_name`, a read error, `not_gzip`, `truncated_gzip`, `too_large`, `digest_mismatch`)."""
    if not vdigest.is_digest(digest):
        raise EvidenceError("bad_name", f"{digest!r} is not a blob digest", digest)
    rel = vdigest.blob_relpath(digest)
    data = ev.read(rel, limit=limit)
    raw, layers = decompress_blob(data, limit, digest, rel)
    if not vdigest.verify(digest, raw):
        algo = vdigest.hash_name(digest)
        actual = vdigest.digest_of(raw, algo)
        raise EvidenceError("digest_mismatch", f"content {algo} is {actual}, not the file name", rel)
    return raw, layers
