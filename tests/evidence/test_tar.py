"""Archives read in place: hostile members refused, corrupt archives reported, sizes bounded, text decoded."""

from __future__ import annotations

import gzip
import hashlib
import io
import random
import tarfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zxforensics.errors import EvidenceError
from zxforensics.evidence.files import Evidence
from zxforensics.evidence.tar import decode_text, read_archive


def tar_gz(entries: list[tuple[str, bytes, bytes, str]]) -> bytes:
    """`(name, data, tar type, linkname)` entries -> tar.gz bytes (in the given order)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for name, data, kind, linkname in entries:
            info = tarfile.TarInfo(name)
            info.type, info.linkname, info.mtime, info.mode = kind, linkname, 1393556474, 0o644
            info.size = len(data) if kind == tarfile.REGTYPE else 0
            tar.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)
    return gzip.compress(buffer.getvalue(), mtime=0)


HOSTILE = [
    ("conf", b"", tarfile.DIRTYPE, ""),
    ("conf/main.cf", b"myhostname = test.domain.com\n", tarfile.REGTYPE, ""),
    ("../../etc/cron.d/evil", b"* * * * * root sh\n", tarfile.REGTYPE, ""),
    ("/etc/passwd", b"root:x:0:0::/root:/bin/sh\n", tarfile.REGTYPE, ""),
    ("conf/shadow", b"", tarfile.SYMTYPE, "/etc/shadow"),
    ("conf/hard", b"", tarfile.LNKTYPE, "conf/main.cf"),
    ("conf/tty", b"", tarfile.CHRTYPE, ""),
    ("conf/pipe", b"", tarfile.FIFOTYPE, ""),
    ("./conf/zmconfigd.cf", b"SECTION mta\n", tarfile.REGTYPE, ""),
]


def evidence_with(tmp_path, files: dict[str, bytes]) -> Evidence:
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    return Evidence(tmp_path)


def test_hostile_members_are_refused_and_the_rest_is_read(tmp_path):
    ev = evidence_with(tmp_path, {"a.tar.gz": tar_gz(HOSTILE)})
    read = read_archive(ev, "a.tar.gz")
    assert [(m.name, m.data) for m in read.members] == [
        ("conf/main.cf", b"myhostname = test.domain.com\n"), ("conf/zmconfigd.cf", b"SECTION mta\n"),
    ]  # fmt: skip
    assert read.ok
    assert [(e["path"], e["kind"], e["detail"]) for e in read.errors] == [
        ("a.tar.gz", "hostile_member",
         "member '../../etc/cron.d/evil' refused: a path with `..` that leaves the archive"),
        ("a.tar.gz", "hostile_member", "member '/etc/passwd' refused: an absolute path"),
        ("a.tar.gz", "hostile_member", "member 'conf/shadow' refused: a symbolic link to '/etc/shadow'"),
        ("a.tar.gz", "hostile_member", "member 'conf/hard' refused: a hard link to 'conf/main.cf'"),
        ("a.tar.gz", "hostile_member", "member 'conf/tty' refused: a device"),
        ("a.tar.gz", "hostile_member", "member 'conf/pipe' refused: a FIFO"),
    ]  # fmt: skip
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.tar.gz"]  # nothing was extracted


def test_member_header_fields_and_selective_reading(tmp_path):
    ev = evidence_with(tmp_path, {"a.tar.gz": tar_gz(HOSTILE)})
    read = read_archive(ev, "a.tar.gz", want=lambda name: name.endswith("zmconfigd.cf"))
    main, zmconfigd = read.members
    assert (main.size, main.mode, main.mtime, main.data, main.sha256) == (29, 0o644, 1393556474, None, None)
    assert zmconfigd.data == b"SECTION mta\n"
    assert zmconfigd.sha256 == hashlib.sha256(b"SECTION mta\n").hexdigest()


def test_sizes_are_bounded(tmp_path):
    big = tar_gz([("conf/big", b"x" * 5000, tarfile.REGTYPE, ""), ("conf/small", b"ok", tarfile.REGTYPE, "")])
    ev = evidence_with(tmp_path, {"big.tar.gz": big})
    read = read_archive(ev, "big.tar.gz", member_limit=1000)
    assert [m.name for m in read.members] == ["conf/small"]
    assert [(e["kind"], e["detail"]) for e in read.errors] == [
        ("too_large", "member 'conf/big': 5000 bytes, over the 1000-byte limit")
    ]
    bomb = read_archive(ev, "big.tar.gz", total_limit=4096)
    assert [e["kind"] for e in bomb.errors] == ["too_large"]
    assert bomb.errors[0]["detail"] == "decompresses past the 4096-byte limit"
    assert not bomb.members
    many = read_archive(ev, "big.tar.gz", max_members=1)
    assert [m.name for m in many.members] == ["conf/big"]
    assert many.errors[0]["detail"] == "more than 1 entries; the rest is not read"


def test_corrupt_archives_become_rows(tmp_path):
    good = tar_gz(HOSTILE)
    ev = evidence_with(tmp_path, {
        "plain.tar.gz": b"PK\x03\x04 a zip, not a gzip", "empty.tar.gz": b"",
        "cut.tar.gz": good[: len(good) // 2], "text.tar.gz": gzip.compress(b"just text, no tar headers" * 30),
    })  # fmt: skip
    rows = {name: read_archive(ev, name) for name in ("plain.tar.gz", "empty.tar.gz", "cut.tar.gz", "text.tar.gz")}
    assert {name: [e["kind"] for e in r.errors] for name, r in rows.items()} == {
        "plain.tar.gz": ["not_gzip"], "empty.tar.gz": ["not_gzip"],
        "cut.tar.gz": ["truncated_gzip"],
        "text.tar.gz": ["truncated_gzip"],
    }  # fmt: skip
    assert rows["plain.tar.gz"].errors[0]["detail"] == "starts with 504b, not the gzip magic 1f8b"
    assert rows["empty.tar.gz"].errors[0]["detail"] == "empty file"
    assert not any(r.ok for r in rows.values())
    assert rows["text.tar.gz"].members == []


def test_a_truncated_archive_keeps_the_members_before_the_cut(tmp_path):
    rng = random.Random(7)
    entries = [(f"conf/f{n:02d}", rng.randbytes(4096), tarfile.REGTYPE, "") for n in range(20)]
    data = tar_gz(entries)
    ev = evidence_with(tmp_path, {"cut.tar.gz": data[: len(data) * 6 // 10]})
    read = read_archive(ev, "cut.tar.gz")
    assert [m.name for m in read.members] == [f"conf/f{n:02d}" for n in range(11)]
    assert all(m.data == entries[n][1] for n, m in enumerate(read.members))
    assert [e["kind"] for e in read.errors] == ["truncated_gzip"]
    assert read.errors[0]["detail"].startswith("gzip stream ends early after ")


def test_missing_and_not_regular(tmp_path):
    (tmp_path / "folder.tar.gz").mkdir()
    ev = Evidence(tmp_path)
    assert [e["kind"] for e in read_archive(ev, "none.tar.gz").errors] == ["missing"]
    assert [e["kind"] for e in read_archive(ev, "folder.tar.gz").errors] == ["not_regular_file"]


def test_open_binary_is_read_only_and_checked(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_bytes(b"secret")
    root = tmp_path / "root"
    root.mkdir()
    (root / "file").write_bytes(b"evidence")
    (root / "escape").symlink_to(outside / "secret")
    ev = Evidence(root)
    with ev.open_binary("file") as handle:
        assert handle.read() == b"evidence"
        assert not handle.writable()
        with pytest.raises(io.UnsupportedOperation):
            handle.write(b"x")
    with pytest.raises(EvidenceError) as refused:
        ev.open_binary("escape")
    assert refused.value.kind == "link_outside"
    with pytest.raises(EvidenceError) as parent:
        ev.open_binary("../outside/secret")
    assert parent.value.kind == "link_outside"
    assert (root / "file").read_bytes() == b"evidence"


@pytest.mark.parametrize(
    ("data", "text"),
    [
        ("quota.warning = Votre boîte\n".encode(), "quota.warning = Votre boîte\n"),
        ("quota.warning = Votre boîte\n".encode("latin-1"), "quota.warning = Votre boîte\n"),
        ("“quoted” – dash".encode("cp1252"), "“quoted” – dash"),
        ("\ufeffBOM utf-8".encode(), "BOM utf-8"),
        ("utf-16 ✓".encode("utf-16"), "utf-16 ✓"),
        (b"", ""),
        (b"\xfe\xed\xfe\xed\x00\x00\x00\x02binary", None),
        (bytes(range(1, 32)) * 4, None),
    ],
)
def test_decode_text_whatever_the_encoding(data, text):
    assert decode_text(data) == text


# -- headers that claim what the stream cannot hold ----------------------------------------------
def claiming(size: int, name: str = "conf/claims.cf", before: bytes = b"") -> bytes:
    """A tar.gz: the members `before` (raw tar blocks), then one header claiming `size` bytes, no data."""
    info = tarfile.TarInfo(name)
    info.size, info.mtime = size, 1393556474
    return gzip.compress(before + info.tobuf(format=tarfile.GNU_FORMAT), mtime=0)


def raw_member(name: str, data: bytes) -> bytes:
    """One regular member as tar blocks (header, data padded to 512), no end-of-archive blocks."""
    info = tarfile.TarInfo(name)
    info.size, info.mtime = len(data), 1393556474
    return info.tobuf(format=tarfile.GNU_FORMAT) + data + bytes(-len(data) % tarfile.BLOCKSIZE)


def test_a_78_byte_tar_gz_whose_member_claims_2_60_bytes_does_not_hang(tmp_path):
    from zxforensics.sample.hostile import tar_claiming

    ev = evidence_with(tmp_path, {"claims.tar.gz": tar_claiming(2**60)})
    read = read_archive(ev, "claims.tar.gz")  # hung for ever: tarfile skipped 2**60 bytes block by block
    assert read.members == []
    assert [(e["kind"], e["detail"]) for e in read.errors] == [
        ("too_large", f"member 'conf/claims.cf' claims {2**60} bytes, past the archive's 1073741824-byte budget; "
                      "the rest is not read")]  # fmt: skip
    assert len((tmp_path / "claims.tar.gz").read_bytes()) < 100


def test_a_member_claiming_100_gb_costs_nothing_and_the_members_before_it_are_kept(tmp_path):
    before = raw_member("conf/main.cf", b"myhostname = test\n")
    ev = evidence_with(tmp_path, {"big.tar.gz": claiming(100 * 10**9, before=before)})
    read = read_archive(ev, "big.tar.gz")
    assert [(m.name, m.data) for m in read.members] == [("conf/main.cf", b"myhostname = test\n")]
    assert [e["kind"] for e in read.errors] == ["too_large"] and "100000000000 bytes" in read.errors[0]["detail"]


def test_a_negative_size_and_a_sparse_member_are_hostile(tmp_path):
    ev = evidence_with(tmp_path, {"negative.tar.gz": claiming(-5)})
    assert [(e["kind"], e["detail"]) for e in read_archive(ev, "negative.tar.gz").errors] == [
        ("hostile_member", "member 'conf/claims.cf' claims -5 bytes; the rest is not read")]
    sparse = tarfile.TarInfo("conf/sparse")
    sparse.type, sparse.size = tarfile.GNUTYPE_SPARSE, 0
    data = gzip.compress(sparse.tobuf(format=tarfile.GNU_FORMAT) + bytes(1024))
    ev = evidence_with(tmp_path, {"sparse.tar.gz": data})
    read = read_archive(ev, "sparse.tar.gz")
    assert [(e["kind"], e["detail"]) for e in read.errors] == [
        ("hostile_member", "member 'conf/sparse' refused: a sparse file (its map could claim any size)")]


@pytest.mark.parametrize("mtime", ["inf", "1e300", "-1e20"])
def test_a_pax_mtime_out_of_range_is_a_row(tmp_path, mtime):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo("conf/a.cf")
        info.size, info.pax_headers = 2, {"mtime": mtime}
        tar.addfile(info, io.BytesIO(b"ok"))
    ev = evidence_with(tmp_path, {"pax.tar.gz": gzip.compress(buffer.getvalue())})
    read = read_archive(ev, "pax.tar.gz")
    assert [(m.name, m.mtime, m.data) for m in read.members] == [("conf/a.cf", 0, b"ok")]
    assert [e["kind"] for e in read.errors] == ["invalid_metadata"] and "out of range" in read.errors[0]["detail"]


def test_an_account_archive_claiming_2_60_bytes_leaves_every_verb_working(make_store):
    import zxforensics as zx
    from zxforensics.sample.hostile import tar_claiming

    builder = make_store()
    builder.account({"zimbraId": "acc-1", "mail": "one@example.com"}, {"lastScan": 1393556400000})
    builder.item("acc-1", 300, [{"id": 300, "type": "message", "folderId": 2, "transactionId": 1,
                                 "startDate": 1373639744000}])  # fmt: skip
    builder.write("accounts/acc-2.tar.gz", tar_claiming(2**60, name="acc-2/items/01/301"))
    store = zx.open_backup(builder.root)
    assert sorted(store.accounts()["account_id"]) == ["acc-1", "acc-2"]  # hung: accounts(), item_states, getItem
    assert store.item_states()["item_id"].tolist() == [300]
    assert store.get_item("one@example.com", 300)["transaction_id"].tolist() == [1]
    rows = store.errors[store.errors["account_id"] == "acc-2"]
    assert sorted(zip(rows["kind"].astype(str), rows["path"], strict=True)) == [
        ("missing", "accounts/acc-2.tar.gz!/account_info"), ("missing", "accounts/acc-2.tar.gz!/account_stat"),
        ("too_large", "accounts/acc-2.tar.gz")]  # fmt: skip


# -- property: member names ----------------------------------------------------------------------
@settings(max_examples=80, deadline=2000, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(st.text(min_size=1, max_size=40), min_size=1, max_size=6))
def test_property_any_member_name_is_read_or_refused_never_escapes(tmp_path, names):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in names:
            info = tarfile.TarInfo(name)
            info.size = 1
            tar.addfile(info, io.BytesIO(b"x"))
    (tmp_path / "names.tar.gz").write_bytes(gzip.compress(buffer.getvalue()))
    read = read_archive(Evidence(tmp_path), "names.tar.gz")
    assert len(read.members) + len(read.errors) >= 1
    for member in read.members:
        parts = member.name.replace("\\", "/").split("/")
        assert not member.name.startswith(("/", "\\")) and ".." not in parts and member.data == b"x"
    assert {e["kind"] for e in read.errors} <= {"hostile_member", "truncated_gzip"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["names.tar.gz"]
