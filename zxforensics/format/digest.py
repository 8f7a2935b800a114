"""Blob digests: Zimbra's SHA-256 (or legacy SHA-1) in Base64 with `/` replaced by `,`.

Source: FORMAT.md §2 and Zimbra's `ByteUtil.getSHA256Digest`.
"""

from __future__ import annotations

import base64
import hashlib
import re

SHA256_DIGEST_LEN = 44  # base64 of 32 bytes, with one `=` of padding
SHA1_DIGEST_LEN = 28  # base64 of 20 bytes: very old mailboxes
# `$` as RE2 (Arrow) reads it: the end of the text; Python's lets a final newline in, so is_digest fullmatches
DIGEST_RE = re.compile(r"^[A-Za-z0-9+,]{27}=$|^[A-Za-z0-9+,]{43}=$")
# the characters a digest is written with, in code point order (a blob's prefix folder is its first two)
ALPHABET = "".join(sorted("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,"))


def is_digest(text: str) -> bool:
    """True when `text` has the shape of a blob digest (either algorithm)."""
    return bool(DIGEST_RE.fullmatch(text))


def hash_name(digest: str) -> str:
    """The hashlib algorithm a digest was made with, told by its length."""
    return "sha1" if len(digest) == SHA1_DIGEST_LEN else "sha256"


def digest_of(raw: bytes, algorithm: str = "sha256") -> str:
    """The vendor digest of uncompressed bytes."""
    raw_digest = hashlib.new(algorithm, raw).digest()
    return base64.b64encode(raw_digest).decode("ascii").replace("/", ",")


def verify(digest: str, raw: bytes) -> bool:
    """Whether `raw` (uncompressed) hashes to `digest`, with the algorithm its length implies."""
    return digest_of(raw, hash_name(digest)) == digest


def blob_relpath(digest: str) -> str:
    """Canonical blob location inside the backup path: `items/<first two chars>/<digest>`."""
    return f"items/{digest[:2]}/{digest}"
