"""Verify blob files: each one streamed through `Evidence`, decompressed (bounded) and hashed.

The worker imports neither pandas nor the store, so a spawned process starts in a blink.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import EvidenceError
from ..evidence.blobgzip import verify_stream
from ..evidence.files import Evidence
from ..format import digest as vdigest

# One result: (relative path, digest named by the file, error kind or None, detail, raw size, gzip layers).
BlobResult = tuple[str, str, str | None, str, int | None, int | None]


def check_blob(ev: Evidence, rel: str, digest: str, limit: int) -> BlobResult:
    """The verdict on one blob file: ok (kind None) with its raw size and layers, or the error kind."""
    if not vdigest.is_digest(digest):
        return rel, digest, "bad_name", f"{digest!r} is not a blob digest", None, None
    try:
        size, layers = verify_stream(ev.iter_chunks(rel, limit), digest, limit, rel)
    except EvidenceError as exc:
        return rel, digest, exc.kind, exc.detail, None, None
    return rel, digest, None, "", size, layers


def check_blobs(root: str, tasks: Sequence[tuple[str, str]], limit: int) -> list[BlobResult]:
    """Worker: verify `(relative path, digest)` pairs of the backup path at `root`."""
    ev = Evidence(root)
    return [check_blob(ev, rel, digest, limit) for rel, digest in tasks]
