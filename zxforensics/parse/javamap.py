"""A serialized `java.util.HashMap<String,String>` read by its grammar, and nothing else (FORMAT.md §7).

A general deserializer builds any object graph the stream describes: javaobj-py3 took 4 s for a map
of 20,000 accounts and 22 s for a 2 MB array of nulls, and printing what it built meant calling
`str()` on arbitrary objects. This reader follows the one shape `ObjectOutputStream` gives a HashMap
of strings (Java Object Serialization Specification §6.4; `HashMap.writeObject`): anything else is a
ParseError that says what was found, each byte is read once, and counts are checked against the bytes left.
"""

from __future__ import annotations

import struct

from . import ParseError

STREAM_MAGIC = b"\xac\xed\x00\x05"  # [Java spec 6.4.2] STREAM_MAGIC, STREAM_VERSION
HASHMAP = "java.util.HashMap"
TC_NULL, TC_REFERENCE, TC_CLASSDESC, TC_OBJECT, TC_STRING = 0x70, 0x71, 0x72, 0x73, 0x74
TC_BLOCKDATA, TC_ENDBLOCKDATA, TC_LONGSTRING, TC_BLOCKDATALONG = 0x77, 0x78, 0x7C, 0x7A
BASE_HANDLE = 0x7E0000  # [Java spec 6.4.1] the first handle of a stream
SC_WRITE_METHOD, SC_SERIALIZABLE = 0x01, 0x02
TOP_LEVEL_KINDS = {TC_NULL: "null", TC_STRING: "String", TC_LONGSTRING: "String", 0x75: "array", 0x76: "class",
                   0x7E: "enum", TC_CLASSDESC: "class description"}  # fmt: skip
PRIMITIVE_SIZES = {b"B": 1, b"C": 2, b"D": 8, b"F": 4, b"I": 4, b"J": 8, b"S": 2, b"Z": 1}


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0
        self.handles: list[str | None] = []  # what each handle names: a string, or None (the class, the map)

    def take(self, count: int, what: str) -> bytes:
        if count < 0 or self.pos + count > len(self.data):
            raise ParseError("invalid_metadata", f"not a readable Java serialization stream: it ends inside {what}")
        chunk = self.data[self.pos : self.pos + count]
        self.pos += count
        return chunk

    def byte(self, what: str) -> int:
        return self.take(1, what)[0]

    def expect(self, code: int, what: str) -> None:
        found = self.byte(what)
        if found != code:
            raise ParseError("invalid_metadata", f"Java map: expected {what}, found byte 0x{found:02x}")

    def number(self, fmt: str, what: str) -> int:
        return struct.unpack(fmt, self.take(struct.calcsize(fmt), what))[0]

    def utf(self, what: str, long: bool = False) -> str:
        length = self.number(">Q" if long else ">H", what)
        raw = self.take(length, what)  # [Java] modified UTF-8: NUL as C0 80, others as in CESU-8
        try:
            text = raw.replace(b"\xc0\x80", b"\x00").decode("utf-8", "surrogatepass")
        except UnicodeDecodeError as exc:
            raise ParseError("invalid_metadata", f"Java map: {what} is not modified UTF-8 ({exc.reason})") from None
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def parse_hashmap(data: bytes) -> dict[str, str]:
    """The entries of a serialized `HashMap<String,String>`; ParseError for any other stream."""
    reader = _Reader(data)
    if reader.take(4, "the stream header") != STREAM_MAGIC:
        raise ParseError("invalid_metadata", "not a Java serialization stream (no AC ED 00 05 header)")
    code = reader.byte("the first object")
    if code != TC_OBJECT:
        kind = TOP_LEVEL_KINDS.get(code)
        detail = f"a serialized {kind}, not a {HASHMAP}" if kind else \
            f"not a readable Java serialization stream: type code 0x{code:02x} first"
        raise ParseError("invalid_metadata", detail)
    _class_description(reader)
    reader.handles.append(None)
    size = _block_size(reader)
    entries: dict[str, str] = {}
    for _ in range(size):
        key = _string(reader, "a key")
        entries[key] = _string(reader, "a value")
    reader.expect(TC_ENDBLOCKDATA, "the end of the map")
    return entries


def _class_description(reader: _Reader) -> None:
    """The map's class: java.util.HashMap with primitive fields only, written by its writeObject."""
    reader.expect(TC_CLASSDESC, "a class description")
    name = reader.utf("a class name")
    if name != HASHMAP:
        raise ParseError("invalid_metadata", f"a serialized {name[:80]!r}, not a {HASHMAP}")
    reader.take(8, "the serialVersionUID")
    flags = reader.byte("the class flags")
    if flags & (SC_SERIALIZABLE | SC_WRITE_METHOD) != SC_SERIALIZABLE | SC_WRITE_METHOD:
        raise ParseError("invalid_metadata", f"Java map: class flags 0x{flags:02x} are not a HashMap's")
    reader.handles.append(None)
    sizes = []
    for _ in range(reader.number(">H", "the field count")):
        code = reader.take(1, "a field type")
        reader.utf("a field name")
        if code not in PRIMITIVE_SIZES:
            raise ParseError("invalid_metadata", f"Java map: a field of type {code!r}, not a HashMap's")
        sizes.append(PRIMITIVE_SIZES[code])
    reader.expect(TC_ENDBLOCKDATA, "the end of the class annotation")
    reader.expect(TC_NULL, "no superclass")
    reader.take(sum(sizes), "the map's fields")


def _block_size(reader: _Reader) -> int:
    """HashMap.writeObject's block data: capacity and size; the size must fit the bytes left."""
    code = reader.byte("block data")
    length = reader.byte("block data") if code == TC_BLOCKDATA else reader.number(">i", "block data")
    if code not in (TC_BLOCKDATA, TC_BLOCKDATALONG) or length < 8:
        raise ParseError("invalid_metadata", "Java map: no capacity and size after the fields")
    block = reader.take(length, "block data")
    _capacity, size = struct.unpack(">ii", block[:8])
    if not 0 <= size <= (len(reader.data) - reader.pos) // 2:  # an entry takes two bytes at least
        raise ParseError("invalid_metadata", f"Java map: claims {size} entries, more than its bytes can hold")
    return size


def _string(reader: _Reader, what: str) -> str:
    """A String object: new (short or long), or a reference to one already read."""
    code = reader.byte(what)
    if code in (TC_STRING, TC_LONGSTRING):
        text = reader.utf(what, long=code == TC_LONGSTRING)
        reader.handles.append(text)
        return text
    if code == TC_REFERENCE:
        index = reader.number(">i", what) - BASE_HANDLE
        target = reader.handles[index] if 0 <= index < len(reader.handles) else None
        if isinstance(target, str):
            return target
        raise ParseError("invalid_metadata", f"Java map: {what} refers to handle {index + BASE_HANDLE:#x}, no string")
    kind = "null" if code == TC_NULL else f"type code 0x{code:02x}"
    raise ParseError("invalid_metadata", f"Java map: {what} is {kind}, not a string")
