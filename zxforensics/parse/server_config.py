"""The standard server configuration (`config.json` of a `config` archive, FORMAT.md §5) as long rows.

Every value is addressed `section / id / key`, as the vendor's `query` is written:
`serverConfig/<attribute>/<server>`, `globalConfig/<attribute>` (no key), `zimlets/<zimlet>/<setting>`,
`cos/<cos name>/<attribute>`, `domains/<domain>/<attribute>`.
"""

from __future__ import annotations

from collections.abc import Iterable

import orjson

from . import ParseError
from .bounds import nested_deeper
from .items import load_json_object

ROW_FIELDS = ("section", "id", "key", "value")
# [ours] section / id / key / list of values is 4 deep; a value nested past this is refused, so that
# no later step meets a depth it cannot take (orjson writes at most 254 levels).
MAX_CONFIG_DEPTH = 64
# [ours] the sections of config.json (FORMAT.md §5); any other is read the same way, as rows
CONFIG_SECTIONS = ("serverConfig", "globalConfig", "zimlets", "cos", "domains")

Value = str | tuple[str, ...]


def parse_config(data: bytes) -> dict:
    """`config.json` bytes -> its top-level object (sections by name); ParseError when it nests deeper
    than MAX_CONFIG_DEPTH (orjson itself refuses past 1,024)."""
    doc = load_json_object(data, "config.json")
    if nested_deeper(doc, MAX_CONFIG_DEPTH):
        raise ParseError("invalid_metadata", f"config.json: values nested deeper than {MAX_CONFIG_DEPTH} levels")
    return doc


def as_value(value: object) -> Value:
    """A JSON value as the kit keeps it: a string, or a tuple of strings for a multi-valued attribute."""
    if isinstance(value, list | tuple):
        return tuple(_scalar(v) for v in value)
    return _scalar(value)


def _scalar(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"  # Zimbra's spelling of booleans
    if isinstance(value, dict | list):
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    return str(value)


def config_rows(doc: dict) -> list[tuple[str, str, str, Value]]:
    """Long rows `(section, id, key, value)` of a config object, in a stable (sorted) order.

    Tolerant: an unknown section of `{id: {key: value}}` or `{id: value}` is read the same way;
    a section that is a bare value becomes one row with an empty id and key.
    """
    rows: list[tuple[str, str, str, Value]] = []
    for section, body in doc.items():
        section = str(section)
        if not isinstance(body, dict):
            rows.append((section, "", "", as_value(body)))
            continue
        for ident, inner in body.items():
            if isinstance(inner, dict):
                rows.extend((section, str(ident), str(key), as_value(value)) for key, value in inner.items())
            else:
                rows.append((section, str(ident), "", as_value(inner)))
    return sorted(rows, key=lambda r: (r[0].lower(), r[1].lower(), r[2].lower()))


def split_query(query: str | None) -> tuple[str, str, str]:
    """`section/id/key` (any prefix; `/` or empty for everything) -> its three parts, `""` = any.

    Only the first two `/` separate: a key may hold further slashes.
    """
    text = (query or "").strip()
    parts = text.strip("/").split("/", 2) if text.strip("/") else []
    parts += [""] * (3 - len(parts))
    return parts[0], parts[1], parts[2]


def match_query(rows: Iterable[tuple], query: str | None) -> list[tuple]:
    """Rows whose section, id and key equal the query's parts (case-insensitively; empty = any)."""
    wanted = [p.lower() for p in split_query(query)]
    return [
        row for row in rows
        if all(not want or str(got).lower() == want for want, got in zip(wanted, row[:3], strict=True))
    ]  # fmt: skip


def row_path(section: str, ident: str, key: str) -> str:
    """The query that addresses exactly one row: `serverConfig/zimbraMailMode/test.domain.com`."""
    if key:
        return f"{section}/{ident}/{key}"
    return f"{section}/{ident}" if ident else section
