"""Hostile evidence, built on the fly for tests and benchmarks: tiny files that cost a careless reader
minutes or forever (a gzip quine, nested gzip layers of a bomb, tar headers claiming exabytes, LDIF
values folded over a million lines). Nothing here is committed as data: each builder streams, so even
the ~600 KB blob that hides 2 GiB of layers is made without holding them.
"""

from __future__ import annotations

import gzip
import io
import struct
import tarfile
import zlib
from collections.abc import Iterator

GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # [RFC 1952] deflate, no flags, mtime 0, OS unknown
_EMPTY_STORED = b"\x00\x00\x00\xff\xff"  # [RFC 1951] a non-final stored block of 0 bytes, byte aligned
# [RFC 1951 3.2.5] (symbol, base length, extra bits) of the length codes and (code, base, extra) of distances
_LENGTHS = [(257 + i, 3 + i, 0) for i in range(8)] + [
    (265, 11, 1), (266, 13, 1), (267, 15, 1), (268, 17, 1), (269, 19, 2), (270, 23, 2), (271, 27, 2), (272, 31, 2),
]  # fmt: skip
_DISTANCES = [(0, 1, 0), (1, 2, 0), (2, 3, 0), (3, 4, 0), (4, 5, 1), (5, 7, 1), (6, 9, 2), (7, 13, 2), (8, 17, 3),
              (9, 25, 3), (10, 33, 4)]  # fmt: skip


class _Bits:
    """A deflate bit stream: values least significant bit first, Huffman codes most significant first."""

    def __init__(self) -> None:
        self.bits: list[int] = []

    def value(self, number: int, width: int) -> None:
        self.bits.extend((number >> i) & 1 for i in range(width))

    def code(self, number: int, width: int) -> None:
        self.bits.extend((number >> i) & 1 for i in reversed(range(width)))

    def block(self, final: bool) -> None:
        self.value(int(final), 1)
        self.value(1, 2)  # fixed Huffman codes

    def copy(self, length: int) -> None:
        """One length/distance pair that repeats the last `length` bytes (fixed codes: symbols < 280)."""
        symbol, base, extra = max(c for c in _LENGTHS if c[1] <= length)
        self.code(symbol - 256, 7)
        self.value(length - base, extra)
        code, base, extra = max(c for c in _DISTANCES if c[1] <= length)
        self.code(code, 5)
        self.value(length - base, extra)

    def end_of_block(self) -> None:
        self.code(0, 7)

    def bytes(self) -> bytes:
        bits = self.bits + [0] * (-len(self.bits) % 8)
        return bytes(sum(bit << i for i, bit in enumerate(bits[k : k + 8])) for k in range(0, len(bits), 8))


def _literal(count: int) -> bytes:
    """The header of a non-final stored block of `count` bytes (they follow it)."""
    return b"\x00" + struct.pack("<HH", count, count ^ 0xFFFF)


def _repeat(length: int, size: int, final: bool = False) -> bytes:
    """A block repeating the last `length` bytes, padded with empty blocks to exactly `size` bytes."""
    for empty_fixed in range(12):
        for empty_stored in range(3):
            bits = _Bits()
            if final:  # nothing may follow a final block: the padding goes first
                for _ in range(empty_fixed):
                    bits.block(False)
                    bits.end_of_block()
                bits.block(True)
                bits.copy(length)
                bits.end_of_block()
                encoded = _EMPTY_STORED * empty_stored + bits.bytes()
            else:
                bits.block(False)
                bits.copy(length)
                bits.end_of_block()
                for _ in range(empty_fixed):
                    bits.block(False)
                    bits.end_of_block()
                bits.value(0, 3)  # an empty stored block aligns the stream to a byte
                encoded = bits.bytes() + b"\x00\x00\xff\xff" + _EMPTY_STORED * empty_stored
            if len(encoded) == size:
                return encoded
    raise ValueError(f"no padding makes a repeat of {length} bytes {size} bytes long")


def _quine_body(trailer: bytes) -> bytes:
    """The quine's bytes for a given trailer (CRC-32 and size), after Russ Cox's Lit/Rep construction.

    Each step keeps the output equal to a prefix of the file: stored blocks print the next steps,
    repeats copy what was printed, and the final repeat prints the trailer that ends the file.
    """
    rep13, rep9, final = _repeat(15, 13), _repeat(28, 9), _repeat(12, 4, final=True)
    body = GZIP_HEADER + _literal(15) + GZIP_HEADER + _literal(15) + rep13
    body += _literal(13) + rep13 + _literal(5) + _literal(13)
    body += _literal(28) + rep13 + _literal(5) + _literal(13) + _literal(28) + rep9
    body += _literal(28) + ((rep9 + _literal(28)) * 2)[:28] + rep9
    return body + _literal(28) + b"\x00" * 16 + final + trailer + final + trailer


def gzip_quine() -> bytes:
    """A 200-byte gzip file that decompresses to itself, CRC-32 included.

    The CRC-32 appears inside the data it checks; CRC-32 is affine over GF(2), so the fixed point
    `crc(file(c)) == c` is a 32x32 linear system, solved here by Gaussian elimination.
    """
    size = len(_quine_body(bytes(8)))

    def crc_with(candidate: int) -> int:
        return zlib.crc32(_quine_body(struct.pack("<II", candidate, size)))

    base = crc_with(0)
    columns = [crc_with(1 << i) ^ base for i in range(32)]
    rows = [[sum(((columns[i] >> bit) & 1) << i for i in range(32)) ^ (1 << bit), (base >> bit) & 1]
            for bit in range(32)]  # fmt: skip
    solution = 0
    for column in range(32):
        pivot = next((row for row in rows if (row[0] >> column) & 1 and row[0] & ((1 << column) - 1) == 0), None)
        if pivot is None:
            continue
        for row in rows:
            if row is not pivot and (row[0] >> column) & 1:
                row[0] ^= pivot[0]
                row[1] ^= pivot[1]
    for mask, bit in rows:
        if mask:
            solution |= bit << ((mask & -mask).bit_length() - 1)
    quine = _quine_body(struct.pack("<II", solution, size))
    if zlib.decompress(quine, 31) != quine:
        raise AssertionError("the gzip quine does not reproduce itself")
    return quine


def nested_gzip(raw: bytes, layers: int) -> bytes:
    """`raw` gzipped `layers` times (a vendor blob is 1, a double-gzipped one 2)."""
    data = raw
    for _ in range(layers):
        data = gzip.compress(data, compresslevel=6, mtime=0)
    return data


def _zeros(size: int, piece: int = 1 << 20) -> Iterator[bytes]:
    block = bytes(piece)
    for start in range(0, size, piece):
        yield block[: min(piece, size - start)]


def layered_bomb(size: int = 500 * 1024 * 1024, layers: int = 4) -> bytes:
    """A small gzip whose `layers` nested layers are each about `size` bytes: `size` zero bytes wrapped
    in `layers - 1` stored (level 0) gzip layers, the outermost deflated (about 600 KB for 500 MiB).

    Streamed through a chain of compressors, so building it never holds a layer."""
    chain = [zlib.compressobj(0, zlib.DEFLATED, 31) for _ in range(layers - 1)]
    chain.append(zlib.compressobj(9, zlib.DEFLATED, 31))
    out = io.BytesIO()

    def push(data: bytes, level: int, flush: bool = False) -> None:
        if level == len(chain):
            out.write(data)
            return
        piece = chain[level].compress(data)
        if piece:
            push(piece, level + 1)
        if flush:
            push(chain[level].flush(), level + 1, flush=True)

    for block in _zeros(size):
        push(block, 0)
    push(b"", 0, flush=True)
    return out.getvalue()


def tar_claiming(size: int, name: str = "conf/claims.cf") -> bytes:
    """A tar.gz of one member header that claims `size` bytes, with no data (78 bytes for 2**60)."""
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = size, 1393556474, 0o644
    header = info.tobuf(format=tarfile.GNU_FORMAT)  # base-256 size field past 8 GiB
    return gzip.compress(header, compresslevel=9, mtime=0)


def folded_ldif(lines: int, width: int = 60) -> bytes:
    """An LDIF entry whose `description` value is folded over `lines` continuation lines (RFC 2849)."""
    head = b"dn: cn=folded,dc=example,dc=com\nobjectClass: top\ncn: folded\ndescription: start\n"
    fold = b" " + b"x" * (width - 1) + b"\n"
    return head + fold * lines + b"\n"
