"""getAllOperations output (FORMAT.md §8): the vendor's operation queue, as text a user saved.

The layout is the vendor's nested one: an `operations` line, then each operation's `key value`
leaves, indented, keys padded to 60 columns (tabs or spaces). Operations follow each other with or
without a blank line; a key seen again starts the next one. `verbose true` adds keys, kept as
extra columns; a nested section's keys become `section.key`. Dates are dd/MM/yyyy HH:mm:ss, day
first, in the server's zone.
"""

from __future__ import annotations

import re
from datetime import tzinfo

import pandas as pd

from ..format.dates import BadDate, parse_vendor_date
from ..format.keys import fold
from . import ParseError

OPERATION_COLUMNS = ["id", "operation", "status", "host", "author", "submitted", "started"]
# folded key as printed -> column
_KNOWN = {"id": "id", "operationid": "id", "operation": "operation", "name": "operation", "status": "status",
          "host": "host", "server": "host", "author": "author", "user": "author", "submitdate": "submitted",
          "submitted": "submitted", "startdate": "started", "started": "started"}  # fmt: skip
_LINE_RE = re.compile(r"^(?P<indent>[ \t]*)(?P<key>\S+)(?:[ \t]+(?P<value>.*?))?[ \t]*$")
_HEADER = "operations"


def _lines(text: str) -> list[tuple[int, str, str | None]]:
    """(indent width, key, value or None) per line; a blank line is (-1, "", None)."""
    out = []
    for raw in text.replace("\r\n", "\n").split("\n"):
        if not raw.strip():
            out.append((-1, "", None))
            continue
        match = _LINE_RE.match(raw.expandtabs(8))
        out.append((len(match["indent"]), match["key"], match["value"] or None))
    return out


def _records(lines: list[tuple[int, str, str | None]]) -> list[dict[str, str | None]]:
    """Group the leaves under the `operations` line into one dict per operation."""
    start = next((n for n, (_i, key, value) in enumerate(lines) if key == _HEADER and value is None), None)
    if start is None:
        raise ParseError("invalid_metadata", "no `operations` list: expected the output of getAllOperations")
    header_indent = lines[start][0]
    records: list[dict] = []
    current: dict = {}
    sections: list[tuple[int, str]] = []  # (indent, name) of open nested sections
    for number, (indent, key, value) in enumerate(lines[start + 1 :], start=start + 1):
        if indent < 0:
            if current:
                records.append(current)
                current = {}
            continue
        if indent <= header_indent:
            break  # the list ended
        while sections and indent <= sections[-1][0]:
            sections.pop()
        following = next((i for i, _k, _v in lines[number + 1 :] if i >= 0), -1)
        if value is None and following > indent:
            sections.append((indent, key))
            continue
        name = ".".join([*(s for _i, s in sections), key])
        if name in current:
            records.append(current)
            current = {}
        current[name] = value
    if current:
        records.append(current)
    return records


def _date(value: str | None, tz, what: str) -> pd.Timestamp:
    if not value:
        return pd.NaT
    try:
        return pd.Timestamp(parse_vendor_date(value, tz))
    except BadDate as exc:
        raise ParseError("invalid_metadata", f"{what}: {exc}") from None


def read_operations(text: str | bytes, tz: str | tzinfo | None = None) -> pd.DataFrame:
    """getAllOperations text -> `id, operation, status, host, author, submitted, started` (UTC),
    then any verbose field as an extra column (as printed). An empty queue gives no rows."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    rows, extras = [], []
    for record in _records(_lines(text)):
        row: dict = dict.fromkeys(OPERATION_COLUMNS)
        for key, value in record.items():
            column = _KNOWN.get(fold(key))
            if column and row[column] is None:
                row[column] = value
            else:
                row[key] = value
                if key not in extras:
                    extras.append(key)
        label = f"operation {row['id'] or len(rows) + 1}"
        row["submitted"] = _date(row["submitted"], tz, f"{label} submitDate")
        row["started"] = _date(row["started"], tz, f"{label} startDate")
        rows.append(row)
    df = pd.DataFrame.from_records(rows, columns=OPERATION_COLUMNS + extras)
    for column in ("submitted", "started"):
        df[column] = pd.to_datetime(df[column], utc=True)
    for column in ("id", "operation", "status", "host", "author", *extras):
        df[column] = df[column].astype("string")
    return df
