"""The blobs one piece of work has just read and verified, so that its next part does not read them again.

A report runs the pre-flight diagnosis, which reads and verifies the blob of every item's newest state, then
the audit, which reads and verifies every blob file: without this, most blobs would be read, decompressed
and hashed twice within a minute. The diagnosis records each blob that verified at its own place
(`items/<prefix>/<digest>`) with what the audit's verdict holds (its raw size and gzip layers); the audit
takes those verdicts and reads the other files. A record lives as long as its caller keeps it (one
report): nothing is kept between runs, nothing is taken from a file's stat, and a failure is never
recorded (the audit reads that file again and judges it itself).

Memory: 25 bytes a blob, at most MAX_BLOBS (2,000,000: 50 MiB); the blobs past that are not recorded, and
the audit reads them again.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence

import numpy as np

from ..format import digest as vdigest
from ..store.content_memo import KEY, find_keys, memo_key
from .blobcheck import BlobResult

MAX_BLOBS = 2_000_000


class VerifiedBlobs:
    """digest -> (raw size, gzip layers) of the blobs that verified at their canonical path, in this run."""

    def __init__(self, max_blobs: int = MAX_BLOBS) -> None:
        self.max_blobs = max_blobs
        self._keys = bytearray()  # 16 bytes a blob (memo_key), in the order they were added
        self._sizes = array("q")
        self._layers = array("b")
        self._sorted: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None  # made at the first lookup

    def __len__(self) -> int:
        return len(self._sizes)

    def add(self, digest: str, size: int, layers: int) -> None:
        """Record that the blob `digest` read back from `items/<prefix>/<digest>` and verified."""
        if len(self._sizes) >= self.max_blobs:
            return
        self._keys += memo_key(digest)
        self._sizes.append(size)
        self._layers.append(layers)
        self._sorted = None

    def results(self, tasks: Sequence[tuple[str, str]]) -> list[BlobResult | None]:
        """For each `(relative path, digest)` of the audit: the verdict `check_blob` gives a file that
        verifies, when this file is the blob's canonical one and it verified here; else None (read it)."""
        # (a name that is no digest never verified: it cannot be found)
        canonical = [i for i, (rel, digest) in enumerate(tasks) if rel == vdigest.blob_relpath(digest)]
        out: list[BlobResult | None] = [None] * len(tasks)
        if not canonical or not len(self):
            return out
        keys, sizes, layers = self._index()
        at, found = find_keys(keys, np.frombuffer(b"".join(memo_key(tasks[i][1]) for i in canonical), dtype=KEY))
        for i, pos, hit in zip(canonical, at.tolist(), found.tolist(), strict=True):
            if hit:
                rel, digest = tasks[i]
                out[i] = (rel, digest, None, "", int(sizes[pos]), int(layers[pos]))
        return out

    def _index(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The keys sorted (binary search), with their sizes and layers in the same order."""
        if self._sorted is None:
            keys = np.frombuffer(bytes(self._keys), dtype=KEY)
            order = np.argsort(keys, kind="stable")
            sizes = np.frombuffer(self._sizes, dtype=np.int64)
            layers = np.frombuffer(self._layers, dtype=np.int8)
            self._sorted = (keys[order], sizes[order], layers[order])
        return self._sorted
