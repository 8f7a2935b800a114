"""Import maps: `map_<sourceServerId>` (FORMAT.md §7) and `id_mapper.log` (FORMAT.md §3).

`map_*` is a Java-serialized `java.util.HashMap<String,String>` (source zimbraId -> destination
zimbraId), read with javaobj-py3, never by executing anything; a text file of `<source> <destination>`
lines is accepted too. `id_mapper.log` has one `<sourceItemId> <restoredItemId>` line per item.
"""

from __future__ import annotations

import re

import pandas as pd

from . import ParseError

JAVA_STREAM_MAGIC = b"\xac\xed\x00\x05"  # ObjectOutputStream STREAM_MAGIC + STREAM_VERSION
MAP_COLUMNS = ["source", "destination"]
ID_MAPPER_COLUMNS = ["source_id", "restored_id"]
_PAIR_RE = re.compile(r"^\s*(\S+?)\s*(?:\s|=|->|→|,)\s*(\S+)\s*$")


def parse_java_map(data: bytes) -> dict[str, str]:
    """A serialized `Map<String,String>` -> dict; anything else is a ParseError."""
    import javaobj.v2 as javaobj

    try:
        obj = javaobj.loads(data)
    except Exception as exc:  # the library raises bare Exceptions and struct errors on bad streams
        raise ParseError("invalid_metadata", f"not a readable Java serialization stream: {exc}") from None
    if not hasattr(obj, "items"):
        raise ParseError("invalid_metadata", f"a serialized {type(obj).__name__}, not a java.util.Map")
    return {str(key): str(value) for key, value in obj.items()}


def parse_pairs(text: str, what: str) -> list[tuple[str, str]]:
    """`<a> <b>` lines (also `a=b`, `a -> b`, `a,b`); blank lines and `#` comments are skipped."""
    pairs = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _PAIR_RE.match(line)
        if not match:
            raise ParseError("invalid_metadata", f"{what} line {number}: expected two ids, found {line.strip()!r}")
        pairs.append((match.group(1), match.group(2)))
    return pairs


def parse_map(data: bytes) -> pd.DataFrame:
    """`map_*` bytes (Java-serialized or text) -> `source, destination`, sorted by source."""
    if data.startswith(JAVA_STREAM_MAGIC):
        pairs = list(parse_java_map(data).items())
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise ParseError("invalid_metadata", "neither a Java serialization stream nor text") from None
        pairs = parse_pairs(text, "map")
    df = pd.DataFrame(sorted(pairs), columns=MAP_COLUMNS, dtype="string")
    return df.reset_index(drop=True)


def parse_id_mapper(data: bytes) -> pd.DataFrame:
    """`id_mapper.log` bytes -> `source_id, restored_id` (ints, file order)."""
    pairs = parse_pairs(data.decode("utf-8", errors="replace"), "id_mapper.log")
    try:
        rows = [(int(a), int(b)) for a, b in pairs]
    except ValueError as exc:
        raise ParseError("invalid_metadata", f"id_mapper.log: item ids must be integers ({exc})") from None
    return pd.DataFrame(rows, columns=ID_MAPPER_COLUMNS, dtype="Int64")
