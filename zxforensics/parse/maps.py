"""Import maps: `map_<sourceServerId>` (FORMAT.md §7) and `id_mapper.log` (FORMAT.md §3).

`map_*` is a Java-serialized `java.util.HashMap<String,String>` (source zimbraId -> destination
zimbraId), read by its grammar (`javamap`), never by executing or building anything else; a text file
of `<source> <destination>` lines is accepted too. `id_mapper.log` has one `<sourceItemId> <restoredItemId>`
line per item.
"""

from __future__ import annotations

import pandas as pd

from . import ParseError
from .bounds import as_int64, short
from .javamap import STREAM_MAGIC as JAVA_STREAM_MAGIC
from .javamap import parse_hashmap

MAP_COLUMNS = ["source", "destination"]
ID_MAPPER_COLUMNS = ["source_id", "restored_id"]
_SEPARATORS = ("->", "→", "=", ",")  # besides whitespace, between the two ids of a line


def parse_java_map(data: bytes) -> dict[str, str]:
    """A serialized `HashMap<String,String>` -> dict; anything else is a ParseError saying what it is."""
    return parse_hashmap(data)


def _pair(line: str) -> tuple[str, str] | None:
    """`a b`, `a=b`, `a -> b`, `a,b` -> (a, b); None for any other line.

    Split, not matched: the pattern this replaces backtracked cubically (a line of 32 KB took 18 s)."""
    tokens = line.split()
    if len(tokens) == 3 and tokens[1] in _SEPARATORS:
        tokens = [tokens[0], tokens[2]]
    if len(tokens) == 1:
        found = [(tokens[0].find(sep), sep) for sep in _SEPARATORS if tokens[0].find(sep) > 0]
        if not found:
            return None
        at, sep = min(found)
        tokens = [tokens[0][:at], tokens[0][at + len(sep) :]]
    if len(tokens) != 2:
        return None
    first, second = tokens[0], tokens[1]
    for sep in _SEPARATORS:
        first, second = first.removesuffix(sep), second.removeprefix(sep)
    return (first, second) if first and second else None


def parse_pairs(text: str, what: str) -> list[tuple[str, str]]:
    """`<a> <b>` lines (also `a=b`, `a -> b`, `a,b`); blank lines and `#` comments are skipped."""
    pairs = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        pair = _pair(line)
        if pair is None:
            raise ParseError("invalid_metadata", f"{what} line {number}: expected two ids, found {short(line.strip())}")
        pairs.append(pair)
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
        rows = [(as_int64(a, "an item id"), as_int64(b, "an item id")) for a, b in pairs]
    except ValueError as exc:
        raise ParseError("invalid_metadata", f"id_mapper.log: item ids must be integers ({exc})") from None
    return pd.DataFrame(rows, columns=ID_MAPPER_COLUMNS, dtype="Int64")


def pair_form(line: str) -> str | None:
    """How one line of a pairs file is written, as `parse_pairs` reads it: its separator (`space`, `=`,
    `->`, `→`, `,`), or `blank` / `comment` for the lines it skips; None for a line it cannot read."""
    if not line.strip():
        return "blank"
    if line.lstrip().startswith("#"):
        return "comment"
    pair = _pair(line)
    if pair is None:
        return None
    text = line.strip()
    return text[len(pair[0]) : len(text) - len(pair[1])].strip() or "space"
