"""Bounded decompression of blobs: errors with their kinds, bombs stopped, double gzip undone; one verdict
on every path (read_blob, the audit), a layer cap and a byte budget that end quines and nested bombs, and
output independent of how the input is cut."""

from __future__ import annotations

import gzip
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import zxforensics as zx
from zxforensics.errors import EvidenceError
from zxforensics.evidence.blobgzip import MAX_GZIP_LAYERS, decompress_blob, gunzip_bounded, verify_stream
from zxforensics.format import digest as vdigest
from zxforensics.sample.hostile import gzip_quine, layered_bomb, nested_gzip


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


MESSAGE = b"From: a@example.com\nSubject: layers\n\nbody\n"


def verdicts(data: bytes, digest: str, limit: int = 1 << 20) -> tuple[str, str]:
    """(kind or "ok", kind or "ok") of the in-memory and the streamed path."""
    out = []
    for run in (lambda: decompress_blob(data, limit, digest), lambda: verify_stream([data], digest, limit)):
        try:
            result = run()
        except EvidenceError as exc:
            out.append(exc.kind)
            continue
        raw_ok = not isinstance(result[0], bytes) or vdigest.verify(digest, result[0])
        out.append("ok" if raw_ok else "digest_mismatch")
    return out[0], out[1]


def test_a_gzip_quine_ends_with_an_error_not_a_loop():
    quine = gzip_quine()
    assert zlib.decompress(quine, 31) == quine  # it really reproduces itself, CRC included
    assert verdicts(quine, vdigest.digest_of(b"what the file name claims")) == ("too_large", "too_large")
    with pytest.raises(EvidenceError, match=f"still gzip after {MAX_GZIP_LAYERS} gzip layers"):
        decompress_blob(quine, 1 << 20)  # without a digest too


def test_a_blob_gzipped_ten_times_gets_the_same_verdict_everywhere():
    ten = nested_gzip(MESSAGE, 10)
    assert verdicts(ten, vdigest.digest_of(MESSAGE)) == ("too_large", "too_large")
    four = nested_gzip(MESSAGE, MAX_GZIP_LAYERS)
    assert decompress_blob(four, 1 << 20, vdigest.digest_of(MESSAGE)) == (MESSAGE, MAX_GZIP_LAYERS)
    assert verify_stream([four], vdigest.digest_of(MESSAGE), 1 << 20) == (len(MESSAGE), MAX_GZIP_LAYERS)


def test_a_blob_gzipped_ten_times_in_a_store_same_verdict_for_read_blob_and_audit(make_store):
    builder = make_store()
    builder.account({"zimbraId": "acc-1", "mail": "one@example.com"}, {"lastScan": 1393556400000})
    cases = {"ten layers": (nested_gzip(MESSAGE, 10), MESSAGE), "quine": (gzip_quine(), b"claimed content")}
    digests = {}
    for n, (name, (blob, raw)) in enumerate(cases.items(), start=1):
        digest = vdigest.digest_of(raw)
        builder.write(vdigest.blob_relpath(digest), blob)
        builder.item("acc-1", 300 + n, [{"id": 300 + n, "type": "message", "folderId": 2, "transactionId": 1,
                                          "startDate": 1373639744000, "digest": digest, "size": len(raw)}])  # fmt: skip
        digests[name] = digest
    store = zx.open_backup(builder.root)
    found = store.audit(progress=False)
    for name, digest in digests.items():
        with pytest.raises(EvidenceError) as read:
            store.read_blob(digest)
        audit_kinds = set(found.loc[found["digest"] == digest, "kind"].astype(str))
        assert (read.value.kind, audit_kinds) == ("too_large", {"too_large"}), name


def test_four_nested_stored_gzip_layers_stop_at_the_first_megabytes():
    """The 590 KB blob of 4 stored layers of 500 MiB (295 s and 1.7 GB before), built here at 32 MiB a layer:
    a layer that inflates into gzip more than 64-fold is a nest, refused after about a megabyte of output
    (bench/bench_gzip.py times the full-size one)."""
    bomb = layered_bomb(32 * 1024 * 1024, 4)
    assert len(bomb) < 64 * 1024
    assert verdicts(bomb, vdigest.digest_of(b"zeros"), limit=512 << 20) == ("too_large", "too_large")
    with pytest.raises(EvidenceError, match="inflates over 64 times into more gzip"):
        verify_stream([bomb], vdigest.digest_of(b"zeros"), 512 << 20)


def test_the_byte_budget_counts_every_layer():
    raw = bytes(600_000)
    twice = gzip.compress(gzip.compress(raw, mtime=0), mtime=0)
    assert decompress_blob(twice, 700_000, vdigest.digest_of(raw)) == (raw, 2)
    inner = gzip.compress(raw, compresslevel=0, mtime=0)  # layer 1 gives 600 KB of gzip, layer 2 600 KB more
    with pytest.raises(EvidenceError, match="past the 1000000-byte limit"):
        decompress_blob(gzip.compress(inner, mtime=0), 1_000_000, vdigest.digest_of(raw))


def test_a_damaged_inner_layer_leaves_the_outer_one():
    attachment = gzip.compress(b"a compressed document", mtime=0)[:-6]  # a cut .gz, stored as it was
    blob = gzip.compress(attachment, mtime=0)
    assert decompress_blob(blob, 1 << 20, vdigest.digest_of(attachment)) == (attachment, 1)
    assert verify_stream([blob], vdigest.digest_of(attachment), 1 << 20) == (len(attachment), 1)


@settings(max_examples=60, deadline=2000)
@given(
    raw=st.binary(max_size=3000),
    layers=st.integers(min_value=1, max_value=3),
    cuts=st.lists(st.integers(min_value=1, max_value=400), max_size=20),
    level=st.sampled_from([0, 1, 9]),
)
def test_property_any_cut_of_the_input_gives_the_same_blob(raw, layers, cuts, level):
    data = raw
    for _ in range(layers):
        data = gzip.compress(data, compresslevel=level, mtime=0)
    chunks, start = [], 0
    for size in cuts:
        chunks.append(data[start : start + size])
        start += size
    chunks.append(data[start:])
    digest = vdigest.digest_of(raw)
    raw_back, found_layers = decompress_blob(data, 1 << 20, digest)
    assert raw_back == raw and found_layers == layers
    assert verify_stream(chunks, digest, 1 << 20) == (len(raw), layers)
    assert gunzip_bounded(data, 1 << 20) == zlib.decompress(data, 31)


@settings(max_examples=150, deadline=1000)
@given(data=st.one_of(st.binary(max_size=600), st.binary(max_size=300).map(lambda b: gzip.compress(b, mtime=0)),
                      st.tuples(st.binary(min_size=20, max_size=300), st.integers(0, 299), st.integers(0, 255))
                      .map(lambda t: _flip(gzip.compress(t[0], mtime=0), t[1], t[2]))))  # fmt: skip
def test_property_any_bytes_give_a_verdict_not_an_exception(data):
    digest = vdigest.digest_of(b"claimed")
    for run in (lambda: decompress_blob(data, 4096, digest), lambda: verify_stream([data], digest, 4096)):
        try:
            result = run()
        except EvidenceError as exc:
            assert exc.kind in ("not_gzip", "truncated_gzip", "too_large", "digest_mismatch")
        else:
            assert result[1] >= 1


def _flip(data: bytes, at: int, value: int) -> bytes:
    at %= len(data)
    return data[:at] + bytes([value]) + data[at + 1 :]
