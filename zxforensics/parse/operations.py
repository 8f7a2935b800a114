"""getAllOperations output (FORMAT.md §8): the vendor's operation queue, as text a user saved.

The layout is the vendor's nested one: an `operations` line, then each operation's `key value`
leaves, indented, keys padded to 60 columns (tabs or spaces). Operations follow each other with or
without a blank line; a key seen again starts the next one. `verbose true` adds keys, kept as
extra columns; a nested section's keys become `section.key`. Dates are dd/MM/yyyy HH:mm:ss, day
first, in the server's zone.
"""

from __future__ import annotations

from datetime import tzinfo

import pandas as pd

from ..format.dates import MAX_EPOCH_MS, MIN_EPOCH_MS, BadDate, parse_vendor_date
from ..format.keys import fold
from . import ParseError
from .bounds import short

OPERATION_COLUMNS = ["id", "operation", "status", "host", "author", "submitted", "started"]
# folded key as printed -> column
_KNOWN = {"id": "id", "operationid": "id", "operation": "operation", "name": "operation", "status": "status",
          "host": "host", "server": "host", "author": "author", "user": "author", "submitdate": "submitted",
          "submitted": "submitted", "startdate": "started", "started": "started"}  # fmt: skip
_HEADER = "operations"


def _lines(text: str) -> list[tuple[int, str, str | None]]:
    """(indent width, key, value or None) per line; a blank line is (-1, "", None).

    Split on whitespace, not matched with a pattern: a line may start with any character
    (a control character made the pattern fail, and the parse with it)."""
    out = []
    for raw in text.replace("\r\n", "\n").split("\n"):
        expanded = raw.expandtabs(8)
        rest = expanded.lstrip(" ")
        parts = rest.split(None, 1)
        if not parts:
            out.append((-1, "", None))
            continue
        value = parts[1].strip() if len(parts) > 1 else ""
        out.append((len(expanded) - len(rest), parts[0], value or None))
    return out


def _next_indents(lines: list[tuple[int, str, str | None]]) -> list[int]:
    """For each line, the indent of the next non-blank line (-1 at the end), in one backward pass."""
    following, nxt = [-1] * len(lines), -1
    for number in range(len(lines) - 1, -1, -1):
        following[number] = nxt
        if lines[number][0] >= 0:
            nxt = lines[number][0]
    return following


def _records(lines: list[tuple[int, str, str | None]]) -> list[dict[str, str | None]]:
    """Group the leaves under the `operations` line into one dict per operation."""
    start = next((n for n, (_i, key, value) in enumerate(lines) if key == _HEADER and value is None), None)
    if start is None:
        raise ParseError("invalid_metadata", "no `operations` list: expected the output of getAllOperations")
    header_indent = lines[start][0]
    following = _next_indents(lines)
    records: list[dict] = []
    current: dict = {}
    sections: list[tuple[int, str]] = []  # (indent, name) of open nested sections
    for number in range(start + 1, len(lines)):
        indent, key, value = lines[number]
        if indent < 0:
            if current:
                records.append(current)
                current = {}
            continue
        if indent <= header_indent:
            break  # the list ended
        while sections and indent <= sections[-1][0]:
            sections.pop()
        if value is None and following[number] > indent:
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
        moment = parse_vendor_date(value, tz)
    except BadDate as exc:
        raise ParseError("invalid_metadata", f"{what}: {exc}") from None
    if not MIN_EPOCH_MS <= moment.timestamp() * 1000 <= MAX_EPOCH_MS:
        raise ParseError("invalid_metadata", f"{what}: {short(value)} is out of the range of dates the kit keeps")
    return pd.Timestamp(moment)


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
