"""Words a reader of the report understands, in place of the kit's codes and Python values.

The frames and the CSV tables keep the codes (`read_error`, `True`, `629749687`): they are what a script
filters on. The report's HTML and PDF show these labels instead, so a manager never meets a code.
"""

from __future__ import annotations

import pandas as pd

CAUSE_LABELS = {
    "read_error": "Read error",
    "broken": "Broken",
    "invalid": "Refused by the mail server",
    "not_in_backup": "Not in the backup",
    "restorable": "Intact in the backup",
}
# Why an item of each cause cannot be brought back, as the executive summary says it.
CAUSE_WHY = {
    "read_error": "the backup cannot read them (a file is missing, unreadable or points outside the backup)",
    "broken": "their copy in the backup is corrupt and no earlier version of them is intact",
    "invalid": "the mail server refuses them as they are and they could not be extracted",
    "not_in_backup": "the backup holds no copy of them (never backed up, or already purged)",
    "restorable": "they are intact in the backup but are not messages, so no .eml file was made",
}
COLUMN_LABELS = {
    "item_id": "Item",
    "account_id": "Account id",
    "folder_path": "Folder",
    "last_valid_state": "Last valid state",
    "recoverable_eml": "Recoverable",
    "transaction_id": "State",
    "last_scan": "Last scan",
    "grantee_type": "Grantee type",
    "mountpoint_id": "Mount point item",
    "mountpoint": "Mount point",
    "folder_id": "Folder id",
    "purge_after": "Purge after",
    "sha256": "SHA-256",
    "sha256_after": "SHA-256 after",
    "sha256_before": "SHA-256 before",
    "size_before": "Size before",
    "size_after": "Size after",
    "text": "Text file",
}
# Columns that hold a number of bytes: shown in KB, MB, GB.
SIZE_COLUMNS = {"size", "bytes", "size_before", "size_after", "compressed_size", "bytes freed"}
_UNITS = ("bytes", "KB", "MB", "GB", "TB")


def cause_label(cause: object) -> str:
    return CAUSE_LABELS.get(str(cause), humanize(cause))


def humanize(code: object) -> str:
    """A code as words: `grant_without_mountpoint` -> `Grant without mountpoint`."""
    text = str(code).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def column_label(column: object) -> str:
    return COLUMN_LABELS.get(str(column), humanize(column))


def human_size(value: object) -> str:
    """A byte count as a person reads it (1024 per step, as file managers count): `1.2 MB`."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    try:
        size = float(value)
    except (TypeError, ValueError):
        return str(value)
    unit = 0
    while abs(size) >= 1024 and unit < len(_UNITS) - 1:
        size /= 1024
        unit += 1
    if unit == 0:
        return f"{int(size)} byte" + ("" if int(size) == 1 else "s")
    return f"{size:.1f} {_UNITS[unit]}"


def yes_no(value: object) -> object:
    """`True`/`False` (Python's or numpy's) as yes/no; anything else unchanged."""
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return "yes" if value else "no"
    return value
