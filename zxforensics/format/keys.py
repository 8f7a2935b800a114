"""Tolerant field names of the metadata JSON (FORMAT.md §4, §10).

Keys match case-insensitively, with or without `_`; a few synonyms are accepted.
The cache makes the per-key cost one dict lookup, which matters at a million states.
"""

from __future__ import annotations

import re
from functools import lru_cache

# Canonical state fields (FORMAT.md §4) under their folded spelling.
_STATE_FIELDS = {
    "transactionid": "transaction_id",
    "txid": "transaction_id",
    "id": "item_id",
    "itemid": "item_id",
    "type": "type",
    "itemtype": "type",
    "folderid": "folder_id",
    "startdate": "start_date",
    "enddate": "end_date",
    "deleted": "deleted",
    "digest": "digest",
    "blobdigest": "digest",
    "size": "size",
    "date": "date",
    "revision": "revision",
    "flags": "flags",
    "tags": "tags",
    "name": "name",
    "parentid": "parent_id",
    "ownerid": "owner_id",
    "remoteid": "remote_id",
    "subject": "subject",
    "sender": "sender",
}
# Containers that may hold the state list instead of a top-level array.
STATE_LIST_KEYS = ("states", "itemstates")


def fold(key: str) -> str:
    """`startDate`, `start_date` and `StartDate` all fold to `startdate`."""
    return key.replace("_", "").replace("-", "").lower()


@lru_cache(maxsize=4096)
def state_field(key: str) -> str | None:
    """Canonical name of a state key, or None for a key the kit does not use."""
    return _STATE_FIELDS.get(fold(key))


@lru_cache(maxsize=4096)
def folded(key: str) -> str:
    """Cached `fold`, for objects whose keys are looked up by folded name."""
    return fold(key)


def get_folded(obj: dict, *names: str):
    """First value of `obj` whose key folds to one of `names` (already folded), else None."""
    for key, value in obj.items():
        if folded(key) in names:
            return value
    return None


# Public view of the state vocabulary (folded spelling -> canonical field), for readers that describe
# keys rather than read them (the probe): the same table `state_field` reads.
STATE_FIELDS = _STATE_FIELDS

# backupstat (FORMAT.md §1), as spelled there -> whether the kit reads it (the store: timeZone; copies:
# serverId; summary and report: firstScan, lastScan). The others are documented and not used.
BACKUPSTAT_FIELDS = {
    "serverId": True,
    "firstScan": True,
    "lastScan": True,
    "numActiveBackupedAccounts": False,
    "numCheckedAccounts": False,
    "timeZone": True,
}
# account_stat (FORMAT.md §3), as spelled there -> the field `parse.account.parse_account_stat` makes of it.
ACCOUNT_STAT_FIELDS = {
    "lastScan": "last_scan",
    "lastSequence": "last_sequence",
    "deleted": "deleted",
    "deletedDate": "deleted_date",
}
SHARED_ITEM = "zimbrashareditem"  # the account_info attribute of a sharing account's grants (FORMAT.md §6)
# Dates among the documented keys above (folded), so a describer knows which values to read as dates.
DATE_KEYS = frozenset({"firstscan", "lastscan", "deleteddate", "startdate", "enddate", "date"})

_CAMEL_RE = re.compile(r"^[a-z][a-z0-9]*(?:[A-Z][a-z0-9]*)+$")
_PASCAL_RE = re.compile(r"^(?:[A-Z][a-z0-9]+)+$")
_SNAKE_RE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)+$")
_KEBAB_RE = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)+$")


@lru_cache(maxsize=4096)
def key_style(key: str) -> str:
    """How a key is written: camelCase, PascalCase, snake_case, kebab-case, lowercase, UPPERCASE or mixed.

    The readers accept them all (`fold`); the probe reports which ones a backup uses."""
    if key.islower() and key.isalnum():
        return "lowercase"
    if key.isupper() and key.replace("_", "").isalnum():
        return "UPPERCASE"
    for style, pattern in (("camelCase", _CAMEL_RE), ("snake_case", _SNAKE_RE), ("PascalCase", _PASCAL_RE),
                           ("kebab-case", _KEBAB_RE)):  # fmt: skip
        if pattern.match(key):
            return style
    return "mixed"
