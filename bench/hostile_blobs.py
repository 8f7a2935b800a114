"""The hostile blobs the gzip benchmark times, written to a folder with the digest each one names."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

from zxforensics.format import digest as vdigest
from zxforensics.sample.hostile import gzip_quine, layered_bomb, nested_gzip

BOMB_LAYER = 500 * 1024 * 1024  # each of the 4 layers, under the default 512 MiB blob limit


def _zeros_digest(size: int) -> str:
    """The digest of `size` zero bytes, hashed in pieces (a bench parent must stay small: Linux carries
    its peak RSS into every child it forks, and the children's RSS is what the bench reports)."""
    hasher = hashlib.sha256()
    piece = bytes(1 << 20)
    for start in range(0, size, len(piece)):
        hasher.update(piece[: min(len(piece), size - start)])
    return base64.b64encode(hasher.digest()).decode().replace("/", ",")


def write_hostile_blobs(folder: Path) -> dict[str, tuple[Path, str]]:
    """name -> (file, digest of the content the file claims to hold)."""
    message = b"From: a@example.com\nSubject: ten layers\n\nbody\n"
    blobs = {
        "4 layers of 500 MiB": (layered_bomb(BOMB_LAYER, 4), _zeros_digest(BOMB_LAYER)),
        "a message gzipped 10 times": (nested_gzip(message, 10), vdigest.digest_of(message)),
        "gzip quine": (gzip_quine(), vdigest.digest_of(b"the quine claims another content")),
    }
    out = {}
    for n, (name, (data, digest)) in enumerate(blobs.items()):
        path = folder / f"hostile_{n}.gz"
        path.write_bytes(data)
        out[name] = (path, digest)
    return out
