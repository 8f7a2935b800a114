"""Archives read in place: hostile members refused, corrupt archives reported, sizes bounded, text decoded."""

from __future__ import annotations

import gzip
import hashlib
import io
import random
import tarfile

import pytest

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
