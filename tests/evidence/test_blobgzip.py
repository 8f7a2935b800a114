"""Bounded decompression of blobs: errors with their kinds, bombs stopped, double gzip undone."""

from __future__ import annotations

import gzip
import zlib

import pytest

from zxforensics.errors import EvidenceError
from zxforensics.evidence.blobgzip import decompress_blob, gunzip_bounded


def test_gunzip_errors():
    raw = b"x" * 1000
    data = gzip.compress(raw, mtime=0)
    assert gunzip_bounded(data, 10_000) == raw
    with pytest.raises(EvidenceError, match="truncated_gzip"):
        gunzip_bounded(data[:-10], 10_000)
    with pytest.raises(EvidenceError, match="not_gzip"):
        gunzip_bounded(raw, 10_000)
    with pytest.raises(EvidenceError, match="not_gzip"):
        gunzip_bounded(b"", 10_000)  # gzip.decompress(b"") would say b"" without complaint
    with pytest.raises(EvidenceError, match="too_large"):
        gunzip_bounded(data, 999)


def test_bomb_is_stopped_at_the_limit():
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    bomb = b"".join(compressor.compress(bytes(1 << 20)) for _ in range(64)) + compressor.flush()
    with pytest.raises(EvidenceError) as info:
        gunzip_bounded(bomb, 1 << 20)
    assert info.value.kind == "too_large"


def test_double_gzip_is_undone_only_until_the_digest_verifies():
    from zxforensics.format.digest import digest_of

    raw = b"Subject: hi\n\nbody\n"
    twice = gzip.compress(gzip.compress(raw, mtime=0), mtime=0)
    assert decompress_blob(twice, 1 << 20, digest_of(raw)) == (raw, 2)
    # a stored .gz attachment: its digest is of the gzip bytes, so one layer only
    attachment = gzip.compress(b"a compressed document", mtime=0)
    stored = gzip.compress(attachment, mtime=0)
    assert decompress_blob(stored, 1 << 20, digest_of(attachment)) == (attachment, 1)


def test_multi_member_gzip():
    data = gzip.compress(b"first ", mtime=0) + gzip.compress(b"second", mtime=0)
    assert gunzip_bounded(data, 100) == b"first second"
