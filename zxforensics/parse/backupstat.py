"""`backupstat`: the backup-wide statistics (FORMAT.md §1), range-checked.

`{"serverId", "firstScan", "lastScan", "numActiveBackupedAccounts", "numCheckedAccounts", "timeZone"}`;
the dates are epoch milliseconds UTC (0 = never). The object comes back with its keys as written, so
`stat.get("firstScan")` keeps working; a field that does not read (a date of 1e30, a count past int64,
an unknown time zone) is left out, with a note, and the store goes on with the rest.
"""

from __future__ import annotations

from ..format.dates import BadDate, get_tz, to_epoch_ms
from ..format.keys import folded
from .bounds import as_int64, nested_deeper, short
from .items import load_json_object

DATE_KEYS = ("firstscan", "lastscan")  # folded names of the epoch-ms fields
COUNT_KEYS = ("numactivebackupedaccounts", "numcheckedaccounts")
TEXT_KEYS = ("serverid",)
MAX_DEPTH = 4  # an unknown field nested deeper is left out (its repr could recurse)


def parse_backupstat(data: bytes) -> tuple[dict, list[str]]:
    """`backupstat` bytes -> (its object with every field in range, notes on the fields left out).

    Dates become epoch ms (seconds, ISO 8601 and dd/MM/yyyy are taken too); raises ParseError when
    the file is not a JSON object."""
    doc = load_json_object(data, "backupstat")
    out: dict = {}
    notes: list[str] = []
    for key, value in doc.items():
        try:
            out[key] = _field(folded(key), value)
        except (ValueError, BadDate) as exc:
            notes.append(f"backupstat: {short(key)}: {exc}; left out")
    return out, notes


def _field(name: str, value: object) -> object:
    """One field, checked; raises ValueError (or BadDate) when it is out of range or of the wrong type."""
    if name in DATE_KEYS:
        return to_epoch_ms(value)
    if name in COUNT_KEYS:
        return as_int64(value, "a count")
    if name == "timezone":
        if not isinstance(value, str):
            raise ValueError(f"{short(value)} is not a time zone name")
        get_tz(value)  # BadDate for a zone the tz database does not know
        return value
    if name in TEXT_KEYS and not isinstance(value, str | int):
        raise ValueError(f"{short(value)} is not a server id")
    if isinstance(value, dict | list) and nested_deeper(value, MAX_DEPTH):
        raise ValueError(f"nested deeper than {MAX_DEPTH}")
    return value
